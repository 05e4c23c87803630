// fc-macos vm status|start|stop|shell|logs: the Linux VM layer (local provider: this host and the
// agent daemon).
import type { Command } from 'commander';
import { InvalidArgumentError } from 'commander';
import { scaledWait } from '../../config/wait-scale.ts';
import { forgetAddress } from '../agent-address.ts';
import { action } from '../context.ts';
import { CliError } from '../errors.ts';

const MAX_LINES = 100_000;

/** The provider for the user's config; the host layer loads when a vm command runs. */
async function cliTarget(): Promise<import('../../provision/cli-support.ts').CliTarget> {
  return (await import('../../provision/cli-support.ts')).cliTarget();
}

function lines(v: string): number {
  const n = Number(v);
  if (!/^[0-9]+$/.test(v.trim()) || !Number.isInteger(n) || n < 1 || n > MAX_LINES)
    throw new InvalidArgumentError(`must be a whole number from 1 to ${MAX_LINES}`);
  return n;
}

/** True once GET /health answers; false after `ms` (an agent under systemd may still be starting). */
async function answers(url: string, ms: number): Promise<boolean> {
  // Loaded here: the vm commands are registered for every command line, the SDK is needed by few.
  const { AgentClient } = await import('../../client/agent-client.ts');
  const deadline = Date.now() + ms;
  for (;;) {
    try {
      await new AgentClient({ baseUrl: url, timeoutMs: 5000 }).health();
      return true;
    } catch {
      if (Date.now() > deadline) return false;
      await new Promise((r) => setTimeout(r, 250));
    }
  }
}

/** "running — pid 42", but never "not running — not running". */
function withDetail(state: string, detail: string): string {
  const d = detail.trim();
  return d === '' || d === state || d.startsWith(state) ? d || state : `${state} — ${d}`;
}

export function registerVm(program: Command): void {
  const vm = program
    .command('vm')
    .description('the Linux side: the Tart VM, or this host and its agent daemon');

  vm.command('status')
    .description('state of the VM (or host) and of the agent')
    .action(
      action(async (ctx) => {
        const { provider } = await cliTarget();
        const host = await provider.status();
        const agent = host.state === 'running' ? await provider.agentService() : null;
        ctx.out.data({ host, agent });
        ctx.out.line(`${host.provider} ${host.name}: ${withDetail(host.state, host.detail)}`);
        if (agent) {
          ctx.out.line(
            `fc-agent (${agent.mode}): ${withDetail(agent.running ? 'running' : agent.installed ? 'not running' : 'not installed', agent.detail)}`,
          );
        }
        return 0;
      }),
    );

  vm.command('ip')
    .description("the Linux side's address: published ports (-p) are reached there")
    .action(
      action(async (ctx) => {
        const { provider } = await cliTarget();
        const ip = new URL(await provider.agentUrl()).hostname;
        ctx.out.data({ ip });
        ctx.out.line(ip);
        return 0;
      }),
    );

  vm.command('start')
    .description('start the VM (Tart) and the agent; returns once the agent answers')
    .action(
      action(async (ctx) => {
        const { paths, provider } = await cliTarget();
        const before = await provider.status();
        const agentBefore = before.state === 'running' ? await provider.agentService() : null;
        // A service that runs but does not answer yet (restarting after a crash, Node still
        // starting) is waited for, not started twice.
        if (
          before.state === 'running' &&
          agentBefore?.running &&
          (await answers(await provider.agentUrl(), 0))
        ) {
          ctx.out.data({ ok: true, already_running: true, host: before });
          ctx.out.line(`${before.provider} ${before.name} and fc-agent were already running`);
          return 0;
        }
        await forgetAddress(paths);
        if (before.state !== 'running' || !agentBefore?.running) await provider.startWithAgent();
        const url = await provider.agentUrl();
        const waitMs = scaledWait(60_000);
        if (!(await answers(url, waitMs))) {
          throw new CliError(
            'agent_unhealthy',
            `fc-agent does not answer at ${url}/health after ${waitMs / 1000}s: see why with \`fc-macos vm logs\`, then run \`fc-macos setup --force\``,
          );
        }
        const host = await provider.status();
        ctx.out.data({ ok: true, already_running: false, host });
        const vmWas = before.state === 'running' ? 'was already running' : 'started';
        ctx.out.line(
          provider.vm
            ? `${host.provider} ${host.name}: ${vmWas}; fc-agent started, answers at ${url}`
            : `fc-agent started (${host.name}), answers at ${url}`,
        );
        return 0;
      }),
    );

  vm.command('stop')
    .description('stop the VM (Tart: microVMs inside stop with it) or the local agent daemon')
    .action(
      action(async (ctx) => {
        const { paths, provider } = await cliTarget();
        await forgetAddress(paths);
        await provider.stop();
        ctx.out.data({ ok: true });
        ctx.out.line(provider.text.stopped);
        return 0;
      }),
    );

  vm.command('shell')
    .description('a shell in the Linux VM (tart exec)')
    .action(
      action(async () => {
        const { provider } = await cliTarget();
        return provider.shell();
      }),
    );

  vm.command('logs')
    .description("the agent's journal (and the VM's log for Tart)")
    .option('-n, --lines <n>', `how many lines (1-${MAX_LINES})`, lines, 200)
    .action(
      action<{ lines: number }>(async (ctx) => {
        const { provider } = await cliTarget();
        const text = await provider.logs({ lines: ctx.opts.lines });
        ctx.out.data({ logs: text });
        ctx.out.line(text);
        return 0;
      }),
    );
}
