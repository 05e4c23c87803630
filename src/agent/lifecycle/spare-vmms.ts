// Firecracker processes started ahead of creates. A create takes one that is already listening on
// its API socket and renames its directory into place, so neither a fork of the agent (≈5 ms on an
// idle host, ≈90 ms under emulation) nor firecracker's own start-up is on the create's path.
//
// A spare is launched exactly as a create launches firecracker (launch.ts: same binary, flags,
// stdio files and console FIFO), with its paths relative to its directory, so moving the
// directory changes nothing the process sees. Its id is the id the microVM gets. The one call
// every create makes first, PUT /metrics, is made ahead too (the same file, by its relative name).
//
// Spares live in <state-dir>/spare-vmms/<id>/, owner-only, each with spare.json naming its pid:
// an agent that died leaves them running, and the next start kills them (only a process whose
// working directory is that spare's, never a recycled pid) before emptying the directory. A spare
// launched from a binary that changed since (setup upgraded firecracker) is killed, never used.
// --spare-vmms 0 turns them off: every create then launches its own.
import { readFileSync, readlinkSync, statSync, writeFileSync } from 'node:fs';
import { chmod, mkdir, readdir, rm } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { FirecrackerClient, killProcessGroup, type LaunchedFirecracker } from '../../firecracker/index.ts';
import { type AgentConfig, resolveBinary } from '../config.ts';
import { KILL_WAIT_MS } from '../constants.ts';
import { fileIdentity } from '../files.ts';
import type { Logger } from '../log.ts';
import { type MicrovmPaths, pathsFor } from '../microvm-entry.ts';
import { isSameProcessAlive, readProcStat } from '../proc.ts';
import { launchInDirectory, makeLogFiles, openConsoleFifo } from './launch.ts';
import type { MicrovmRegistry } from './registry.ts';
import { mkfifo } from './spares.ts';
import { waitFor } from './supervise.ts';

export const SPARE_VMMS_DIR = 'spare-vmms';
/** In a spare's directory: {"pid": N}, for killing it after the agent that made it died. */
export const SPARE_RECORD = 'spare.json';

/** A running firecracker handed to a create; its directory is the create's to rename. */
export interface SpareVmm {
  readonly id: string;
  readonly dir: string;
  readonly launched: LaunchedFirecracker;
  /** Of its process (field 22 of /proc/<pid>/stat). */
  readonly starttime: number | null;
}

interface Pending {
  readonly id: string;
  readonly paths: MicrovmPaths;
  /** The binary it was launched from (path and identity); null when it could not be read. */
  readonly stamp: string | null;
  /** The running firecracker with its metrics file set; null when it could not be launched (logged). */
  launched: Promise<LaunchedFirecracker | null>;
  starttime: number | null;
  exited: boolean;
}

/** Path and identity of the firecracker binary a launch would use now. */
function binaryStamp(firecracker: string): string | null {
  const path = resolveBinary(firecracker);
  try {
    return `${path}:${fileIdentity(statSync(path, { bigint: true }))}`;
  } catch {
    return null;
  }
}

export class SpareVmms {
  private readonly root: string;
  private readonly ready: Pending[] = [];
  private making = false;
  private enabled = false;

  constructor(
    stateDir: string,
    private readonly config: Pick<AgentConfig, 'firecracker' | 'spareVmms'>,
    private readonly log: Logger,
    private readonly ids: Pick<MicrovmRegistry, 'freshId' | 'isIdFree'>,
  ) {
    this.root = join(stateDir, SPARE_VMMS_DIR);
  }

  /** Kills the spares an earlier agent left running, starts afresh and launches the first one. */
  async prepare(): Promise<void> {
    await this.killLeftovers();
    await rm(this.root, { recursive: true, force: true });
    if (this.config.spareVmms === 0) return;
    await mkdir(this.root, { mode: 0o700 });
    await chmod(this.root, 0o700);
    this.enabled = true;
    this.refillSoon();
  }

  /**
   * A running spare for a create, or null when none is ready or usable (the create launches its
   * own). Waits for a spare still starting: that is sooner than launching another.
   */
  async take(): Promise<SpareVmm | null> {
    // Only the spares there are now: ones launched meanwhile (a refill) are for later creates.
    for (let left = this.ready.length; left > 0; left--) {
      const spare = this.ready.shift();
      if (spare === undefined) break;
      const launched = await spare.launched;
      // /proc as well as the exit event: a spare killed a moment ago may not be reaped yet.
      const alive =
        launched !== null && !spare.exited && (await isSameProcessAlive(launched.pid, spare.starttime));
      const why =
        launched === null
          ? 'it could not be launched'
          : !alive
            ? 'it exited'
            : !this.ids.isIdFree(spare.id)
              ? 'its id is taken'
              : binaryStamp(this.config.firecracker) !== spare.stamp
                ? 'the firecracker binary changed since it was launched'
                : null;
      if (launched !== null && why === null) {
        return { id: spare.id, dir: spare.paths.dir, launched, starttime: spare.starttime };
      }
      this.log.info(`spare firecracker not used: ${why}`, { id: spare.id });
      await this.discard(spare);
    }
    return null;
  }

