// The VMM's state machine: which actions are allowed before and after InstanceStart, the checks
// Firecracker makes on each resource, and the texts it answers with.
import { closeSync, openSync, readFileSync, readSync, writeFileSync, writeSync } from 'node:fs';
import { connect, createServer, type Server, type Socket } from 'node:net';
import type { GuestConsole } from './console.ts';
import { ioErrorText } from './errno.ts';
import { Fault, notModelled, POST_BOOT, PRE_BOOT } from './faults.ts';
import { openAppendTarget } from './files.ts';
import type { HttpResponse } from './http.ts';
import { logger, parseLevel } from './logger.ts';
import type { Json } from './serde.ts';
import {
  type BalloonConfig,
  type DriveConfig,
  defaultResources,
  fullConfigJson,
  machineJson,
  normaliseRateLimiter,
  type Phase,
  sortedJson,
  type VmResources,
} from './state.ts';

type Body = Record<string, Json>;
const VERSION = '1.14.4';
const MAX_VCPUS = 32;
const SNAPSHOT_MAGIC = 'fc-double-snapshot';
const MEMORY_MAGIC = 'fc-double-memory';

const ok = (): HttpResponse => ({ status: 204 });
const json = (body: string): HttpResponse => ({ status: 200, body });
const str = (v: Json | undefined): string | null => (typeof v === 'string' ? v : null);

export interface VmmHooks {
  /** Ends the process after the current response went out. */
  exitAfterResponse(code: number, lines: string[], stderr: string): void;
}

export class Vmm {
  phase: Phase = 'Not started';
  resources: VmResources = defaultResources();
  /** Set by any boot-specific configuration; forbids snapshot/load afterwards. */
  private bootPath = false;
  private metricsFd: number | undefined;
  private vsockServer: Server | undefined;
  private readonly startedAt = Date.now();
  private requests = 0;

  constructor(
    readonly id: string,
    private readonly console: GuestConsole,
    private readonly hooks: VmmHooks,
  ) {}

  private get started(): boolean {
    return this.phase !== 'Not started';
  }

  preBootOnly(fn: () => HttpResponse): HttpResponse {
    if (this.started) throw new Fault(POST_BOOT);
    return fn();
  }

  private postBootOnly(fn: () => HttpResponse): HttpResponse {
    if (!this.started) throw new Fault(PRE_BOOT);
    return fn();
  }

  /** Firecracker only allows these after boot; before it the double answers as it does. */
  postBootNotModelled(what: string): HttpResponse {
    return this.postBootOnly(() => {
      throw notModelled(what);
    });
  }

  instanceInfo(): HttpResponse {
    return json(
      JSON.stringify({ id: this.id, state: this.phase, vmm_version: VERSION, app_name: 'Firecracker' }),
    );
  }

  version(): HttpResponse {
    return json(JSON.stringify({ firecracker_version: VERSION }));
  }

  getMachineConfig(): HttpResponse {
    return json(JSON.stringify(machineJson(this.resources.machine)));
  }

  getFullConfig(): HttpResponse {
    if (!this.started)
      logger.warn(
        'main',
        'If the VM was restored from snapshot, boot-source, machine-config.smt, and machine-config.cpu_template will all be empty.',
      );
    return json(JSON.stringify(fullConfigJson(this.resources)));
  }

  getMmds(): HttpResponse {
    const v = this.resources.mmds;
    return json(v === undefined || v === null ? '{}' : sortedJson(v));
  }

  putMmds(v: Json): HttpResponse {
    this.resources.mmds = v;
    return ok();
  }

  patchMmds(patch: Json): HttpResponse {
    if (this.resources.mmds === undefined)
      throw new Fault('MMDS error: The MMDS data store is not initialized.');
    this.resources.mmds = mergePatch(this.resources.mmds, patch);
    return ok();
  }

