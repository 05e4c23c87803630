// fc-macos uninstall: removes what setup made. Asks first on a TTY; --yes skips the question;
// without a TTY and without --yes it refuses (exit 2).
import { createInterface } from 'node:readline/promises';
import type { Command } from 'commander';
import { forgetAddress } from '../agent-address.ts';
import { action } from '../context.ts';
import { CliError, UsageError } from '../errors.ts';

export function registerUninstall(program: Command): void {
  program
    .command('uninstall')
    .description('stop microVMs and the agent, remove the VM (Tart), installed files, token and downloads')
    .option('-y, --yes', 'do not ask for confirmation (microVMs are stopped)')
    .action(
      action<{ yes?: boolean }>(async (ctx) => {
        // The provision layer loads when the command runs, not for --help.
        const { cliTarget } = await import('../../provision/cli-support.ts');
        const { listMicrovms, runUninstall } = await import('../../provision/uninstall.ts');
        const { paths, provider } = await cliTarget();
        if (!ctx.opts.yes) {
          if (!process.stdin.isTTY || ctx.json) {
            throw new UsageError('uninstall needs confirmation: pass --yes to remove everything setup made');
          }
          const vms = (await listMicrovms(provider, paths)).filter(
            (v) => !['stopped', 'exited'].includes(v.state),
          );
          const what = provider.text.uninstallRemoves;
          const rl = createInterface({ input: process.stdin, output: process.stderr });
          const answer = await rl.question(
            `This will ${what}${vms.length ? `, stopping ${vms.length} running microVM(s)` : ''}, and remove the token and downloads. Continue? [y/N] `,
          );
          rl.close();
          if (!/^y(es)?$/i.test(answer.trim())) throw new CliError('cancelled', 'nothing removed');
        }
        await forgetAddress(paths);
        const result = await runUninstall(provider, paths);
        ctx.out.data({ ok: true, ...result });
        if (!ctx.json)
          ctx.out.note(
            result.removed.length > 0
              ? `removed:\n${result.removed.map((r) => `  ${r}`).join('\n')}`
              : 'nothing to remove: fc-macos was not set up here',
          );
        return 0;
      }),
    );
}
