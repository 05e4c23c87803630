// fc-macos drives add|update|list: block devices (Firecracker's /drives).
import type { Command } from 'commander';
import { action } from '../../context.ts';
import { parseHostPath } from '../../flag-parsers.ts';
import { table } from '../../format.ts';
import { parseDeviceId, requests, type TargetFlags, target, vmCommand } from './target.ts';

export function registerDrives(program: Command): void {
  const drives = program.command('drives').description("block devices (Firecracker's /drives)");
  vmCommand(drives, 'add', 'attach a block device (before boot only)')
    .requiredOption('--id <id>', 'drive id (letters, digits, "_")', parseDeviceId)
    .requiredOption('--path <path>', 'image file on the agent host', parseHostPath)
    .option('--ro', 'read-only')
    .option('--root', 'the root device (replaces the current one)')
    .action(
      action<TargetFlags & { id: string; path: string; ro?: boolean; root?: boolean }>(async (ctx) => {
        const o = ctx.opts;
        return (await requests()).write(
          ctx,
          'PUT /drives/:id',
          {
            drive_id: o.id,
            path_on_host: o.path,
            is_root_device: o.root === true,
            is_read_only: o.ro === true,
          },
          `drive ${o.id} added (${o.path}${o.ro ? ', read-only' : ''}${o.root ? ', root' : ''})`,
          o.id,
        );
      }),
    );
  vmCommand(drives, 'update', 'point a drive at another file (after boot too: the guest must re-read it)')
    .requiredOption('--id <id>', 'drive id', parseDeviceId)
    .requiredOption('--path <path>', 'image file on the agent host', parseHostPath)
    .action(
      action<TargetFlags & { id: string; path: string }>(async (ctx) =>
        (await requests()).write(
          ctx,
          'PATCH /drives/:id',
          { drive_id: ctx.opts.id, path_on_host: ctx.opts.path },
          `drive ${ctx.opts.id} now ${ctx.opts.path}`,
          ctx.opts.id,
        ),
      ),
    );
  vmCommand(drives, 'list', 'list the block devices').action(
    action<TargetFlags>(async (ctx) => {
      const name = target(ctx);
      const { vmConfig } = await requests();
      const list = (await vmConfig(await ctx.client(), name)).drives ?? [];
      ctx.out.data({ microvm: name, drives: list });
      const rows = list.map((d) => [
        d.drive_id,
        typeof d.path_on_host === 'string' ? d.path_on_host : '-',
        d.is_root_device ? 'yes' : 'no',
        d.is_read_only === true ? 'yes' : 'no',
      ]);
      ctx.out.line(rows.length ? table(['ID', 'PATH', 'ROOT', 'READ-ONLY'], rows) : `${name}: no drives`);
      return 0;
    }),
  );
}