  putMmdsConfig(b: Body): HttpResponse {
    return this.preBootOnly(() => {
      const ifaces = (b.network_interfaces as string[]) ?? [];
      if (ifaces.length === 0)
        throw new Fault(
          'MMMDS config error: The list of network interface IDs that allow forwarding MMDS requests is empty.',
        );
      if (!ifaces.every((i) => this.resources.nets.some((n) => n.iface_id === i)))
        throw new Fault(
          'MMMDS config error: The list of network interface IDs provided contains at least one ID that does not correspond to any existing network interface.',
        );
      this.bootPath = true;
      this.resources.mmdsConfig = {
        version: str(b.version) ?? 'V1',
        network_interfaces: ifaces,
        ipv4_address: str(b.ipv4_address) ?? '169.254.169.254',
        imds_compat: b.imds_compat === true,
      };
      return ok();
    });
  }

  putMachineConfig(b: Body, full: boolean): HttpResponse {
    return this.preBootOnly(() => {
      this.bootPath = true;
      const cur = this.resources.machine;
      const pick = <T>(k: string, fallback: T): T =>
        b[k] === undefined || b[k] === null ? fallback : (b[k] as T);
      const vcpu = pick('vcpu_count', cur.vcpu_count);
      const smt = pick('smt', full ? false : cur.smt);
      if (vcpu === 0 || vcpu > MAX_VCPUS || (smt && vcpu > 1 && vcpu % 2 === 1))
        throw new Fault(
          `Machine config error: The number of vCPUs must be greater than 0, less than ${MAX_VCPUS} and must be 1 or an even number if SMT is enabled.`,
        );
      const mem = pick('mem_size_mib', cur.mem_size_mib);
      const huge = pick('huge_pages', full ? 'None' : cur.huge_pages);
      if (mem === 0 || (huge === '2M' && mem % 2 !== 0))
        throw new Fault(
          'Machine config error: The memory size (MiB) is either 0, or not a multiple of the configured page size.',
        );
      if (this.resources.balloon && mem < this.resources.balloon.amount_mib)
        throw new Fault(
          'Machine config error: The memory size (MiB) is smaller than the previously set balloon device target size.',
        );
      const template =
        b.cpu_template === undefined || b.cpu_template === null ? cur.cpu_template : String(b.cpu_template);
      this.resources.machine = {
        vcpu_count: vcpu,
        mem_size_mib: mem,
        smt,
        cpu_template: template === 'None' ? undefined : template,
        track_dirty_pages: pick('track_dirty_pages', full ? false : cur.track_dirty_pages),
        huge_pages: huge,
      };
      return ok();
    });
  }

  putBootSource(b: Body): HttpResponse {
    return this.preBootOnly(() => {
      this.bootPath = true;
      const kernel = String(b.kernel_image_path);
      try {
        closeSync(openSync(kernel, 'r'));
      } catch (e) {
        throw new Fault(`Boot source error: The kernel file cannot be opened: ${ioErrorText(e)}`);
      }
      const initrd = str(b.initrd_path);
      if (initrd !== null) {
        try {
          closeSync(openSync(initrd, 'r'));
        } catch (e) {
          throw new Fault(
            `Boot source error: The initrd file cannot be opened due to invalid path or invalid permissions. ${ioErrorText(e)}`,
          );
        }
      }
      const args = str(b.boot_args);
      if (args !== null && args.length >= 2048)
        throw new Fault(
          'Boot source error: The kernel command line is invalid: Command line string too large',
        );
      this.resources.bootSource = { kernel_image_path: kernel, initrd_path: initrd, boot_args: args };
      return ok();
    });
  }