  /** Launches a new spare soon, off the path of the create that used the last one. */
  refillSoon(): void {
    if (!this.enabled || this.making || this.ready.length >= this.config.spareVmms) return;
    this.making = true;
    setImmediate(() => {
      if (!this.enabled) {
        this.making = false;
        return;
      }
      const spare = this.launch();
      this.ready.push(spare);
      void spare.launched.then((launched) => {
        this.making = false;
        // Up to --spare-vmms; after a failed launch, the next create asks for another.
        if (launched !== null) this.refillSoon();
      });
    });
  }

  /** Kills every spare (the agent is stopping): none may outlive it. */
  async close(): Promise<void> {
    this.enabled = false;
    const spares = this.ready.splice(0);
    await Promise.all(spares.map((s) => this.discard(s)));
  }

  /** Kills a spare that was taken but not used. */
  release(spare: SpareVmm): Promise<void> {
    return killAndRemove(spare.launched, spare.dir);
  }

  private launch(): Pending {
    const id = this.ids.freshId();
    const paths = pathsFor(this.root, id);
    const spare: Pending = {
      id,
      paths,
      stamp: binaryStamp(this.config.firecracker),
      exited: false,
      launched: Promise.resolve(null),
      starttime: null,
    };
    let running: LaunchedFirecracker | undefined;
    spare.launched = (async () => {
      await mkdir(paths.dir, { mode: 0o700 });
      makeLogFiles(paths);
      await mkfifo(paths.consoleIn);
      const launched = await launchInDirectory(
        this.config.firecracker,
        id,
        paths,
        openConsoleFifo(paths),
        (pid) => {
          if (pid !== undefined)
            writeFileSync(join(paths.dir, SPARE_RECORD), JSON.stringify({ pid }), { mode: 0o600 });
        },
      );
      running = launched;
      void launched.exited.then(() => {
        spare.exited = true;
      });
      spare.starttime = (await readProcStat(launched.pid))?.starttime ?? null;
      await new FirecrackerClient(paths.socket).putMetrics({ metrics_path: basename(paths.metrics) });
      this.log.debug('spare firecracker ready', { id, pid: launched.pid });
      return launched;
    })().catch(async (err: unknown) => {
      this.log.warn('cannot launch a spare firecracker (creates launch their own)', { id, error: err });
      if (running) killProcessGroup(running.pid);
      await rm(paths.dir, { recursive: true, force: true }).catch(() => undefined);
      return null;
    });
    return spare;
  }

  private async discard(spare: Pending): Promise<void> {
    await killAndRemove(await spare.launched, spare.paths.dir);
  }

  /** Spares of an agent that died: killed when the process still works in that spare's directory. */
  private async killLeftovers(): Promise<void> {
    let ids: string[];
    try {
      ids = await readdir(this.root);
    } catch {
      return;
    }
    for (const id of ids) {
      const pid = killSpareIn(join(this.root, id));
      if (pid !== null) this.log.info('killed a spare firecracker left by an earlier agent', { id, pid });
    }
  }
}

/** Kills a spare's firecracker (when it runs), waits for it to go, then removes its directory. */
async function killAndRemove(launched: LaunchedFirecracker | null, dir: string): Promise<void> {
  if (launched !== null) {
    killProcessGroup(launched.pid);
    await waitFor(
      launched.exited.then(() => undefined),
      KILL_WAIT_MS,
    );
  }
  await rm(dir, { recursive: true, force: true }).catch(() => undefined);
}

/**
 * Kills the spare firecracker spare.json in dir names, when that process still works in dir (a
 * spare, or a microVM directory whose create took a spare and died before writing its record).
 * Returns its pid, or null when there was none to kill.
 */
export function killSpareIn(dir: string): number | null {
  try {
    const { pid } = JSON.parse(readFileSync(join(dir, SPARE_RECORD), 'utf8')) as { pid: unknown };
    if (typeof pid !== 'number' || !Number.isInteger(pid) || pid <= 0) return null;
    if (readlinkSync(`/proc/${pid}/cwd`) !== dir) return null;
    killProcessGroup(pid);
    return pid;
  } catch {
    // No record, or the process is gone.
    return null;
  }
}
