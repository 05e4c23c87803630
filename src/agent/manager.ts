// The registry of microVMs and everything that changes one: create (launch + configure through
// Firecracker's API), start/stop/kill/pause/resume, delete, adoption after an agent restart, and
// recording how each firecracker ended. The only place firecracker processes are started.
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { closeSync, constants, openSync } from 'node:fs';
import { chmod, mkdir, readdir, rm, unlink, writeFile } from 'node:fs/promises';
import { arch as osArch } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { CLOSE_AGENT_SHUTDOWN, CLOSE_MICROVM_DELETED, CLOSE_MICROVM_EXITED } from '../api/console.ts';
import {
  type CreateMicrovmParams,
  type Microvm,
  type MicrovmState,
  NAME_PATTERN,
  type StopMicrovmResponse,
} from '../api/schemas.ts';
import {
  FirecrackerApiError,
  FirecrackerClient,
  type InstanceInfo,
  launchFirecracker,
  type RawResponse,
} from '../firecracker/index.ts';
import { type AgentConfig, resolveBinary } from './config.ts';
import { ConsoleSession } from './console/session.ts';
import { ApiError, badRequest, conflict, fromFirecrackerError, invalidState, notFound } from './errors.ts';
import { checkHostFile, copySparse, exitCodeFromFiles, tailLinesOfFile } from './files.ts';
import type { Logger } from './log.ts';
import { exitReasonFor, MicrovmEntry, type MicrovmPaths, pathsFor } from './microvm-entry.ts';
import { isSameProcessAlive, readProcStat } from './proc.ts';
import { readRecord, type StoredRecord } from './store.ts';

const execFileP = promisify(execFile);

export const ID_PATTERN = /^[0-9a-f]{16}$/;
export const LAST_CONSOLE_LINES = 20;
/** How often a firecracker that is not our child is checked for life. */
export const ADOPTED_POLL_MS = 500;
/** After SIGKILL, how long until we call the process unkillable. */
const KILL_WAIT_MS = 10_000;
const ADOPT_PROBE_TIMEOUT_MS = 3_000;

export interface StopPlan {
  kind: 'graceful' | 'kill';
  message: string;
}

/** How a stop is done. Pure, so every branch is testable without a guest. */
export function stopPlan(arch: string, state: MicrovmState, force: boolean): StopPlan {
  if (force)
    return { kind: 'kill', message: 'force: firecracker was killed (SIGKILL) without a graceful attempt' };
  if (arch === 'aarch64') {
    return {
      kind: 'kill',
      message:
        'hard stop: Firecracker on aarch64 has no SendCtrlAltDel, so firecracker was killed (SIGKILL); for a clean shutdown run `poweroff` inside the guest (with reboot=k firecracker then exits by itself)',
    };
  }
  if (state === 'created') {
    return {
      kind: 'kill',
      message: 'not booted (state created): there is no guest to shut down, firecracker was killed (SIGKILL)',
    };
  }
  if (state === 'paused') {
    return {
      kind: 'kill',
      message: 'paused: a paused guest cannot act on Ctrl+Alt+Del, so firecracker was killed (SIGKILL)',
    };
  }
  return { kind: 'graceful', message: '' };
}

function waitFor(p: Promise<void>, ms: number): Promise<boolean> {
  return new Promise((resolve) => {
    const timer = setTimeout(() => resolve(false), ms);
    p.then(() => {
      clearTimeout(timer);
      resolve(true);
    });
  });
}

function describeExit(code: number | null, signal: string | null, reason: string): string {
  const how = signal ? `killed by ${signal}` : code === null ? 'exit code unknown' : `exit code ${code}`;
  return `firecracker exited (${how}; reason ${reason})`;
}

function stateFromInstance(info: InstanceInfo): MicrovmState {
  if (info.state === 'Running') return 'running';
  if (info.state === 'Paused') return 'paused';
  return 'created';
}

export interface ManagerOptions {
  config: AgentConfig;
  log: Logger;
  /** Linux arch name (x86_64, aarch64); defaults to this machine's. */
  arch?: string;
}

