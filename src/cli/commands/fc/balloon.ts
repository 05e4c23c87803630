// fc-macos balloon set|get|update|stats: the memory balloon device.
import type { Command } from 'commander';
import { action } from '../../context.ts';
import { UsageError } from '../../errors.ts';
import { parseNonNegativeInt } from '../../flag-parsers.ts';
import { keyValues, mib, table } from '../../format.ts';
import { drop, requests, type TargetFlags, target, vmCommand } from './target.ts';

export function registerBalloon(program: Command): void {
  const balloon = program.command('balloon').description('the memory balloon device');
  vmCommand(balloon, 'set', 'add the balloon device (before boot only)')
    .requiredOption('--amount <mib>', 'target balloon size in MiB', parseNonNegativeInt)
    .option('--deflate-on-oom', 'deflate when the guest runs out of memory (default)')
    .option('--no-deflate-on-oom', 'never deflate on OOM')
    .option('--stats-interval <seconds>', 'statistics polling interval (0 = off)', parseNonNegativeInt)
    .action(
      action<TargetFlags & { amount: number; deflateOnOom?: boolean; statsInterval?: number }>(async (ctx) =>
        (await requests()).write(
          ctx,
          'PUT /balloon',
          drop({
            amount_mib: ctx.opts.amount,
            deflate_on_oom: ctx.opts.deflateOnOom ?? true,
            stats_polling_interval_s: ctx.opts.statsInterval,
          }),
          `balloon set to ${mib(ctx.opts.amount)}`,
        ),
      ),
    );
  vmCommand(balloon, 'get', 'show the balloon configuration').action(
    action<TargetFlags>(async (ctx) => {
      const name = target(ctx);
      const cfg = await (await requests()).read(await ctx.client(), name, '/balloon');
      ctx.out.data({ microvm: name, balloon: cfg });
      ctx.out.line(
        keyValues([
          ['Target', mib(cfg.amount_mib)],
          ['Deflate on OOM', cfg.deflate_on_oom ? 'yes' : 'no'],
          ['Stats interval', cfg.stats_polling_interval_s ? `${cfg.stats_polling_interval_s}s` : 'off'],
        ]),
      );
      return 0;
    }),
  );
  vmCommand(balloon, 'update', 'change the target size or the statistics interval (after boot too)')
    .option('--amount <mib>', 'target balloon size in MiB', parseNonNegativeInt)
    .option('--stats-interval <seconds>', 'statistics polling interval', parseNonNegativeInt)
    .action(
      action<TargetFlags & { amount?: number; statsInterval?: number }>(async (ctx) => {
        const { amount, statsInterval } = ctx.opts;
        if (amount === undefined && statsInterval === undefined) {
          throw new UsageError('balloon update: give --amount and/or --stats-interval');
        }
        const name = target(ctx);
        const client = await ctx.client();
        const { request } = await requests();
        const sent: Array<{ method: string; path: string; body: unknown }> = [];
        if (amount !== undefined)
          sent.push(await request(client, name, 'PATCH /balloon', { amount_mib: amount }));
        if (statsInterval !== undefined) {
          sent.push(
            await request(client, name, 'PATCH /balloon/statistics', {
              stats_polling_interval_s: statsInterval,
            }),
          );
        }
        ctx.out.data({ microvm: name, requests: sent });
        ctx.out.line(`${name}: balloon updated`);
        return 0;
      }),
    );
  vmCommand(balloon, 'stats', 'balloon statistics (needs a stats interval)').action(
    action<TargetFlags>(async (ctx) => {
      const name = target(ctx);
      const stats = await (await requests()).read(await ctx.client(), name, '/balloon/statistics');
      ctx.out.data({ microvm: name, statistics: stats });
      const rows = Object.entries(stats)
        .filter(([, v]) => v !== null && v !== undefined)
        .map(([k, v]) => [k, String(v)]);
      ctx.out.line(table(['STATISTIC', 'VALUE'], rows));
      return 0;
    }),
  );
}
