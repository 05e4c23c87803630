// fc-macos actions start|pause|resume|stop|flush-metrics. start, pause, resume and stop go to the
// agent's own routes (the agent must know the state); flush-metrics is Firecracker's action.
import type { Command } from 'commander';
import { DEFAULT_STOP_TIMEOUT_S } from '../../../api/limits.ts';
import { action } from '../../context.ts';
import * as ops from '../vm-ops.ts';
import { requests, type TargetFlags, target, vmCommand } from './target.ts';

export function registerActions(program: Command): void {
  const actions = program.command('actions').description('boot, pause, resume, stop, flush metrics');
  vmCommand(actions, 'start', 'boot a created microVM (InstanceStart)').action(
    action<TargetFlags>(async (ctx) => {
      const vm = await (await ctx.client()).start(target(ctx));
      ctx.out.data(vm);
      ctx.out.line(`started ${vm.name}: \`fc-macos microvm shell ${vm.name}\` attaches its console`);
      return 0;
    }),
  );
  for (const op of ['pause', 'resume'] as const satisfies ops.PauseOrResume[]) {
    vmCommand(actions, op, op === 'pause' ? 'pause the vCPUs' : 'resume the vCPUs').action(
      action<TargetFlags>(async (ctx) => ops.pauseOrResume(ctx, op, target(ctx))),
    );
  }
  ops
    .addStopTimeout(
      vmCommand(
        actions,
        'stop',
        'stop: Ctrl+Alt+Del where the architecture has it (x86_64), else a kill; the agent says which',
      ).option('-f, --force', 'kill at once'),
    )
    .action(
      action<TargetFlags & ops.StopFlags>(async (ctx) => {
        const r = await ops.stopMicrovm(await ctx.client(), target(ctx), ctx.opts);
        ctx.out.data(r);
        ctx.out.line(ops.stopLine(r, ctx.opts.timeout ?? DEFAULT_STOP_TIMEOUT_S));
        return 0;
      }),
    );
  vmCommand(actions, 'flush-metrics', 'write the metrics now (FlushMetrics)').action(
    action<TargetFlags>(async (ctx) =>
      (await requests()).write(ctx, 'PUT /actions', { action_type: 'FlushMetrics' }, 'metrics flushed'),
    ),
  );
}
