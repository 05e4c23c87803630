// fc-macos boot set|get: the guest kernel, initrd and boot arguments (Firecracker's /boot-source).
import type { Command } from 'commander';
import { action } from '../../context.ts';
import { parseBootArgs, parseHostPath } from '../../flag-parsers.ts';
import { keyValues } from '../../format.ts';
import { drop, requests, type TargetFlags, target, vmCommand } from './target.ts';

export function registerBoot(program: Command): void {
  const boot = program
    .command('boot')
    .description("the guest kernel, initrd and boot arguments (Firecracker's /boot-source)");
  vmCommand(boot, 'set', 'set the kernel (before boot only)')
    .requiredOption('--kernel <path>', 'kernel image on the agent host', parseHostPath)
    .option('--boot-args <args>', 'kernel command line', parseBootArgs)
    .option('--initrd <path>', 'initrd on the agent host', parseHostPath)
    .action(
      action<TargetFlags & { kernel: string; bootArgs?: string; initrd?: string }>(async (ctx) =>
        (await requests()).write(
          ctx,
          'PUT /boot-source',
          drop({
            kernel_image_path: ctx.opts.kernel,
            boot_args: ctx.opts.bootArgs,
            initrd_path: ctx.opts.initrd,
          }),
          `boot source set (kernel ${ctx.opts.kernel})`,
        ),
      ),
    );
  vmCommand(boot, 'get', 'show the boot source').action(
    action<TargetFlags>(async (ctx) => {
      const name = target(ctx);
      const { vmConfig } = await requests();
      const src = (await vmConfig(await ctx.client(), name))['boot-source'] ?? null;
      ctx.out.data({ microvm: name, boot_source: src });
      if (!src) ctx.out.line(`${name}: no boot source set`);
      else
        ctx.out.line(
          keyValues([
            ['Kernel', src.kernel_image_path],
            ['Boot args', src.boot_args ?? '-'],
            ['Initrd', src.initrd_path ?? '-'],
          ]),
        );
      return 0;
    }),
  );
}