export class MicrovmManager {
  readonly microvmsDir: string;
  private readonly config: AgentConfig;
  private readonly log: Logger;
  private readonly arch: string;
  private readonly entries = new Map<string, MicrovmEntry>();
  /** name → id, for ready microVMs and for creates in flight (reserved names). */
  private readonly names = new Map<string, string>();
  private readonly reservedIds = new Set<string>();
  private readonly deleting = new Map<string, Promise<Microvm>>();
  private shuttingDown = false;

  constructor(opts: ManagerOptions) {
    this.config = opts.config;
    this.log = opts.log;
    this.arch = opts.arch ?? (osArch() === 'arm64' ? 'aarch64' : osArch() === 'x64' ? 'x86_64' : osArch());
    this.microvmsDir = join(opts.config.stateDir, 'microvms');
  }

  // ---------- registry ----------

  list(): Microvm[] {
    return [...this.entries.values()].map((e) => e.vm).sort((a, b) => a.name.localeCompare(b.name));
  }

  all(): MicrovmEntry[] {
    return [...this.entries.values()];
  }

  /** Exact id, exact name, then a unique id prefix. */
  resolve(idOrName: string): MicrovmEntry {
    if (!NAME_PATTERN.test(idOrName)) {
      throw badRequest(
        `"${idOrName.slice(0, 100)}" is not a microVM id or name (names match ^[a-z0-9][a-z0-9._-]{0,62}$)`,
      );
    }
    const byId = this.entries.get(idOrName);
    if (byId) return byId;
    const id = this.names.get(idOrName);
    if (id !== undefined) {
      const byName = this.entries.get(id);
      if (byName) return byName;
      throw invalidState(`microVM ${idOrName} is still being created`);
    }
    if (/^[0-9a-f]+$/.test(idOrName)) {
      const candidates = [...this.entries.values()].filter((e) => e.vm.id.startsWith(idOrName));
      if (candidates.length === 1 && candidates[0]) return candidates[0];
      if (candidates.length > 1) {
        throw new ApiError(
          409,
          'ambiguous',
          `"${idOrName}" is a prefix of ${candidates.length} microVM ids: give more characters or the name`,
          { candidates: candidates.map((e) => ({ id: e.vm.id, name: e.vm.name })) },
        );
      }
    }
    throw notFound(`no microVM with id or name "${idOrName}"`);
  }

  private nextFreeName(): string {
    for (let n = 1; ; n++) {
      const name = `microvm-${n}`;
      if (!this.names.has(name)) return name;
    }
  }

  private newId(): string {
    for (;;) {
      const id = randomBytes(8).toString('hex');
      if (!this.entries.has(id) && !this.reservedIds.has(id)) return id;
    }
  }

  // ---------- create ----------

  async create(params: CreateMicrovmParams): Promise<Microvm> {
    if (this.shuttingDown) throw new ApiError(503, 'internal', 'fc-agent is shutting down');
    const kernel = params.kernel ?? this.config.kernel;
    const defaultRootfs = params.rootfs === undefined;
    const rootfsSource = params.rootfs ?? this.config.rootfs;
    const drives = assignDriveIds(params.drives);

    // A bare firecracker (configure: false) uses no file of the agent's host yet.
    const checks = !params.configure
      ? []
      : [
          checkHostFile(
            kernel,
            'kernel',
            params.kernel === undefined
              ? ' (the agent\'s default --kernel: run "fc-macos setup" or pass kernel)'
              : '',
          ),
          checkHostFile(
            rootfsSource,
            'rootfs',
            defaultRootfs ? ' (the agent\'s default --rootfs: run "fc-macos setup" or pass rootfs)' : '',
          ),
          ...(params.initrd === undefined ? [] : [checkHostFile(params.initrd, 'initrd')]),
          ...params.drives.map((d, i) => checkHostFile(d.path, `drives.${i}.path`)),
        ];
    const results = await Promise.allSettled(checks);
    const failed = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
    if (failed) throw failed.reason;

    // From here to the first await everything runs in one tick: the name and the slot are
    // reserved before any other create can look at them.
    const name = params.name ?? this.nextFreeName();
    const holder = this.names.get(name);
    if (holder !== undefined) {
      throw conflict(`a microVM named ${name} already exists (id ${holder})`, { name, id: holder });
    }
    const used = this.entries.size + this.reservedIds.size;
    if (used >= this.config.maxMicrovms) {
      throw new ApiError(
        409,
        'limit_reached',
        `the agent already holds ${used} microVMs, its limit (--max-microvms ${this.config.maxMicrovms}): delete some (stopped ones count too) or raise the limit`,
        { limit: this.config.maxMicrovms },
      );
    }
    const id = this.newId();
    this.names.set(name, id);
    this.reservedIds.add(id);
    let ok = false;
    try {
      const vm = await this.launch(id, name, params, { kernel, rootfsSource, defaultRootfs, drives });
      ok = true;
      return vm;
    } finally {
      this.reservedIds.delete(id);
      if (!ok) this.names.delete(name);
    }
  }

