// fc-macos dashboard: the live view of every layer (src/dashboard). Ink and React are imported
// only when this command runs, so no other command pays for them at start-up. Not a terminal (or
// --json): one snapshot of the same data, then exit.
import type { Command } from 'commander';
import { action } from '../context.ts';

export function registerDashboard(program: Command): void {
  program
    .command('dashboard')
    .description('live view of the Linux side, the agent and every microVM (keys: ? in the view)')
    .option('--snapshot', 'print one snapshot and exit, even on a terminal')
    .addHelpText(
      'after',
      '\nOn a terminal: a live view (keys in docs/dashboard.md, or ? inside). Otherwise, or with\n' +
        '--snapshot/--json: one snapshot, exit 0 (1 when the agent or the VM is down).',
    )
    .action(
      action<{ snapshot?: boolean }>(async (ctx) => {
        const { AgentClient } = await import('../../client/agent-client.ts');
        const { cliTarget } = await import('../../provision/cli-support.ts');
        const { locateAgent } = await import('../agent.ts');
        const { themeFor } = await import('../../dashboard/theme.ts');
        // The provider (config) says where the agent is and what fixes it; --agent-url or
        // FC_MACOS_AGENT_URL override the place. A provider that cannot be read is not fatal here.
        const target = await cliTarget().catch(() => null);
        const explicit = Boolean(ctx.globals.agentUrl || process.env.FC_MACOS_AGENT_URL);
        const hostStatus = target && !explicit ? () => target.provider.status() : undefined;
        let lastUrl = ctx.globals.agentUrl ?? process.env.FC_MACOS_AGENT_URL ?? '(agent URL not known yet)';
        const connect = async () => {
          const loc = await locateAgent(ctx.globals);
          lastUrl = loc.url;
          return new AgentClient({
            baseUrl: loc.url,
            token: loc.token ?? undefined,
            unreachableHint: loc.unreachableHint,
            authHint: loc.authHint,
            timeoutMs: 10_000,
          });
        };
        const provider = target?.provider.name ?? null;
        const theme = themeFor(process.env);
        const tty = process.stdout.isTTY === true && process.stdin.isTTY === true;
        if (!tty || ctx.json || ctx.opts.snapshot) {
          const { collectOnce, snapshotJson, snapshotText } = await import('../../dashboard/snapshot.ts');
          const data = await collectOnce(lastUrl, connect, provider, hostStatus);
          if (ctx.json) ctx.out.data(snapshotJson(data));
          else {
            const mono = tty ? theme : { colour: false, unicode: theme.unicode };
            ctx.out.line(snapshotText(data, mono, process.stdout.columns || 120).trimEnd());
          }
          return data.outage ? 1 : 0;
        }
        const { loadDashboard } = await import('../../dashboard/load.ts');
        const runDashboard = await loadDashboard();
        return runDashboard({ url: lastUrl, connect, hostStatus, provider, theme });
      }),
    );
}
