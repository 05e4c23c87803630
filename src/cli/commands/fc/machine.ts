// fc-macos machine config|info|version: vCPUs, memory, state and version of the VMM.
import type { Command } from 'commander';
import type { MachineConfigurationUpdate } from '../../../client/firecracker-schemas.ts';
import { action } from '../../context.ts';
import { CPU_TEMPLATES, parseCpuTemplate, parseMemory, parseVcpus } from '../../flag-parsers.ts';
import { keyValues, mib } from '../../format.ts';
import { drop, requests, type TargetFlags, target, vmCommand } from './target.ts';

interface MachineFlags extends TargetFlags {
  vcpus?: number;
  memory?: number;
  smt?: boolean;
  trackDirtyPages?: boolean;
  cpuTemplate?: MachineConfigurationUpdate['cpu_template'];
}

export function registerMachine(program: Command): void {
  const machine = program.command('machine').description('vCPUs, memory, state and version of the VMM');
  vmCommand(
    machine,
    'config',
    'set vCPUs/memory/SMT/dirty-page tracking (before boot only); no flags: show them',
  )
    .option('--vcpus <n>', 'vCPUs (1-32)', parseVcpus)
    .option('--memory <mib>', 'memory in MiB (>= 64)', parseMemory)
    .option('--smt', 'simultaneous multithreading on (x86_64 only)')
    .option('--no-smt', 'simultaneous multithreading off')
    .option('--track-dirty-pages', 'track dirty pages (for Diff snapshots)')
    .option('--no-track-dirty-pages', 'do not track dirty pages')
    .option(
      '--cpu-template <name>',
      `CPU template (${CPU_TEMPLATES}; deprecated by Firecracker)`,
      parseCpuTemplate,
    )
    .action(
      action<MachineFlags>(async (ctx) => {
        const o = ctx.opts;
        const api = await requests();
        const body: MachineConfigurationUpdate = drop({
          vcpu_count: o.vcpus,
          mem_size_mib: o.memory,
          smt: o.smt,
          track_dirty_pages: o.trackDirtyPages,
          cpu_template: o.cpuTemplate,
        });
        if (Object.keys(body).length > 0) {
          const what = [
            o.vcpus !== undefined ? `${o.vcpus} vCPUs` : '',
            o.memory !== undefined ? mib(o.memory) : '',
            o.smt !== undefined ? `SMT ${o.smt ? 'on' : 'off'}` : '',
            o.trackDirtyPages !== undefined ? `dirty-page tracking ${o.trackDirtyPages ? 'on' : 'off'}` : '',
            o.cpuTemplate ? `CPU template ${o.cpuTemplate}` : '',
          ].filter(Boolean);
          return api.write(ctx, 'PATCH /machine-config', body, `machine config set (${what.join(', ')})`);
        }
        const name = target(ctx);
        const cfg = await api.read(await ctx.client(), name, '/machine-config');
        ctx.out.data({ microvm: name, machine_config: cfg });
        ctx.out.line(
          keyValues([
            ['vCPUs', String(cfg.vcpu_count)],
            ['Memory', mib(cfg.mem_size_mib)],
            ['SMT', cfg.smt ? 'on' : 'off'],
            ['Dirty pages', cfg.track_dirty_pages ? 'tracked' : 'not tracked'],
            ['CPU template', cfg.cpu_template ?? 'None'],
          ]),
        );
        return 0;
      }),
    );
  vmCommand(machine, 'info', "the VMM's instance info (GET /)").action(
    action<TargetFlags>(async (ctx) => {
      const name = target(ctx);
      const info = await (await requests()).read(await ctx.client(), name, '/');
      ctx.out.data({ microvm: name, instance_info: info });
      ctx.out.line(
        keyValues([
          ['ID', info.id],
          ['State', info.state],
          ['VMM', `${info.app_name} ${info.vmm_version}`],
        ]),
      );
      return 0;
    }),
  );
  vmCommand(machine, 'version', "the microVM's Firecracker version (GET /version)").action(
    action<TargetFlags>(async (ctx) => {
      const name = target(ctx);
      const body = await (await requests()).readOrNull(await ctx.client(), name, '/version');
      const version = body?.firecracker_version ?? null;
      ctx.out.data({ microvm: name, firecracker_version: version });
      ctx.out.line(`Firecracker ${version ?? 'unknown'}`);
      return 0;
    }),
  );
}