  private async launch(
    id: string,
    name: string,
    params: CreateMicrovmParams,
    files: { kernel: string; rootfsSource: string; defaultRootfs: boolean; drives: Microvm['drives'] },
  ): Promise<Microvm> {
    const paths = pathsFor(this.microvmsDir, id);
    let entry: MicrovmEntry | null = null;
    let fifoFd: number | null = null;
    try {
      await mkdir(paths.dir, { mode: 0o700 });
      let rootfs = params.configure ? files.rootfsSource : '';
      if (params.configure && files.defaultRootfs) {
        // Several microVMs writing one ext4 image would corrupt it: each gets its own copy,
        // sparse (or a reflink), so it costs next to nothing up front.
        await copySparse(files.rootfsSource, paths.rootfsCopy);
        rootfs = paths.rootfsCopy;
      }
      for (const f of [paths.consoleLog, paths.firecrackerLog, paths.metrics]) {
        await writeFile(f, '', { mode: 0o600, flag: 'a' });
      }
      await execFileP('mkfifo', ['-m', '600', paths.consoleIn]);
      // O_RDWR: the open never blocks waiting for a writer, and firecracker (which inherits it)
      // is a writer itself, so its stdin never sees EOF when console clients come and go.
      fifoFd = openSync(paths.consoleIn, constants.O_RDWR | constants.O_NONBLOCK);
      const launched = await launchFirecracker({
        binary: resolveBinary(this.config.firecracker),
        socketPath: paths.socket,
        id,
        // Warning: Firecracker's own log is for problems; it goes to firecracker.log, never into
        // the console stream (Firecracker logs to stdout, the serial console, by default).
        level: 'Warning',
        logPath: paths.firecrackerLog,
        stdin: fifoFd,
        stdoutPath: paths.consoleLog,
        stderrPath: paths.firecrackerStderr,
      });
      closeSync(fifoFd);
      fifoFd = null;
      const st = await readProcStat(launched.pid);
      const now = new Date().toISOString();
      const vm: Microvm = {
        id,
        name,
        state: 'created',
        vcpus: params.vcpus,
        memory_mib: params.memory_mib,
        kernel: params.configure ? files.kernel : '',
        rootfs,
        boot_args: params.configure ? params.boot_args : '',
        initrd: params.initrd ?? null,
        drives: files.drives,
        read_only_rootfs: params.read_only_rootfs,
        track_dirty_pages: params.track_dirty_pages,
        smt: params.smt,
        balloon: params.balloon ?? null,
        pid: launched.pid,
        socket_path: paths.socket,
        created_at: now,
        started_at: null,
        exit: null,
        last_console_lines: [],
      };
      const e = new MicrovmEntry(vm, paths, st?.starttime ?? null, files.defaultRootfs, 'creating');
      entry = e;
      e.child = launched.child;
      void launched.exited.then((exit) => this.recordExit(e, exit.code, exit.signal));
      await e.persist();

      const c = e.client;
      await c.putMetrics({ metrics_path: paths.metrics });
      if (params.configure) await this.configure(c, params, files.kernel, rootfs, files.drives);
      // Before booting: the history then holds the first line the guest prints.
      e.session = await ConsoleSession.open({ log: paths.consoleLog, input: paths.consoleIn });
      if (params.start ?? params.configure) {
        await c.instanceStart();
        vm.state = 'running';
        vm.started_at = new Date().toISOString();
      }
      e.phase = 'ready';
      this.entries.set(id, e);
      await e.persist();
      this.log.info('microvm created', { id, name, pid: vm.pid, state: vm.state });
      return vm;
    } catch (err) {
      if (fifoFd !== null) closeSync(fifoFd);
      const apiErr = fromFirecrackerError(err, `creating microVM ${name}`);
      if (entry && entry.vm.exit !== null && !(err instanceof ApiError)) {
        // firecracker died under us: say how, with the end of its log.
        const tail = await tailLinesOfFile(paths.firecrackerLog, 10);
        const exit = entry.vm.exit;
        await this.discard(entry, paths);
        throw new ApiError(
          502,
          'firecracker_unreachable',
          `creating microVM ${name}: ${describeExit(exit.code, exit.signal, 'crashed')} during create${
            err instanceof Error ? ` (${err.message})` : ''
          }`,
          { firecracker_log_tail: tail },
        );
      }
      await this.discard(entry, paths);
      this.log.warn('create failed', { name, error: apiErr.message });
      throw apiErr;
    }
  }