  putDrive(b: Body): HttpResponse {
    return this.preBootOnly(() => {
      this.bootPath = true;
      const drives = this.resources.drives;
      const id = String(b.drive_id);
      const pos = drives.findIndex((d) => d.drive_id === id);
      const root = b.is_root_device === true;
      if (root && drives[0]?.is_root_device && pos !== 0)
        throw new Fault('Drive config error: A root block device already exists!');
      if (str(b.socket) !== null) throw notModelled('vhost-user block devices (drive socket)');
      const path = str(b.path_on_host);
      if (path === null)
        throw new Fault(
          'Drive config error: Unable to create the virtio block device: Invalid block config.',
        );
      const readOnly = b.is_read_only === true;
      try {
        closeSync(openSync(path, readOnly ? 'r' : 'r+'));
      } catch (e) {
        throw new Fault(
          `Drive config error: Unable to create the virtio block device: Virtio backend error: Error manipulating the backing file: ${ioErrorText(e)} ${path}`,
        );
      }
      const drive: DriveConfig = {
        drive_id: id,
        partuuid: str(b.partuuid),
        is_root_device: root,
        cache_type: str(b.cache_type) ?? 'Unsafe',
        is_read_only: readOnly,
        path_on_host: path,
        rate_limiter: rateLimiterOrNull(b.rate_limiter),
        io_engine: str(b.io_engine) ?? 'Sync',
        socket: null,
      };
      if (pos === -1) {
        if (root) drives.unshift(drive);
        else drives.push(drive);
      } else {
        drives[pos] = drive;
        if (pos !== 0 && root) [drives[0], drives[pos]] = [drive, drives[0] as DriveConfig];
      }
      return ok();
    });
  }

  patchDrive(b: Body): HttpResponse {
    return this.postBootOnly(() => {
      const drive = this.resources.drives.find((d) => d.drive_id === b.drive_id);
      if (!drive)
        throw new Fault(
          'Drive config error: Unable to patch the block device: Failed perform action on device: Device not found Please verify the request arguments.',
        );
      const path = str(b.path_on_host);
      if (path !== null) {
        try {
          closeSync(openSync(path, drive.is_read_only ? 'r' : 'r+'));
        } catch (e) {
          throw new Fault(
            `Drive config error: Unable to patch the block device: Block: Virtio backend error: Error manipulating the backing file: ${ioErrorText(e)} ${path} Please verify the request arguments.`,
          );
        }
        drive.path_on_host = path;
      }
      if (b.rate_limiter !== undefined && b.rate_limiter !== null)
        drive.rate_limiter = rateLimiterOrNull(b.rate_limiter);
      return ok();
    });
  }

  putNetwork(b: Body): HttpResponse {
    return this.preBootOnly(() => {
      this.bootPath = true;
      const id = String(b.iface_id);
      const tap = String(b.host_dev_name);
      if (tap.length === 0 || tap.length > 15)
        throw new Fault(
          'Network config error: Could not create the network device: Open tap device failed: Invalid interface name',
        );
      const mac = str(b.guest_mac)?.toLowerCase() ?? null;
      if (mac !== null && this.resources.nets.some((n) => n.guest_mac === mac && n.iface_id !== id))
        throw new Fault(`Network config error: The MAC address is already in use: ${mac}`);
      const net = {
        iface_id: id,
        host_dev_name: tap,
        guest_mac: mac,
        rx_rate_limiter: rateLimiterOrNull(b.rx_rate_limiter),
        tx_rate_limiter: rateLimiterOrNull(b.tx_rate_limiter),
      };
      const i = this.resources.nets.findIndex((n) => n.iface_id === id);
      if (i === -1) this.resources.nets.push(net);
      else this.resources.nets[i] = net;
      return ok();
    });
  }

  patchNetwork(b: Body): HttpResponse {
    return this.postBootOnly(() => {
      const net = this.resources.nets.find((n) => n.iface_id === b.iface_id);
      if (!net)
        throw new Fault(
          'Network config error: Unable to update the net device: Failed perform action on device: Device not found',
        );
      if (b.rx_rate_limiter) net.rx_rate_limiter = rateLimiterOrNull(b.rx_rate_limiter);
      if (b.tx_rate_limiter) net.tx_rate_limiter = rateLimiterOrNull(b.tx_rate_limiter);
      return ok();
    });
  }

