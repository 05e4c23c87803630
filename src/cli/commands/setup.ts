// fc-macos setup: provisions the Linux side (Tart VM or this Linux host) up to a healthy agent.
import { existsSync, statSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { Command } from 'commander';
import { InvalidArgumentError, Option } from 'commander';
import type { ConfigFile, ProviderName } from '../../config/config.ts';
import { forgetAddress } from '../agent-address.ts';
import { action } from '../context.ts';
import { EXIT_USAGE, formatFix } from '../errors.ts';

function port(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1 || n > 65535)
    throw new InvalidArgumentError('must be a port number 1-65535');
  return n;
}

/** --assets-url: an http(s) base, or a file:// directory that exists. */
export function parseAssetsUrl(value: string): string {
  let u: URL;
  try {
    u = new URL(value);
  } catch {
    throw new InvalidArgumentError('must be a URL: https://HOST/PATH or file:///DIR (layout: docs/setup.md)');
  }
  if (u.protocol === 'file:') {
    const dir = fileURLToPath(u);
    if (!existsSync(dir) || !statSync(dir).isDirectory())
      throw new InvalidArgumentError(`${dir} is not a directory (a file:// mirror is a local directory)`);
  } else if (u.protocol !== 'http:' && u.protocol !== 'https:') {
    throw new InvalidArgumentError('must be an http://, https:// or file:// URL');
  }
  return value;
}

/** dist/fc-agent.mjs beside the bundled CLI (dist/cli-*.mjs); FC_MACOS_AGENT_BUNDLE overrides. */
export function agentBundlePath(): string {
  return process.env.FC_MACOS_AGENT_BUNDLE || fileURLToPath(new URL('./fc-agent.mjs', import.meta.url));
}

interface SetupFlags {
  provider?: ProviderName;
  vmName?: string;
  firecrackerBin?: string;
  kernel?: string;
  rootfs?: string;
  assetsUrl?: string;
  agentPort?: number;
  force?: boolean;
  reset?: boolean;
}

export function registerSetup(program: Command): void {
  program
    .command('setup')
    .description(
      'set up the Linux side (Tart VM on macOS, this host on Linux): Firecracker, kernel, rootfs, agent',
    )
    .addOption(new Option('--provider <provider>', 'where the agent runs').choices(['tart', 'local']))
    .option('--vm-name <name>', 'Tart VM name (default fc-macos-linux)')
    .option('--firecracker-bin <path>', 'install this firecracker binary instead of downloading the release')
    .option('--kernel <path>', 'install this guest kernel instead of downloading it')
    .option('--rootfs <path>', 'install this rootfs image instead of building the Alpine one')
    .option(
      '--assets-url <url>',
      'mirror base URL replacing the download hosts (layout: docs/setup.md)',
      parseAssetsUrl,
    )
    .option('--agent-port <port>', "the agent's port on the Linux side (default 8080)", port)
    .option('--force', 'reinstall Firecracker, kernel, rootfs and agent, and write a new token')
    .option(
      '--reset',
      'forget the remembered --assets-url, --firecracker-bin, --kernel and --rootfs (download and build again)',
    )
    .action(
      action<SetupFlags>(async (ctx) => {
        const flags = ctx.opts;
        const overrides = {
          ...(flags.provider ? { provider: flags.provider } : {}),
          ...(flags.vmName ? { vmName: flags.vmName } : {}),
          ...(flags.agentPort ? { agentPort: flags.agentPort } : {}),
        };
        // The provision layer loads when the command runs, not for --help.
        const { cliTarget } = await import('../../provision/cli-support.ts');
        const { pickReporter } = await import('../../provision/reporter.ts');
        const { runSetup } = await import('../../provision/setup.ts');
        const { paths, config, provider } = await cliTarget(overrides);
        // Setup may start the VM anew (another address): the next command asks the provider.
        await forgetAddress(paths);
        const configUpdates: ConfigFile = { provider: config.provider };
        if (provider.vm) configUpdates.vm_name = provider.vm.name;
        if (flags.agentPort) configUpdates.agent_port = flags.agentPort;
        const result = await runSetup({
          provider,
          paths,
          vmName: config.vmName,
          agentBundle: agentBundlePath(),
          reporter: pickReporter(ctx.json),
          configUpdates,
          firecrackerBin: flags.firecrackerBin,
          kernel: flags.kernel,
          rootfs: flags.rootfs,
          assetsUrl: flags.assetsUrl,
          force: flags.force,
          reset: flags.reset,
        });
        // The result carries its error: it is the JSON answer, failed or not.
        ctx.out.data(result);
        // A file the user gave that is not what it must be is a usage error (exit 2).
        const failed = result.error?.code === 'file_invalid' ? EXIT_USAGE : 1;
        if (ctx.json) return result.ok ? 0 : failed;
        const versions = Object.values(result.versions).join(', ');
        if (result.ok && result.already_set_up) {
          ctx.out.note(`fc-macos is already set up: ${versions}; fc-agent at ${result.agent_url}`);
        } else if (result.ok) {
          ctx.out.note(
            `fc-macos is set up: ${versions}; fc-agent at ${result.agent_url}\nnext: fc-macos run`,
          );
        } else {
          const [what, fix] = (result.error?.message ?? '').split('\n  fix: ');
          ctx.out.note(
            `fc-macos: setup stopped at "${result.error?.step}": ${what}\n` +
              (fix ? `  fix: ${formatFix(fix)}\n` : '') +
              '  then run `fc-macos setup` again to resume from there',
          );
        }
        return result.ok ? 0 : failed;
      }),
    );
}
