// The agent's microVMs and everything that changes one, behind one object the routes use. The
// work is in src/agent/lifecycle: registry, create pipeline, supervision, adoption, operations,
// passthrough. The only place firecracker processes are started.
import { arch as osArch } from 'node:os';
import { join } from 'node:path';
import { CLOSE_AGENT_SHUTDOWN } from '../api/console.ts';
import type { CreateMicrovmParams, Microvm, StopMicrovmResponse } from '../api/schemas.ts';
import type { RawResponse } from '../firecracker/index.ts';
import type { AgentConfig } from './config.ts';
import { SHUTDOWN_STOP_TIMEOUT_S } from './constants.ts';
import { ApiError } from './errors.ts';
import { EventLog } from './events/event-log.ts';
import { loadMicrovms } from './lifecycle/adopt.ts';
import type { LifecycleContext } from './lifecycle/context.ts';
import { createMicrovm } from './lifecycle/create.ts';
import type { CreateStep } from './lifecycle/create-pipeline.ts';
import { createSteps } from './lifecycle/create-steps.ts';
import * as ops from './lifecycle/operations.ts';
import { type PassthroughRequest, passthrough } from './lifecycle/passthrough.ts';
import { MicrovmRegistry } from './lifecycle/registry.ts';
import { SpareVmms } from './lifecycle/spare-vmms.ts';
import { fifoSpare, rootfsSpare, Spares } from './lifecycle/spares.ts';
import type { Logger } from './log.ts';
import type { MicrovmEntry } from './microvm-entry.ts';
import { NetworkService } from './net/service.ts';
import { withNetworkSteps } from './net/steps.ts';

export { type StopPlan, stopPlan } from './lifecycle/operations.ts';
export { ID_PATTERN } from './lifecycle/registry.ts';

export interface ManagerOptions {
  config: AgentConfig;
  log: Logger;
  /** Linux arch name (x86_64, aarch64); defaults to this machine's. */
  arch?: string;
  /** The create pipeline; default createSteps (lifecycle/create-steps.ts) with the network steps. */
  createSteps?: readonly CreateStep[];
  /** Where events go; default a new log. */
  events?: EventLog;
  /** The default network; default one made from config.network. */
  network?: NetworkService;
}

function linuxArch(): string {
  const a = osArch();
  return a === 'arm64' ? 'aarch64' : a === 'x64' ? 'x86_64' : a;
}

export class MicrovmManager {
  readonly microvmsDir: string;
  /** Every create, state change, exit and removal (GET /agent/events). */
  readonly events: EventLog;
  private readonly ctx: LifecycleContext;
  private readonly registry = new MicrovmRegistry();
  private readonly steps: readonly CreateStep[];
  private shuttingDown = false;

  constructor(opts: ManagerOptions) {
    this.microvmsDir = join(opts.config.stateDir, 'microvms');
    this.steps = opts.createSteps ?? withNetworkSteps(createSteps);
    this.events = opts.events ?? new EventLog();
    this.ctx = {
      config: opts.config,
      log: opts.log,
      arch: opts.arch ?? linuxArch(),
      microvmsDir: this.microvmsDir,
      registry: this.registry,
      events: this.events,
      vmms: new SpareVmms(opts.config.stateDir, opts.config, opts.log, this.registry),
      fifos: new Spares(opts.config.stateDir, fifoSpare, opts.log),
      rootfsSpares: new Spares(opts.config.stateDir, rootfsSpare(opts.config.rootfs), opts.log),
      network: opts.network ?? new NetworkService(opts.config, opts.log),
    };
  }

  /** Sorted by name. */
  list(): Microvm[] {
    return this.registry.list();
  }

  all(): MicrovmEntry[] {
    return this.registry.all();
  }

  /** Exact id, exact name, then a unique id prefix. */
  resolve(idOrName: string): MicrovmEntry {
    return this.registry.resolve(idOrName);
  }

  create(params: CreateMicrovmParams): Promise<Microvm> {
    if (this.shuttingDown) return Promise.reject(new ApiError(503, 'internal', 'fc-agent is shutting down'));
    return createMicrovm(this.ctx, this.steps, params);
  }

  /** Loads every state.json and re-adopts the firecrackers still running. */
  async load(): Promise<void> {
    await this.ctx.network.init();
    await loadMicrovms(this.ctx);
    // Leases are the live microVMs' records: rules and taps are rebuilt to match them exactly.
    const live = this.all().flatMap((e) =>
      e.alive && e.vm.network ? [{ id: e.vm.id, name: e.vm.name, network: e.vm.network }] : [],
    );
    await this.ctx.network.reconcile(live);
  }

  /** The default network (null with --no-network). */
  get network(): NetworkService {
    return this.ctx.network;
  }

  start(entry: MicrovmEntry): Promise<Microvm> {
    return ops.start(this.ctx, entry);
  }

  pause(entry: MicrovmEntry): Promise<Microvm> {
    return ops.pauseResume(this.ctx, entry, 'pause');
  }

  resume(entry: MicrovmEntry): Promise<Microvm> {
    return ops.pauseResume(this.ctx, entry, 'resume');
  }

  kill(entry: MicrovmEntry): Promise<Microvm> {
    return ops.kill(this.ctx, entry);
  }

  stop(entry: MicrovmEntry, req: { timeout_s: number; force: boolean }): Promise<StopMicrovmResponse> {
    return ops.stop(this.ctx, entry, req);
  }

  remove(entry: MicrovmEntry): Promise<Microvm> {
    return ops.remove(this.ctx, entry);
  }

  passthrough(entry: MicrovmEntry, req: PassthroughRequest): Promise<RawResponse> {
    return passthrough(this.ctx, entry, req);
  }

  get isShuttingDown(): boolean {
    return this.shuttingDown;
  }

  /** Ends console clients and event streams; with stopVms, stops every microVM first (they keep running otherwise). */
  async shutdown(stopVms: boolean): Promise<void> {
    this.shuttingDown = true;
    if (stopVms) {
      await Promise.all(
        this.all()
          .filter((e) => e.alive)
          .map((e) =>
            this.stop(e, { timeout_s: SHUTDOWN_STOP_TIMEOUT_S, force: false }).catch((err: unknown) =>
              this.ctx.log.error('stop on exit failed', { id: e.vm.id, error: err }),
            ),
          ),
      );
    }
    await this.ctx.vmms.close();
    this.events.close();
    for (const e of this.all()) {
      if (e.watcher) clearInterval(e.watcher);
      await e.session?.close(CLOSE_AGENT_SHUTDOWN, 'fc-agent is shutting down').catch(() => undefined);
    }
  }
}