  async putVsock(b: Body): Promise<HttpResponse> {
    if (this.started) throw new Fault(POST_BOOT);
    this.bootPath = true;
    const udsPath = String(b.uds_path);
    // Firecracker binds the host side at once; the double listens too (and refuses traffic).
    if (this.resources.vsock?.uds_path !== udsPath || !this.vsockServer) {
      const server = createServer((s) => this.vsockConnection(s));
      try {
        await new Promise<void>((resolve, reject) => {
          server.once('error', reject);
          server.listen(udsPath, () => resolve());
        });
      } catch (e) {
        throw new Fault(
          `Vsock config error: Cannot create backend for vsock device: Error binding to the host-side Unix socket: ${ioErrorText(e)}`,
        );
      }
      this.vsockServer?.close();
      this.vsockServer = server;
    }
    this.resources.vsock = { guest_cid: Number(b.guest_cid), uds_path: udsPath };
    return ok();
  }

  /**
   * Test-only: with FC_DOUBLE_GUEST_SOCKET set, a started double answers `CONNECT <port>` like
   * Firecracker and relays the connection to that Unix socket (fc-guest --listen-unix), standing in
   * for the guest. Without it, or before InstanceStart, the connection is closed as when nothing
   * listens in the guest.
   */
  private vsockConnection(s: Socket): void {
    const guest = process.env.FC_DOUBLE_GUEST_SOCKET;
    if (!guest || !this.started) {
      s.destroy();
      return;
    }
    let line = '';
    const onData = (chunk: Buffer): void => {
      line += chunk.toString('latin1');
      const nl = line.indexOf('\n');
      if (nl < 0) {
        if (line.length > 32) s.destroy();
        return;
      }
      s.off('data', onData);
      s.pause();
      if (!/^CONNECT \d+$/.test(line.slice(0, nl))) {
        s.destroy();
        return;
      }
      const rest = Buffer.from(line.slice(nl + 1), 'latin1');
      const g = connect(guest);
      g.once('connect', () => {
        s.write('OK 1073741824\n');
        if (rest.length > 0) g.write(rest);
        s.pipe(g);
        g.pipe(s);
        s.resume();
      });
      g.on('error', () => s.destroy());
      s.on('error', () => g.destroy());
      s.on('close', () => g.destroy());
    };
    s.on('data', onData);
  }

  putEntropy(b: Body): HttpResponse {
    return this.preBootOnly(() => {
      this.bootPath = true;
      this.resources.entropy = { rate_limiter: rateLimiterOrNull(b.rate_limiter) };
      return ok();
    });
  }

  putBalloon(b: Body): HttpResponse {
    return this.preBootOnly(() => {
      this.bootPath = true;
      const amount = Number(b.amount_mib);
      if (amount > this.resources.machine.mem_size_mib)
        throw new Fault('Balloon config error: Amount of pages requested is too large.');
      if (b.free_page_hinting === true || b.free_page_reporting === true)
        throw notModelled('balloon free page hinting and reporting');
      this.resources.balloon = {
        amount_mib: amount,
        deflate_on_oom: b.deflate_on_oom === true,
        stats_polling_interval_s: Number(b.stats_polling_interval_s ?? 0),
        free_page_hinting: false,
        free_page_reporting: false,
      };
      return ok();
    });
  }

  getBalloon(): HttpResponse {
    const balloon = this.resources.balloon;
    if (!balloon) {
      if (this.started)
        throw new Fault('Internal VMM error: Failed perform action on device: Device not found');
      throw new Fault('Balloon config error: No balloon device found.');
    }
    return json(JSON.stringify(balloon));
  }

  private runningBalloon(): BalloonConfig {
    const balloon = this.resources.balloon;
    if (!balloon) throw new Fault('Internal VMM error: Failed perform action on device: Device not found');
    return balloon;
  }

  getBalloonStats(): HttpResponse {
    return this.postBootOnly(() => {
      const balloon = this.runningBalloon();
      if (balloon.stats_polling_interval_s === 0)
        throw new Fault('Internal VMM error: Balloon: Received stats query when stats are disabled.');
      // What a guest with a balloon driver would report: nothing in use beyond the target.
      const total = this.resources.machine.mem_size_mib * 1024 * 1024;
      const target = balloon.amount_mib;
      return json(
        JSON.stringify({
          target_pages: target * 256,
          actual_pages: target * 256,
          target_mib: target,
          actual_mib: target,
          swap_in: 0,
          swap_out: 0,
          major_faults: 0,
          minor_faults: 0,
          free_memory: total - target * 1024 * 1024,
          total_memory: total,
          available_memory: total - target * 1024 * 1024,
          disk_caches: 0,
          hugetlb_allocations: 0,
          hugetlb_failures: 0,
        }),
      );
    });
  }

