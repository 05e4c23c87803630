// Firecracker API commands (boot, drives, network, machine, actions, snapshots, metrics, balloon):
// each sends one request through the agent's passthrough (`ANY .../firecracker/<path>`), or the
// agent's own route where the agent must know (start, pause, resume, stop). Reads come from
// GET /vm/config. Every command names its microVM as NAME or --name NAME.
import { type Command, InvalidArgumentError } from 'commander';
import type { AgentClient } from '../../client/agent-client.ts';
import { AgentApiError } from '../../client/errors.ts';
import {
  balloonResponse,
  balloonStats,
  type FullVmConfiguration,
  firecrackerVersion,
  fullVmConfiguration,
  instanceInfo,
  machineConfigurationResponse,
} from '../../client/firecracker-schemas.ts';
import { action, type CommandContext } from '../context.ts';
import { CliError, FirecrackerFaultError, UsageError } from '../errors.ts';
import {
  CPU_TEMPLATES,
  parseBootArgs,
  parseCpuTemplate,
  parseHostPath,
  parseMemory,
  parseNonNegativeInt,
  parseStopTimeout,
  parseTokenBucket,
  parseVcpus,
} from '../flags.ts';
import { keyValues, mib, table } from '../format.ts';
import { nameFrom } from './microvm.ts';

interface TargetFlags {
  name?: string;
}

/** A subcommand that takes its microVM as NAME or --name NAME. */
function vmCommand(parent: Command, name: string, description: string): Command {
  return parent
    .command(name)
    .description(description)
    .argument('[NAME]', 'microVM name or id (or --name)')
    .option('--name <name>', 'microVM name or id');
}

function target(ctx: CommandContext<TargetFlags>): string {
  return nameFrom(
    ctx.args[0],
    ctx.opts.name,
    ctx.cmd.parent ? `${ctx.cmd.parent.name()} ${ctx.cmd.name()}` : ctx.cmd.name(),
  );
}

function faultOf(body: unknown): string {
  if (body && typeof body === 'object') {
    const b = body as { fault_message?: unknown; error?: unknown };
    if (typeof b.fault_message === 'string') return b.fault_message;
    if (typeof b.error === 'string') return b.error;
  }
  return typeof body === 'string' && body !== '' ? body : 'no fault message';
}

/** One passthrough request; Firecracker's refusal becomes a FirecrackerFaultError. */
async function fc(
  client: AgentClient,
  name: string,
  method: string,
  path: string,
  body?: unknown,
): Promise<unknown> {
  const res = await client.firecracker(name, method, path, body);
  if (res.status >= 400) throw new FirecrackerFaultError(name, method, path, res.status, faultOf(res.body));
  return res.body;
}

async function vmConfig(client: AgentClient, name: string): Promise<FullVmConfiguration> {
  const body = await fc(client, name, 'GET', '/vm/config');
  const r = fullVmConfiguration.safeParse(body);
  if (!r.success)
    throw new CliError('firecracker_error', `GET /vm/config on microVM ${name} answered an unexpected shape`);
  return r.data;
}

/** Runs a write, then reports it the same way for every command. */
async function write(
  ctx: CommandContext<TargetFlags>,
  method: string,
  path: string,
  body: unknown,
  done: string,
): Promise<number> {
  const name = target(ctx);
  await fc(await ctx.client(), name, method, path, body);
  ctx.out.data({ microvm: name, request: { method, path, body: body ?? null } });
  ctx.out.line(`${name}: ${done}`);
  return 0;
}

function pretty(value: unknown): string {
  return JSON.stringify(value, null, 2);
}

function drop<T extends Record<string, unknown>>(obj: T): T {
  for (const k of Object.keys(obj)) if (obj[k] === undefined) delete obj[k];
  return obj;
}

const ID_PATTERN = /^[A-Za-z0-9_]{1,64}$/;

function parseDeviceId(value: string): string {
  if (!ID_PATTERN.test(value)) {
    throw new InvalidArgumentError('must be 1-64 letters, digits or "_"');
  }
  return value;
}

