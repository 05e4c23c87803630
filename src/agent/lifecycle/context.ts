// What every part of the lifecycle (create, supervision, adoption, operations, passthrough) shares.
import type { AgentConfig } from '../config.ts';
import type { EventLog } from '../events/event-log.ts';
import type { Logger } from '../log.ts';
import type { NetworkService } from '../net/service.ts';
import type { MicrovmRegistry } from './registry.ts';
import type { SpareVmms } from './spare-vmms.ts';
import type { Spares } from './spares.ts';

export interface LifecycleContext {
  readonly config: AgentConfig;
  readonly log: Logger;
  /** Linux arch name of the agent's host (x86_64, aarch64). */
  readonly arch: string;
  /** <state dir>/microvms: one directory per microVM, named by its id. */
  readonly microvmsDir: string;
  readonly registry: MicrovmRegistry;
  /** Where every state change, create, exit and removal is announced (GET /agent/events). */
  readonly events: EventLog;
  /** Firecracker processes launched ahead of creates. */
  readonly vmms: SpareVmms;
  /** Console FIFOs made ahead of creates. */
  readonly fifos: Spares;
  /** Copies of the default rootfs made ahead of creates. */
  readonly rootfsSpares: Spares;
  /** The default network (taps, addresses, rules); see src/agent/net. */
  readonly network: NetworkService;
}