  patchBalloon(b: Body): HttpResponse {
    const balloon = this.resources.balloon;
    if (!this.started) throw new Fault(PRE_BOOT);
    if (!balloon) throw new Fault('Balloon update error: Failed perform action on device: Device not found');
    const amount = Number(b.amount_mib);
    if (amount > this.resources.machine.mem_size_mib)
      throw new Fault('Balloon update error: Balloon: Amount of pages requested is too large.');
    balloon.amount_mib = amount;
    return ok();
  }

  patchBalloonStats(b: Body): HttpResponse {
    if (!this.started) throw new Fault(PRE_BOOT);
    const balloon = this.resources.balloon;
    if (!balloon) throw new Fault('Balloon update error: Failed perform action on device: Device not found');
    const interval = Number(b.stats_polling_interval_s);
    if ((balloon.stats_polling_interval_s === 0) !== (interval === 0))
      throw new Fault(
        'Balloon update error: Balloon: Statistics cannot be enabled/disabled after activation.',
      );
    balloon.stats_polling_interval_s = interval;
    return ok();
  }

  putLogger(b: Body): HttpResponse {
    return this.preBootOnly(() => {
      const path = str(b.log_path);
      if (path !== null) {
        try {
          logger.setFd(openAppendTarget(path));
        } catch (e) {
          throw new Fault(`Logger error: Failed to open target file: ${ioErrorText(e)}`);
        }
      }
      const level = str(b.level);
      if (level !== null) logger.level = parseLevel(level) ?? logger.level;
      if (typeof b.show_level === 'boolean') logger.showLevel = b.show_level;
      if (typeof b.show_log_origin === 'boolean') logger.showOrigin = b.show_log_origin;
      return ok();
    });
  }

  putMetrics(b: Body): HttpResponse {
    return this.preBootOnly(() => {
      if (this.metricsFd !== undefined)
        throw new Fault(
          'Metrics error: Cannot initialize the metrics system due to bad user input: Reinitialization of metrics not allowed.',
        );
      try {
        this.metricsFd = openAppendTarget(String(b.metrics_path));
      } catch (e) {
        throw new Fault(
          `Metrics error: Cannot initialize the metrics system due to bad user input: ${ioErrorText(e)}`,
        );
      }
      return ok();
    });
  }

  putSerial(b: Body): HttpResponse {
    return this.preBootOnly(() => {
      const path = str(b.serial_out_path);
      if (path !== null) this.console.setOutputPath(path);
      return ok();
    });
  }

  action(type: string): HttpResponse {
    if (type === 'InstanceStart') return this.preBootOnly(() => this.start());
    return this.postBootOnly(() => {
      if (type === 'FlushMetrics') this.flushMetrics();
      else this.console.ctrlAltDel();
      return ok();
    });
  }

  private start(): HttpResponse {
    const kernel = this.resources.bootSource.kernel_image_path;
    if (kernel === '')
      throw new Fault('Start microvm error: Cannot start microvm without kernel configuration.');
    const loadError = checkElf(kernel);
    if (loadError !== undefined)
      throw new Fault(
        `Start microvm error: System configuration error: Cannot load kernel due to invalid memory configuration or invalid kernel image: Kernel Loader: failed to load ELF kernel image: Kernel Loader: ${loadError}`,
      );
    this.phase = 'Running';
    this.console.boot(this.resources);
    return ok();
  }

  pause(): HttpResponse {
    return this.postBootOnly(() => {
      this.phase = 'Paused';
      this.console.pause();
      return ok();
    });
  }

  resume(): HttpResponse {
    return this.postBootOnly(() => {
      this.phase = 'Running';
      this.console.resume();
      return ok();
    });
  }