function registerBoot(program: Command): void {
  const boot = program
    .command('boot')
    .description("the guest kernel, initrd and boot arguments (Firecracker's /boot-source)");
  vmCommand(boot, 'set', 'set the kernel (before boot only)')
    .requiredOption('--kernel <path>', 'kernel image on the agent host', parseHostPath)
    .option('--boot-args <args>', 'kernel command line', parseBootArgs)
    .option('--initrd <path>', 'initrd on the agent host', parseHostPath)
    .action(
      action<TargetFlags & { kernel: string; bootArgs?: string; initrd?: string }>((ctx) =>
        write(
          ctx,
          'PUT',
          '/boot-source',
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

function registerDrives(program: Command): void {
  const drives = program.command('drives').description("block devices (Firecracker's /drives)");
  vmCommand(drives, 'add', 'attach a block device (before boot only)')
    .requiredOption('--id <id>', 'drive id (letters, digits, "_")', parseDeviceId)
    .requiredOption('--path <path>', 'image file on the agent host', parseHostPath)
    .option('--ro', 'read-only')
    .option('--root', 'the root device (replaces the current one)')
    .action(
      action<TargetFlags & { id: string; path: string; ro?: boolean; root?: boolean }>((ctx) =>
        write(
          ctx,
          'PUT',
          `/drives/${ctx.opts.id}`,
          {
            drive_id: ctx.opts.id,
            path_on_host: ctx.opts.path,
            is_root_device: ctx.opts.root === true,
            is_read_only: ctx.opts.ro === true,
          },
          `drive ${ctx.opts.id} added (${ctx.opts.path}${ctx.opts.ro ? ', read-only' : ''}${ctx.opts.root ? ', root' : ''})`,
        ),
      ),
    );
  vmCommand(drives, 'update', 'point a drive at another file (after boot too: the guest must re-read it)')
    .requiredOption('--id <id>', 'drive id', parseDeviceId)
    .requiredOption('--path <path>', 'image file on the agent host', parseHostPath)
    .action(
      action<TargetFlags & { id: string; path: string }>((ctx) =>
        write(
          ctx,
          'PATCH',
          `/drives/${ctx.opts.id}`,
          { drive_id: ctx.opts.id, path_on_host: ctx.opts.path },
          `drive ${ctx.opts.id} now ${ctx.opts.path}`,
        ),
      ),
    );
  vmCommand(drives, 'list', 'list the block devices').action(
    action<TargetFlags>(async (ctx) => {
      const name = target(ctx);
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

interface RateFlags {
  rxBandwidth?: { size: number; refill_time: number };
  rxOps?: { size: number; refill_time: number };
  txBandwidth?: { size: number; refill_time: number };
  txOps?: { size: number; refill_time: number };
}

function registerNetwork(program: Command): void {
  const net = program
    .command('network')
    .description("network interfaces (Firecracker's /network-interfaces)");
  vmCommand(net, 'add', 'attach a network interface backed by a tap device (before boot only)')
    .requiredOption('--id <id>', 'interface id (letters, digits, "_")', parseDeviceId)
    .requiredOption('--tap <tap>', 'tap device on the agent host')
    .option('--mac <mac>', 'guest MAC address, e.g. 06:00:AC:10:00:02')
    .action(
      action<TargetFlags & { id: string; tap: string; mac?: string }>((ctx) => {
        if (ctx.opts.mac !== undefined && !/^([0-9A-Fa-f]{2}:){5}[0-9A-Fa-f]{2}$/.test(ctx.opts.mac)) {
          throw new UsageError(
            `--mac ${JSON.stringify(ctx.opts.mac)}: must be six hex pairs like 06:00:AC:10:00:02`,
          );
        }
        return write(
          ctx,
          'PUT',
          `/network-interfaces/${ctx.opts.id}`,
          drop({ iface_id: ctx.opts.id, host_dev_name: ctx.opts.tap, guest_mac: ctx.opts.mac }),
          `interface ${ctx.opts.id} added (tap ${ctx.opts.tap})`,
        );
      }),
    );
  const bucket = 'SIZE:REFILL_MS';
  vmCommand(net, 'update', 'change the rate limiters of an interface')
    .requiredOption('--id <id>', 'interface id', parseDeviceId)
    .option(`--rx-bandwidth <${bucket}>`, 'receive limit: bytes per refill period', parseTokenBucket)
    .option(`--rx-ops <${bucket}>`, 'receive limit: packets per refill period', parseTokenBucket)
    .option(`--tx-bandwidth <${bucket}>`, 'transmit limit: bytes per refill period', parseTokenBucket)
    .option(`--tx-ops <${bucket}>`, 'transmit limit: packets per refill period', parseTokenBucket)
    .action(
      action<TargetFlags & RateFlags & { id: string }>((ctx) => {
        const o = ctx.opts;
        const rx = drop({ bandwidth: o.rxBandwidth, ops: o.rxOps });
        const tx = drop({ bandwidth: o.txBandwidth, ops: o.txOps });
        if (Object.keys(rx).length === 0 && Object.keys(tx).length === 0) {
          throw new UsageError(
            'network update: give at least one of --rx-bandwidth, --rx-ops, --tx-bandwidth, --tx-ops',
          );
        }
        const body = drop({
          iface_id: o.id,
          rx_rate_limiter: Object.keys(rx).length ? rx : undefined,
          tx_rate_limiter: Object.keys(tx).length ? tx : undefined,
        });
        return write(
          ctx,
          'PATCH',
          `/network-interfaces/${o.id}`,
          body,
          `interface ${o.id} rate limiters updated`,
        );
      }),
    );
  vmCommand(net, 'list', 'list the network interfaces').action(
    action<TargetFlags>(async (ctx) => {
      const name = target(ctx);
      const list = (await vmConfig(await ctx.client(), name))['network-interfaces'] ?? [];
      ctx.out.data({ microvm: name, network_interfaces: list });
      const rows = list.map((n) => [
        n.iface_id,
        n.host_dev_name,
        typeof n.guest_mac === 'string' ? n.guest_mac : '-',
      ]);
      ctx.out.line(rows.length ? table(['ID', 'TAP', 'MAC'], rows) : `${name}: no network interfaces`);
      return 0;
    }),
  );
}

function registerMachine(program: Command): void {
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
      action<
        TargetFlags & {
          vcpus?: number;
          memory?: number;
          smt?: boolean;
          trackDirtyPages?: boolean;
          cpuTemplate?: string;
        }
      >(async (ctx) => {
        const o = ctx.opts;
        const body = drop({
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
          return write(ctx, 'PATCH', '/machine-config', body, `machine config set (${what.join(', ')})`);
        }
        const name = target(ctx);
        const cfg = machineConfigurationResponse.parse(
          await fc(await ctx.client(), name, 'GET', '/machine-config'),
        );
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
      const info = instanceInfo.parse(await fc(await ctx.client(), name, 'GET', '/'));
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
      const body = firecrackerVersion.safeParse(await fc(await ctx.client(), name, 'GET', '/version'));
      const version = body.success ? body.data.firecracker_version : null;
      ctx.out.data({ microvm: name, firecracker_version: version });
      ctx.out.line(`Firecracker ${version ?? 'unknown'}`);
      return 0;
    }),
  );
}

function registerActions(program: Command): void {
  const actions = program.command('actions').description('boot, pause, resume, stop, flush metrics');
  vmCommand(actions, 'start', 'boot a created microVM (InstanceStart)').action(
    action<TargetFlags>(async (ctx) => {
      const vm = await (await ctx.client()).start(target(ctx));
      ctx.out.data(vm);
      ctx.out.line(`started ${vm.name}: \`fc-macos microvm shell ${vm.name}\` attaches its console`);
      return 0;
    }),
  );
  for (const op of ['pause', 'resume'] as const) {
    vmCommand(actions, op, op === 'pause' ? 'pause the vCPUs' : 'resume the vCPUs').action(
      action<TargetFlags>(async (ctx) => {
        const client = await ctx.client();
        const vm = await (op === 'pause' ? client.pause(target(ctx)) : client.resume(target(ctx)));
        ctx.out.data(vm);
        ctx.out.line(`${op === 'pause' ? 'paused' : 'resumed'} ${vm.name}`);
        return 0;
      }),
    );
  }
  vmCommand(
    actions,
    'stop',
    'stop: Ctrl+Alt+Del where the architecture has it (x86_64), else a kill; the agent says which',
  )
    .option('-f, --force', 'kill at once')
    .option('-t, --timeout <seconds>', 'grace period before the kill (0-600)', parseStopTimeout, 10)
    .action(
      action<TargetFlags & { force?: boolean; timeout: number }>(async (ctx) => {
        const r = await (await ctx.client()).stop(target(ctx), {
          force: ctx.opts.force ?? false,
          timeout_s: ctx.opts.timeout,
        });
        ctx.out.data(r);
        ctx.out.line(`stopped ${r.microvm.name}${r.stop.message ? `: ${r.stop.message}` : ''}`);
        return 0;
      }),
    );
  vmCommand(actions, 'flush-metrics', 'write the metrics now (FlushMetrics)').action(
    action<TargetFlags>((ctx) =>
      write(ctx, 'PUT', '/actions', { action_type: 'FlushMetrics' }, 'metrics flushed'),
    ),
  );
}

function registerSnapshots(program: Command): void {
  const snaps = program.command('snapshots').alias('snapshot').description('save and restore microVM state');
  vmCommand(snaps, 'create', 'snapshot a paused microVM')
    .requiredOption('--snapshot-path <path>', 'state file to write on the agent host', parseHostPath)
    .requiredOption('--mem-path <path>', 'memory file to write on the agent host', parseHostPath)
    .option('--type <type>', 'Full or Diff (Diff needs --track-dirty-pages)', parseSnapshotType, 'Full')
    .action(
      action<TargetFlags & { snapshotPath: string; memPath: string; type: 'Full' | 'Diff' }>(async (ctx) => {
        const name = target(ctx);
        const vm = await (await ctx.client()).getMicrovm(name);
        if (vm.state !== 'paused') {
          throw new CliError(
            'invalid_state',
            `microVM ${vm.name} is ${vm.state}: a snapshot needs a paused microVM (\`fc-macos microvm pause ${vm.name}\` first)`,
          );
        }
        return write(
          ctx,
          'PUT',
          '/snapshot/create',
          {
            snapshot_type: ctx.opts.type,
            snapshot_path: ctx.opts.snapshotPath,
            mem_file_path: ctx.opts.memPath,
          },
          `${ctx.opts.type} snapshot written to ${ctx.opts.snapshotPath} (memory ${ctx.opts.memPath})`,
        );
      }),
    );
  vmCommand(snaps, 'load', 'restore a snapshot into a microVM that was never booted')
    .requiredOption('--snapshot-path <path>', 'state file on the agent host', parseHostPath)
    .requiredOption('--mem-path <path>', 'memory file on the agent host', parseHostPath)
    .option('--resume', 'resume the restored microVM at once (else it stays paused)')
    .action(
      action<TargetFlags & { snapshotPath: string; memPath: string; resume?: boolean }>(async (ctx) => {
        const name = target(ctx);
        const vm = await (await ctx.client()).getMicrovm(name);
        if (vm.state !== 'created') {
          throw new CliError(
            'invalid_state',
            `microVM ${vm.name} is ${vm.state}: a snapshot loads only into a fresh microVM with nothing configured (\`fc-macos microvm create --bare\` makes one)`,
          );
        }
        return write(
          ctx,
          'PUT',
          '/snapshot/load',
          {
            snapshot_path: ctx.opts.snapshotPath,
            mem_backend: { backend_type: 'File', backend_path: ctx.opts.memPath },
            resume_vm: ctx.opts.resume === true,
          },
          `snapshot ${ctx.opts.snapshotPath} loaded${ctx.opts.resume ? ' and resumed' : ' (paused)'}`,
        );
      }),
    );
}

function parseSnapshotType(value: string): 'Full' | 'Diff' {
  if (value === 'Full' || value === 'Diff') return value;
  throw new InvalidArgumentError('must be Full or Diff');
}

function registerMetrics(program: Command): void {
  const metrics = program.command('metrics').description("Firecracker's metrics");
  vmCommand(metrics, 'get', 'flush the metrics, then print the newest line').action(
    action<TargetFlags>(async (ctx) => {
      const name = target(ctx);
      const client = await ctx.client();
      await fc(client, name, 'PUT', '/actions', { action_type: 'FlushMetrics' });
      let text: string;
      try {
        text = await client.logs(name, { source: 'metrics', tail: 1 });
      } catch (err) {
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
      ctx.out.line(pretty(parsed));
      return 0;
    }),
  );
}

function registerBalloon(program: Command): void {
  const balloon = program.command('balloon').description('the memory balloon device');
  vmCommand(balloon, 'set', 'add the balloon device (before boot only)')
    .requiredOption('--amount <mib>', 'target balloon size in MiB', parseNonNegativeInt)
    .option('--deflate-on-oom', 'deflate when the guest runs out of memory (default)')
    .option('--no-deflate-on-oom', 'never deflate on OOM')
    .option('--stats-interval <seconds>', 'statistics polling interval (0 = off)', parseNonNegativeInt)
    .action(
      action<TargetFlags & { amount: number; deflateOnOom?: boolean; statsInterval?: number }>((ctx) =>
        write(
          ctx,
          'PUT',
          '/balloon',
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
      const cfg = balloonResponse.parse(await fc(await ctx.client(), name, 'GET', '/balloon'));
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
        const requests: Array<{ method: string; path: string; body: unknown }> = [];
        if (amount !== undefined)
          requests.push({ method: 'PATCH', path: '/balloon', body: { amount_mib: amount } });
        if (statsInterval !== undefined) {
          requests.push({
            method: 'PATCH',
            path: '/balloon/statistics',
            body: { stats_polling_interval_s: statsInterval },
          });
        }
        for (const r of requests) await fc(client, name, r.method, r.path, r.body);
        ctx.out.data({ microvm: name, requests });
        ctx.out.line(`${name}: balloon updated`);
        return 0;
      }),
    );
  vmCommand(balloon, 'stats', 'balloon statistics (needs a stats interval)').action(
    action<TargetFlags>(async (ctx) => {
      const name = target(ctx);
      const stats = balloonStats.parse(await fc(await ctx.client(), name, 'GET', '/balloon/statistics'));
      ctx.out.data({ microvm: name, statistics: stats });
      const rows = Object.entries(stats)
        .filter(([, v]) => v !== null && v !== undefined)
        .map(([k, v]) => [k, String(v)]);
      ctx.out.line(table(['STATISTIC', 'VALUE'], rows));
      return 0;
    }),
  );
}

export function registerFirecrackerApi(program: Command): void {
  registerBoot(program);
  registerDrives(program);
  registerNetwork(program);
  registerMachine(program);
  registerActions(program);
  registerSnapshots(program);
  registerMetrics(program);
  registerBalloon(program);
}