  /** The machine, boot source, root and extra drives, balloon: what `POST /agent/microvms` sets. */
  private async configure(
    c: FirecrackerClient,
    params: CreateMicrovmParams,
    kernel: string,
    rootfs: string,
    drives: Microvm['drives'],
  ): Promise<void> {
    await c.putMachineConfig({
      vcpu_count: params.vcpus,
      mem_size_mib: params.memory_mib,
      smt: params.smt,
      track_dirty_pages: params.track_dirty_pages,
    });
    await c.putBootSource({
      kernel_image_path: kernel,
      boot_args: params.boot_args,
      ...(params.initrd === undefined ? {} : { initrd_path: params.initrd }),
    });
    await c.putDrive('rootfs', {
      drive_id: 'rootfs',
      path_on_host: rootfs,
      is_root_device: true,
      is_read_only: params.read_only_rootfs,
    });
    for (const d of drives) {
      await c.putDrive(d.id, {
        drive_id: d.id,
        path_on_host: d.path,
        is_root_device: false,
        is_read_only: d.read_only,
      });
    }
    if (params.balloon) {
      await c.putBalloon({
        amount_mib: params.balloon.amount_mib,
        deflate_on_oom: params.balloon.deflate_on_oom,
        stats_polling_interval_s: params.balloon.stats_polling_interval_s,
      });
    }
  }

  /** Undoes a failed create: kills its firecracker and removes every file. */
  private async discard(entry: MicrovmEntry | null, paths: MicrovmPaths): Promise<void> {
    if (entry) {
      entry.intent = 'kill';
      if (entry.alive) {
        await entry.signal('SIGKILL');
        await waitFor(entry.gone, KILL_WAIT_MS);
      }
      entry.removed = true;
      await entry.session?.close(CLOSE_MICROVM_DELETED, 'create failed').catch(() => undefined);
      await entry.flushed();
    }
    await rm(paths.dir, { recursive: true, force: true }).catch((err: unknown) => {
      this.log.error('cannot remove microVM directory', { dir: paths.dir, error: err });
    });
  }

  // ---------- exits ----------

  private async recordExit(entry: MicrovmEntry, code: number | null, signal: string | null): Promise<void> {
    if (entry.vm.exit !== null) return;
    if (entry.watcher) {
      clearInterval(entry.watcher);
      entry.watcher = null;
    }
    const reason = exitReasonFor(entry.intent, code, signal);
    const vm = entry.vm;
    // Synchronously, so `alive` turns false before anything else looks.
    vm.exit = { code, signal, reason, at: new Date().toISOString() };
    vm.state = entry.intent === 'stop' ? 'stopped' : 'exited';
    const pid = vm.pid;
    vm.pid = null;
    entry.child = null;
    const how = describeExit(code, signal, reason);
    if (entry.phase === 'ready')
      this.log.info('microvm exited', { id: vm.id, name: vm.name, pid, code, signal, reason });
    try {
      if (entry.session) {
        await entry.session.close(CLOSE_MICROVM_EXITED, how).catch(() => undefined);
        vm.last_console_lines = entry.session.lastLines(LAST_CONSOLE_LINES);
      } else {
        vm.last_console_lines = await tailLinesOfFile(entry.paths.consoleLog, LAST_CONSOLE_LINES);
      }
      // Firecracker leaves its socket file behind.
      await unlink(entry.paths.socket).catch(() => undefined);
      await entry.persist().catch((err: unknown) => {
        if (!entry.removed) this.log.error('cannot write state.json', { id: vm.id, error: err });
      });
    } finally {
      entry.markGone();
    }
  }