  flushMetrics(): void {
    this.requests++;
    if (this.metricsFd === undefined) return;
    const line = {
      utc_timestamp_ms: Date.now(),
      api_server: { process_startup_time_us: 0, process_startup_time_cpu_us: 0 },
      balloon: { activate_fails: 0, inflate_count: 0, stats_updates_count: 0, deflate_count: 0 },
      block: { activate_fails: 0, read_count: 0, write_count: 0, read_bytes: 0, write_bytes: 0 },
      net: {
        activate_fails: 0,
        rx_packets_count: 0,
        tx_packets_count: 0,
        rx_bytes_count: 0,
        tx_bytes_count: 0,
      },
      uart: { read_count: this.console.readCount, write_count: this.console.writeCount, error_count: 0 },
      vcpu: { exit_io_in: 0, exit_io_out: 0, exit_mmio_read: 0, exit_mmio_write: 0, failures: 0 },
      vmm: { panic_count: 0 },
      fc_double: { uptime_ms: Date.now() - this.startedAt, flushes: this.requests },
    };
    try {
      writeSync(this.metricsFd, `${JSON.stringify(line)}\n`);
    } catch {
      // A FIFO nobody reads: Firecracker drops the line too.
    }
  }

  createSnapshot(b: Body): HttpResponse {
    return this.postBootOnly(() => {
      if (this.phase !== 'Paused')
        throw new Fault(
          'Create snapshot error: Cannot save the microVM state: Operation not allowed: save/restore unavailable while running',
        );
      const statePath = String(b.snapshot_path);
      const memPath = String(b.mem_file_path);
      const snapshot = {
        magic: SNAPSHOT_MAGIC,
        vmm_version: VERSION,
        snapshot_type: b.snapshot_type ?? 'Full',
        resources: this.resources,
      };
      try {
        writeFileSync(statePath, `${JSON.stringify(snapshot)}\n`);
      } catch (e) {
        throw new Fault(
          `Create snapshot error: Cannot perform open on the snapshot backing file: ${ioErrorText(e)}`,
        );
      }
      try {
        writeFileSync(
          memPath,
          `${JSON.stringify({ magic: MEMORY_MAGIC, mem_size_mib: this.resources.machine.mem_size_mib })}\n`,
        );
      } catch (e) {
        throw new Fault(
          `Create snapshot error: Cannot save the microVM memory: Cannot create memory file: ${ioErrorText(e)}`,
        );
      }
      return ok();
    });
  }

