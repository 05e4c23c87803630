// fc-macos metrics get: flushes Firecracker's metrics, then prints the newest line of the file.
import type { Command } from 'commander';
import { action } from '../../context.ts';
import { CliError } from '../../errors.ts';
import { requests, type TargetFlags, target, vmCommand } from './target.ts';

export function registerMetrics(program: Command): void {
  const metrics = program.command('metrics').description("Firecracker's metrics");
  vmCommand(metrics, 'get', 'flush the metrics, then print the newest line').action(
    action<TargetFlags>(async (ctx) => {
      const name = target(ctx);
      const client = await ctx.client();
      await (await requests()).request(client, name, 'PUT /actions', { action_type: 'FlushMetrics' });
      let text: string;
      try {
        text = await client.logs(name, { source: 'metrics', tail: 1 });
      } catch (err) {
        // The client is loaded by now: its error classes cost nothing more.
        const { AgentApiError } = await import('../../../client/errors.ts');
        if (
          err instanceof AgentApiError &&
          (err.code === 'bad_request' || err.code === 'validation_failed')
        ) {
          throw new CliError(
            'agent_unsupported',
            `this agent cannot serve the metrics file (${err.message}): update the agent with \`fc-macos setup\``,
          );
        }
        throw err;
      }
      const line = text.trim().split('\n').pop() ?? '';
      let parsed: unknown;
      try {
        parsed = JSON.parse(line);
      } catch {
        throw new CliError(
          'firecracker_error',
          `the metrics of microVM ${name} are not JSON: ${line.slice(0, 120)}`,
        );
      }
      ctx.out.data({ microvm: name, metrics: parsed });
      ctx.out.line(JSON.stringify(parsed, null, 2));
      return 0;
    }),
  );
}