  /** For a firecracker that is not our child (adopted after a restart): poll /proc. */
  private watch(entry: MicrovmEntry): void {
    const pid = entry.vm.pid;
    if (pid === null) return;
    let busy = false;
    entry.watcher = setInterval(() => {
      if (busy) return;
      busy = true;
      void (async () => {
        try {
          if (await isSameProcessAlive(pid, entry.pidStart)) return;
          const code = await exitCodeFromFiles(entry.paths.firecrackerLog, entry.paths.consoleLog);
          // We cannot wait() for a process that is not our child; when we killed it we know how.
          const signal = code === null && entry.intent === 'kill' ? 'SIGKILL' : null;
          await this.recordExit(entry, code, signal);
        } finally {
          busy = false;
        }
      })();
    }, ADOPTED_POLL_MS);
    entry.watcher.unref();
  }

  // ---------- adoption after a restart ----------

  /** Loads every state.json and re-adopts the firecrackers still running. */
  async load(): Promise<void> {
    await mkdir(this.microvmsDir, { recursive: true, mode: 0o700 });
    await chmod(this.microvmsDir, 0o700);
    const dirs = (await readdir(this.microvmsDir)).sort();
    for (const id of dirs) {
      if (!ID_PATTERN.test(id)) continue;
      const paths = pathsFor(this.microvmsDir, id);
      const loaded = await readRecord(paths.dir);
      if (!loaded.ok) {
        if (/ENOENT/.test(loaded.reason)) {
          // A create that died before writing anything: only agent-made files are in there.
          this.log.warn('removing unfinished microVM directory', { dir: paths.dir });
          await rm(paths.dir, { recursive: true, force: true }).catch(() => undefined);
        } else {
          this.log.error('skipping microVM directory', { dir: paths.dir, reason: loaded.reason });
        }
        continue;
      }
      try {
        await this.adopt(loaded.record, paths);
      } catch (err) {
        this.log.error('cannot load microVM', { dir: paths.dir, error: err });
      }
    }
  }

