// fc-macos uninstall: removes what setup made. Asks first on a TTY; --yes skips the question;
// without a TTY and without --yes it refuses (exit 2).
import { createInterface } from 'node:readline/promises';
import type { Command } from 'commander';
import { TartProvider } from '../../host/tart-provider.ts';
import { cliTarget, printJson, reportError, wantsJson } from '../../provision/cli-support.ts';
import { listMicrovms, runUninstall } from '../../provision/uninstall.ts';

export function registerUninstall(program: Command): void {
  program
    .command('uninstall')
    .description('stop microVMs and the agent, remove the VM (Tart), installed files, token and downloads')
    .option('-y, --yes', 'do not ask for confirmation (microVMs are stopped)')
    .action(async (flags: { yes?: boolean }, cmd: Command) => {
      const json = wantsJson(cmd);
      try {
        const { paths, provider } = await cliTarget();
        if (!flags.yes) {
          if (!process.stdin.isTTY || json) {
            const refusal = Object.assign(
              new Error('uninstall needs confirmation: pass --yes to remove everything setup made'),
              { code: 'usage' },
            );
            process.exitCode = reportError(refusal, json, 2);
            return;
          }
          const vms = (await listMicrovms(provider, paths)).filter(
            (v) => !['stopped', 'exited'].includes(v.state),
          );
          const what =
            provider instanceof TartProvider
              ? `delete the Tart VM ${provider.vmName}`
              : `stop the agent and remove ${provider.layout.agentDir}`;
          const rl = createInterface({ input: process.stdin, output: process.stderr });
          const answer = await rl.question(
            `This will ${what}${vms.length ? `, stopping ${vms.length} running microVM(s)` : ''}, and remove the token and downloads. Continue? [y/N] `,
          );
          rl.close();
          if (!/^y(es)?$/i.test(answer.trim())) {
            process.stderr.write('fc-macos: nothing removed\n');
            process.exitCode = 1;
            return;
          }
        }
        const result = await runUninstall(provider, paths);
        if (json) printJson({ ok: true, ...result });
        else process.stderr.write(`removed: ${result.removed.join(', ')}\n`);
      } catch (err) {
        process.exitCode = reportError(err, json);
      }
    });
}