  async loadSnapshot(b: Body): Promise<HttpResponse> {
    if (this.started) throw new Fault(POST_BOOT);
    if (this.bootPath)
      throw new Fault(
        'Load snapshot error: Loading a microVM snapshot not allowed after configuring boot-specific resources.',
      );
    const backend = b.mem_backend as Body | null | undefined;
    if (backend && backend.backend_type === 'Uffd')
      throw notModelled('UFFD memory backends for snapshot/load');
    const memPath = backend ? String(backend.backend_path) : String(b.mem_file_path);
    const fatal = (why: string): never => {
      const message = `Load snapshot error: Failed to restore from snapshot: ${why}`;
      this.hooks.exitAfterResponse(
        1,
        ['RunWithApiError error: Failed to build MicroVM: Loading snapshot failed..'],
        'Error: RunWithApi(BuildMicroVmError(Restore))',
      );
      throw new Fault(message);
    };
    let raw: string;
    try {
      raw = readFileSync(String(b.snapshot_path), 'utf8');
    } catch (e) {
      return fatal(`Failed to get snapshot state from file: Failed to open snapshot file: ${ioErrorText(e)}`);
    }
    let snapshot: { magic?: string; resources?: VmResources } | undefined;
    try {
      snapshot = JSON.parse(raw);
    } catch {
      snapshot = undefined;
    }
    if (snapshot?.magic !== SNAPSHOT_MAGIC || !snapshot.resources)
      return fatal(
        `fc-double does not model loading snapshots it did not create: ${String(b.snapshot_path)}`,
      );
    let mem: { magic?: string } | undefined;
    try {
      mem = JSON.parse(readFileSync(memPath, 'utf8'));
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code) return fatal(`Failed to load guest memory: ${ioErrorText(e)}`);
    }
    if (mem?.magic !== MEMORY_MAGIC)
      return fatal(`fc-double does not model loading memory files it did not write: ${memPath}`);
    const restored = snapshot.resources;
    // As Firecracker: overrides rename the snapshot's taps by iface_id before anything is built.
    for (const o of Array.isArray(b.network_overrides) ? (b.network_overrides as Body[]) : []) {
      const net = restored.nets.find((n) => n.iface_id === o.iface_id);
      if (!net) return fatal('Failed to get snapshot state from file: Unknown Network Device.');
      net.host_dev_name = String(o.host_dev_name);
    }
    // Each drive is opened again at the path the snapshot holds: a relative one against this
    // process's working directory, as Firecracker's OpenOptions::open does.
    for (const d of restored.drives) {
      if (d.path_on_host === null) continue;
      try {
        closeSync(openSync(d.path_on_host, d.is_read_only ? 'r' : 'r+'));
      } catch (e) {
        return fatal(
          `Failed to build microVM from snapshot: Failed to restore devices: Error restoring MMIO devices: Block: Virtio backend error: Error manipulating the backing file: ${ioErrorText(e)} ${d.path_on_host}`,
        );
      }
    }
    // The vsock's host side is bound again at the snapshot's uds_path (1.14 has no override).
    if (restored.vsock) {
      const server = createServer((s) => this.vsockConnection(s));
      const udsPath = restored.vsock.uds_path;
      const bound = await new Promise<unknown>((resolve) => {
        server.once('error', resolve);
        server.listen(udsPath, () => resolve(null));
      });
      if (bound !== null)
        return fatal(
          `Failed to build microVM from snapshot: Failed to restore devices: Error restoring MMIO devices: VsockUnixBackend: Error binding to the host-side Unix socket: ${ioErrorText(bound)}`,
        );
      this.vsockServer?.close();
      this.vsockServer = server;
    }
    this.resources = restored;
    this.resources.machine.track_dirty_pages =
      b.track_dirty_pages === true || b.enable_diff_snapshots === true;
    this.phase = 'Paused';
    this.console.boot(this.resources, { restored: true });
    this.console.pause();
    if (b.resume_vm === true) this.resume();
    return ok();
  }

  close(): void {
    this.vsockServer?.close();
  }
}

function rateLimiterOrNull(v: Json | undefined): Json {
  const r = normaliseRateLimiter(v);
  if (r && typeof r === 'object' && !Array.isArray(r) && r.bandwidth === null && r.ops === null) return null;
  return r;
}

/** What linux-loader says about a file that is not a loadable ELF kernel, if anything. */
function checkElf(path: string): string | undefined {
  let fd: number;
  try {
    fd = openSync(path, 'r');
  } catch {
    return 'Unable to read elf header';
  }
  try {
    const head = Buffer.alloc(64);
    const n = readSync(fd, head, 0, 64, 0);
    if (n < 64) return 'Unable to read elf header';
    if (head.subarray(0, 4).toString('latin1') !== '\x7fELF') return 'Invalid Elf magic number';
    if (head[4] !== 2) return 'Unsupported ELF file class';
    if (head[5] !== 1) return 'Unsupported ELF file endianness';
    return undefined;
  } finally {
    closeSync(fd);
  }
}

/** RFC 7396, as Firecracker's PATCH /mmds applies it. */
function mergePatch(target: Json, patch: Json): Json {
  if (patch === null || typeof patch !== 'object' || Array.isArray(patch)) return patch;
  const out: Record<string, Json> =
    target !== null && typeof target === 'object' && !Array.isArray(target) ? { ...target } : {};
  for (const [k, v] of Object.entries(patch)) {
    if (v === null) delete out[k];
    else out[k] = mergePatch(out[k] ?? null, v);
  }
  return out;
}