  private async adopt(record: StoredRecord, paths: MicrovmPaths): Promise<void> {
    const vm = record.microvm;
    const pid = vm.pid;
    const sameAlive =
      pid !== null && vm.exit === null && (await isSameProcessAlive(pid, record.pid_starttime));
    if (record.phase === 'creating') {
      // The previous agent died mid-create: nobody got an answer, so undo it.
      if (sameAlive && pid !== null) {
        try {
          process.kill(pid, 'SIGKILL');
        } catch {
          // Gone already.
        }
      }
      this.log.warn('removing microVM whose create never finished', { id: vm.id, name: vm.name });
      await rm(paths.dir, { recursive: true, force: true });
      return;
    }
    const entry = new MicrovmEntry(vm, paths, record.pid_starttime, record.rootfs_copied, 'ready');
    entry.intent = record.intent;
    if (this.names.has(vm.name)) {
      this.log.error('two microVM records share a name; skipping the second', { id: vm.id, name: vm.name });
      return;
    }
    this.entries.set(vm.id, entry);
    this.names.set(vm.name, vm.id);
    try {
      entry.session = await ConsoleSession.open({ log: paths.consoleLog, input: paths.consoleIn });
    } catch (err) {
      this.log.warn('console history unavailable', { id: vm.id, error: err });
    }

    if (vm.exit !== null) {
      await entry.session?.close(
        CLOSE_MICROVM_EXITED,
        describeExit(vm.exit.code, vm.exit.signal, vm.exit.reason),
      );
      return;
    }
    let info: InstanceInfo | null = null;
    if (sameAlive) {
      try {
        info = await new FirecrackerClient(paths.socket, {
          timeoutMs: ADOPT_PROBE_TIMEOUT_MS,
        }).describeInstance();
      } catch (err) {
        this.log.warn('firecracker does not answer on its socket', { id: vm.id, pid, error: err });
      }
    }
    if (sameAlive && info && pid !== null) {
      // Whatever stop or kill the previous agent was doing died with it.
      entry.intent = null;
      vm.state = stateFromInstance(info);
      if (vm.state !== 'created' && vm.started_at === null) vm.started_at = new Date().toISOString();
      this.watch(entry);
      await entry.persist();
      this.log.info('microvm adopted', { id: vm.id, name: vm.name, pid, state: vm.state });
      return;
    }
    if (sameAlive && pid !== null) {
      // Ours, but hung: nothing can manage it any more, and leaving it would leak a VM.
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        // Gone meanwhile.
      }
    }
    // Not our child: its exit status is gone; firecracker's own log may still say it.
    const code = await exitCodeFromFiles(paths.firecrackerLog, paths.consoleLog);
    await this.recordExit(entry, code, null);
    this.log.info('microvm found not running', { id: vm.id, name: vm.name, exit: entry.vm.exit });
  }

  // ---------- lifecycle ----------

  private requireAlive(entry: MicrovmEntry, what: string): void {
    if (!entry.alive) {
      throw invalidState(
        `cannot ${what} microVM ${entry.vm.name}: its firecracker is not running (state ${entry.vm.state}); a microVM cannot be restarted, create a new one`,
        { state: entry.vm.state },
      );
    }
  }

  start(entry: MicrovmEntry): Promise<Microvm> {
    return entry.lock.run(async () => {
      this.requireAlive(entry, 'start');
      if (entry.vm.state !== 'created') {
        throw invalidState(
          `cannot start microVM ${entry.vm.name}: it is ${entry.vm.state}, start only boots a microVM in state created`,
          { state: entry.vm.state },
        );
      }
      try {
        await entry.client.instanceStart();
      } catch (err) {
        throw fromFirecrackerError(err, `starting microVM ${entry.vm.name}`);
      }
      if (entry.alive) {
        entry.vm.state = 'running';
        entry.vm.started_at = new Date().toISOString();
        await entry.persist();
      }
      return entry.vm;
    });
  }

  pause(entry: MicrovmEntry): Promise<Microvm> {
    return this.pauseResume(entry, 'pause');
  }

  resume(entry: MicrovmEntry): Promise<Microvm> {
    return this.pauseResume(entry, 'resume');
  }

  private pauseResume(entry: MicrovmEntry, op: 'pause' | 'resume'): Promise<Microvm> {
    return entry.lock.run(async () => {
      this.requireAlive(entry, op);
      const need: MicrovmState = op === 'pause' ? 'running' : 'paused';
      if (entry.vm.state !== need) {
        throw invalidState(`cannot ${op} microVM ${entry.vm.name}: it is ${entry.vm.state}, not ${need}`, {
          state: entry.vm.state,
        });
      }
      try {
        if (op === 'pause') await entry.client.pause();
        else await entry.client.resume();
      } catch (err) {
        throw fromFirecrackerError(
          err,
          `${op === 'pause' ? 'pausing' : 'resuming'} microVM ${entry.vm.name}`,
        );
      }
      if (entry.alive) {
        entry.vm.state = op === 'pause' ? 'paused' : 'running';
        await entry.persist();
      }
      return entry.vm;
    });
  }

  /** SIGKILL and wait until the exit is recorded. */
  private async hardKill(entry: MicrovmEntry): Promise<void> {
    const sent = await entry.signal('SIGKILL');
    if (await waitFor(entry.gone, sent ? KILL_WAIT_MS : ADOPTED_POLL_MS * 4)) return;
    if (!sent && entry.vm.pid !== null && !(await isSameProcessAlive(entry.vm.pid, entry.pidStart))) {
      await this.recordExit(entry, null, null);
      return;
    }
    throw new ApiError(
      500,
      'internal',
      `firecracker (pid ${entry.vm.pid}) of microVM ${entry.vm.name} did not exit after SIGKILL`,
    );
  }

  kill(entry: MicrovmEntry): Promise<Microvm> {
    // Not under the lock: a kill must be able to cut a slow stop short.
    return (async () => {
      this.requireAlive(entry, 'kill');
      entry.intent = 'kill';
      await entry.persist();
      await this.hardKill(entry);
      return entry.vm;
    })();
  }

  stop(entry: MicrovmEntry, req: { timeout_s: number; force: boolean }): Promise<StopMicrovmResponse> {
    return entry.lock.run(async () => {
      this.requireAlive(entry, 'stop');
      const plan = stopPlan(this.arch, entry.vm.state, req.force);
      entry.intent = 'stop';
      entry.vm.state = 'stopping';
      await entry.persist();
      const result = (graceful: boolean, method: StopMicrovmResponse['stop']['method'], message: string) => {
        const reason = entry.vm.exit?.reason;
        if (reason !== undefined && reason !== 'stopped') {
          return {
            microvm: entry.vm,
            stop: {
              graceful: false,
              method,
              message: `the stop was overtaken: firecracker ended with reason ${reason}`,
            },
          };
        }
        return { microvm: entry.vm, stop: { graceful, method, message } };
      };
      if (plan.kind === 'kill') {
        await this.hardKill(entry);
        return result(false, 'kill', plan.message);
      }
      try {
        await entry.client.sendCtrlAltDel();
      } catch (err) {
        // Refused by Firecracker: no graceful path, kill. A broken connection is different: the
        // guest may already be going down with the answer in flight, so wait as for a sent one.
        if (err instanceof FirecrackerApiError) {
          await this.hardKill(entry);
          return result(
            false,
            'kill',
            `Firecracker refused SendCtrlAltDel (${err.message}): firecracker was killed (SIGKILL) instead`,
          );
        }
        this.log.debug('SendCtrlAltDel got no answer', { id: entry.vm.id, error: err });
      }
      if (await waitFor(entry.gone, req.timeout_s * 1000)) {
        return result(
          true,
          'ctrl_alt_del',
          `the guest shut down after Ctrl+Alt+Del within ${req.timeout_s}s`,
        );
      }
      await this.hardKill(entry);
      return result(
        false,
        'ctrl_alt_del_then_kill',
        `the guest did not shut down within ${req.timeout_s}s of Ctrl+Alt+Del: firecracker was killed (SIGKILL)`,
      );
    });
  }

  /** Kills a live firecracker, then removes the record and every file of the microVM. */
  remove(entry: MicrovmEntry): Promise<Microvm> {
    const pending = this.deleting.get(entry.vm.id);
    if (pending) return pending;
    const p = (async () => {
      if (entry.alive) {
        // Attached clients learn it was deleted (4001), not just that it exited (4000): close
        // their session before the kill records the exit.
        await entry.session?.close(CLOSE_MICROVM_DELETED, 'microVM deleted').catch(() => undefined);
        entry.intent = 'kill';
        await this.hardKill(entry);
      }
      return entry.lock.run(async () => {
        entry.removed = true;
        if (entry.watcher) clearInterval(entry.watcher);
        await entry.session?.close(CLOSE_MICROVM_DELETED, 'microVM deleted').catch(() => undefined);
        this.entries.delete(entry.vm.id);
        if (this.names.get(entry.vm.name) === entry.vm.id) this.names.delete(entry.vm.name);
        await entry.flushed();
        await rm(entry.paths.dir, { recursive: true, force: true });
        this.log.info('microvm deleted', { id: entry.vm.id, name: entry.vm.name });
        return entry.vm;
      });
    })();
    this.deleting.set(entry.vm.id, p);
    p.finally(() => this.deleting.delete(entry.vm.id)).catch(() => undefined);
    return p;
  }

  // ---------- Firecracker API passthrough ----------

  async passthrough(
    entry: MicrovmEntry,
    method: string,
    pathAndQuery: string,
    body: Buffer | undefined,
    contentType: string | undefined,
  ): Promise<RawResponse> {
    const notRunning = (): ApiError =>
      invalidState(
        `microVM ${entry.vm.name}'s firecracker is not running (state ${entry.vm.state}): the passthrough never starts one; create a new microVM`,
        { state: entry.vm.state },
      );
    if (!entry.alive) throw notRunning();
    const headers: Record<string, string> = contentType ? { 'content-type': contentType } : {};
    const long = pathAndQuery.startsWith('/snapshot/') ? { timeoutMs: 300_000 } : {};
    const send = async (): Promise<RawResponse> => {
      try {
        return await entry.client.request(method, pathAndQuery, body, headers, long);
      } catch (err) {
        if (
          !entry.alive ||
          (entry.vm.pid !== null && !(await isSameProcessAlive(entry.vm.pid, entry.pidStart)))
        ) {
          throw notRunning();
        }
        throw fromFirecrackerError(err, `${method} ${pathAndQuery} on microVM ${entry.vm.name}`);
      }
    };
    // Reads never change anything and need no lock.
    if (method === 'GET' || method === 'HEAD') return send();
    return entry.lock.run(async () => {
      if (!entry.alive) throw notRunning();
      const res = await send();
      if (res.status >= 200 && res.status < 300) await this.syncFromFirecracker(entry);
      return res;
    });
  }

  /** After a write through the passthrough: state and configuration as Firecracker now has them. */
  private async syncFromFirecracker(entry: MicrovmEntry): Promise<void> {
    if (!entry.alive) return;
    const vm = entry.vm;
    try {
      const info = await entry.client.describeInstance();
      if (!entry.alive) return;
      const state = stateFromInstance(info);
      if (state !== vm.state && vm.state !== 'stopping') {
        if (vm.state === 'created' && state !== 'created') vm.started_at = new Date().toISOString();
        vm.state = state;
      }
    } catch (err) {
      this.log.debug('state refresh failed', { id: vm.id, error: err });
      return;
    }
    try {
      const cfg = await entry.client.getVmConfig();
      if (!entry.alive) return;
      const machine = cfg['machine-config'];
      if (machine) {
        vm.vcpus = machine.vcpu_count;
        vm.memory_mib = machine.mem_size_mib;
        if (typeof machine.smt === 'boolean') vm.smt = machine.smt;
        if (typeof machine.track_dirty_pages === 'boolean') vm.track_dirty_pages = machine.track_dirty_pages;
      }
      const boot = cfg['boot-source'];
      if (boot) {
        vm.kernel = boot.kernel_image_path;
        vm.boot_args = boot.boot_args ?? vm.boot_args;
        vm.initrd = boot.initrd_path ?? null;
      }
      if (cfg.drives) {
        const drives: Microvm['drives'] = [];
        for (const d of cfg.drives) {
          const path = typeof d.path_on_host === 'string' ? d.path_on_host : '';
          const readOnly = d.is_read_only === true;
          if (d.is_root_device) {
            vm.rootfs = path;
            vm.read_only_rootfs = readOnly;
          } else {
            drives.push({ id: d.drive_id, path, read_only: readOnly });
          }
        }
        vm.drives = drives;
      }
      const balloon = cfg.balloon;
      if (balloon && typeof balloon.amount_mib === 'number') {
        vm.balloon = {
          amount_mib: balloon.amount_mib,
          deflate_on_oom: balloon.deflate_on_oom === true,
          stats_polling_interval_s:
            typeof balloon.stats_polling_interval_s === 'number' ? balloon.stats_polling_interval_s : 0,
        };
      }
    } catch (err) {
      this.log.debug('config refresh failed', { id: vm.id, error: err });
    }
    await entry
      .persist()
      .catch((err: unknown) => this.log.error('cannot write state.json', { id: vm.id, error: err }));
  }

  // ---------- shutdown ----------

  get isShuttingDown(): boolean {
    return this.shuttingDown;
  }

  /** Ends console clients; with stopVms, stops every microVM first (they keep running otherwise). */
  async shutdown(stopVms: boolean): Promise<void> {
    this.shuttingDown = true;
    if (stopVms) {
      await Promise.all(
        this.all()
          .filter((e) => e.alive)
          .map((e) =>
            this.stop(e, { timeout_s: 5, force: false }).catch((err: unknown) =>
              this.log.error('stop on exit failed', { id: e.vm.id, error: err }),
            ),
          ),
      );
    }
    for (const e of this.all()) {
      if (e.watcher) clearInterval(e.watcher);
      await e.session?.close(CLOSE_AGENT_SHUTDOWN, 'fc-agent is shutting down').catch(() => undefined);
    }
  }
}

/** Extra drives get ids drive1, drive2, … where none was given; duplicates are refused. */
function assignDriveIds(drives: CreateMicrovmParams['drives']): Microvm['drives'] {
  const taken = new Set<string>();
  for (const [i, d] of drives.entries()) {
    if (d.id === undefined) continue;
    if (taken.has(d.id)) {
      throw new ApiError(400, 'validation_failed', `drives.${i}.id: "${d.id}" is used by another drive`, {
        field: `drives.${i}.id`,
      });
    }
    taken.add(d.id);
  }
  let n = 1;
  return drives.map((d) => {
    let id = d.id;
    if (id === undefined) {
      while (taken.has(`drive${n}`)) n++;
      id = `drive${n}`;
      taken.add(id);
    }
    return { id, path: d.path, read_only: d.read_only };
  });
}
