// fc-macos snapshots create|load: save and restore microVM state. The agent enforces which states
// allow each; the CLI says so first, with the command that gets there.
import { type Command, InvalidArgumentError } from 'commander';
import type { SnapshotCreateParams } from '../../../client/firecracker-schemas.ts';
import { action } from '../../context.ts';
import { CliError } from '../../errors.ts';
import { parseHostPath } from '../../flag-parsers.ts';
import { requests, type TargetFlags, target, vmCommand } from './target.ts';

type SnapshotType = NonNullable<SnapshotCreateParams['snapshot_type']>;

function parseSnapshotType(value: string): SnapshotType {
  if (value === 'Full' || value === 'Diff') return value;
  throw new InvalidArgumentError('must be Full or Diff');
}

interface SnapshotFiles extends TargetFlags {
  snapshotPath: string;
  memPath: string;
}

export function registerSnapshots(program: Command): void {
  const snaps = program.command('snapshots').alias('snapshot').description('save and restore microVM state');
  vmCommand(snaps, 'create', 'snapshot a paused microVM')
    .requiredOption('--snapshot-path <path>', 'state file to write on the agent host', parseHostPath)
    .requiredOption('--mem-path <path>', 'memory file to write on the agent host', parseHostPath)
    .option('--type <type>', 'Full or Diff (Diff needs --track-dirty-pages)', parseSnapshotType, 'Full')
    .action(
      action<SnapshotFiles & { type: SnapshotType }>(async (ctx) => {
        const vm = await (await ctx.client()).getMicrovm(target(ctx));
        if (vm.state !== 'paused') {
          throw new CliError(
            'invalid_state',
            `microVM ${vm.name} is ${vm.state}: a snapshot needs a paused microVM (\`fc-macos microvm pause ${vm.name}\` first)`,
          );
        }
        const o = ctx.opts;
        return (await requests()).write(
          ctx,
          'PUT /snapshot/create',
          { snapshot_type: o.type, snapshot_path: o.snapshotPath, mem_file_path: o.memPath },
          `${o.type} snapshot written to ${o.snapshotPath} (memory ${o.memPath}; with the default rootfs its disk is kept as ${o.snapshotPath}.rootfs: move the files together)`,
        );
      }),
    );
  vmCommand(snaps, 'load', 'restore a snapshot into a microVM that was never booted')
    .requiredOption('--snapshot-path <path>', 'state file on the agent host', parseHostPath)
    .requiredOption('--mem-path <path>', 'memory file on the agent host', parseHostPath)
    .option('--resume', 'resume the restored microVM at once (else it stays paused)')
    .action(
      action<SnapshotFiles & { resume?: boolean }>(async (ctx) => {
        const vm = await (await ctx.client()).getMicrovm(target(ctx));
        if (vm.state !== 'created') {
          throw new CliError(
            'invalid_state',
            `microVM ${vm.name} is ${vm.state}: a snapshot loads only into a fresh microVM with nothing configured (\`fc-macos microvm create --bare\` makes one)`,
          );
        }
        const o = ctx.opts;
        const code = await (await requests()).write(
          ctx,
          'PUT /snapshot/load',
          {
            snapshot_path: o.snapshotPath,
            mem_backend: { backend_type: 'File', backend_path: o.memPath },
            resume_vm: o.resume === true,
          },
          `snapshot ${o.snapshotPath} loaded${o.resume ? ' and resumed' : ' (paused)'}`,
        );
        // What it runs instead of the source's own disk, tap and address, as the agent recorded it.
        const restored = (await (await ctx.client()).getMicrovm(vm.name)).restored_from;
        if (restored) ctx.out.line(`  ${restored.note}`);
        return code;
      }),
    );
}
