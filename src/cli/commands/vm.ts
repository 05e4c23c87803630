// fc-macos vm status|start|stop|shell|logs: the Linux VM layer (local provider: this host and the
// agent daemon).
import type { Command } from 'commander';
import { InvalidArgumentError } from 'commander';
import { cliTarget, printJson, reportError, wantsJson } from '../../provision/cli-support.ts';

function lines(v: string): number {
  const n = Number(v);
  if (!Number.isInteger(n) || n < 1) throw new InvalidArgumentError('must be a positive integer');
  return n;
}

export function registerVm(program: Command): void {
  const vm = program
    .command('vm')
    .description('the Linux side: the Tart VM, or this host and its agent daemon');

  vm.command('status')
    .description('state of the VM (or host) and of the agent')
    .action(async (_f: unknown, cmd: Command) => {
      const json = wantsJson(cmd);
      try {
        const { provider } = await cliTarget();
        const host = await provider.status();
        const agent = host.state === 'running' ? await provider.agentService() : null;
        if (json) printJson({ host, agent });
        else {
          process.stdout.write(`${host.provider} ${host.name}: ${host.state} — ${host.detail}\n`);
          if (agent)
            process.stdout.write(
              `fc-agent (${agent.mode}): ${agent.running ? 'running' : 'not running'} — ${agent.detail}\n`,
            );
        }
      } catch (err) {
        process.exitCode = reportError(err, json);
      }
    });

  vm.command('start')
    .description('start the VM (Tart) and the agent')
    .action(async (_f: unknown, cmd: Command) => {
      const json = wantsJson(cmd);
      try {
        const { provider } = await cliTarget();
        if (provider.name === 'tart') await provider.ensureRunning();
        await provider.startAgent();
        if (json) printJson({ ok: true, host: await provider.status() });
      } catch (err) {
        process.exitCode = reportError(err, json);
      }
    });

  vm.command('stop')
    .description('stop the VM (Tart: microVMs inside stop with it) or the local agent daemon')
    .action(async (_f: unknown, cmd: Command) => {
      const json = wantsJson(cmd);
      try {
        const { provider } = await cliTarget();
        await provider.stop();
        if (json) printJson({ ok: true });
      } catch (err) {
        process.exitCode = reportError(err, json);
      }
    });

  vm.command('shell')
    .description('a shell in the Linux VM (tart exec)')
    .action(async (_f: unknown, cmd: Command) => {
      try {
        const { provider } = await cliTarget();
        process.exitCode = await provider.shell();
      } catch (err) {
        process.exitCode = reportError(err, wantsJson(cmd));
      }
    });

  vm.command('logs')
    .description("the agent's journal (and the VM's log for Tart)")
    .option('-n, --lines <n>', 'how many lines', lines, 200)
    .action(async (flags: { lines: number }, cmd: Command) => {
      const json = wantsJson(cmd);
      try {
        const { provider } = await cliTarget();
        const text = await provider.logs({ lines: flags.lines });
        if (json) printJson({ logs: text });
        else process.stdout.write(`${text}\n`);
      } catch (err) {
        process.exitCode = reportError(err, json);
      }
    });
}
