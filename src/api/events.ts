// GET /agent/events: the agent's stream of microVM events (Server-Sent Events). One schema per event
// type; `agentEvent` is their union, keyed by `type`. Each SSE message is
// `id: <seq>\nevent: <type>\ndata: <one of these as JSON>\n\n`.
import { z } from 'zod';
import { exitReason, microvm, microvmState } from './schemas.ts';

/** Why a state changed (`microvm.state` reason). Exits carry their exit reason. */
export const stateReason = z.enum([
  /** InstanceStart: by create, `POST .../start` or the passthrough. */
  'start',
  'pause',
  'resume',
  /** `POST .../stop` began (state stopping). */
  'stop',
  /** A write through the Firecracker passthrough (e.g. a snapshot load) changed it. */
  'passthrough',
  /** After an agent restart, the state is what the adopted firecracker says. */
  'adopt',
  ...exitReason.options,
]);
export type StateReason = z.infer<typeof stateReason>;

const eventBase = {
  seq: z
    .number()
    .int()
    .nonnegative()
    .describe('Increases by one per event within an agent run; each run starts far above the last.'),
  time: z.string().describe('When the agent emitted it (ISO 8601).'),
};
const microvmEventBase = { ...eventBase, name: z.string(), id: z.string() };

export const microvmCreatedEvent = z.object({
  ...microvmEventBase,
  type: z.literal('microvm.created'),
  /** The record as `GET /agent/microvms/:name` returned it when the create finished. */
  microvm,
});

export const microvmStateEvent = z.object({
  ...microvmEventBase,
  type: z.literal('microvm.state'),
  from: microvmState,
  to: microvmState,
  reason: stateReason,
});

export const microvmExitedEvent = z.object({
  ...microvmEventBase,
  type: z.literal('microvm.exited'),
  exit_code: z.number().int().nullable(),
  signal: z
    .string()
    .nullable()
    .describe('e.g. "SIGKILL"; null when firecracker exited with a code (or the agent cannot know).'),
  reason: exitReason,
});

export const microvmRemovedEvent = z.object({
  ...microvmEventBase,
  type: z.literal('microvm.removed'),
});

/** The `since` / Last-Event-ID asked for is unknown to this agent run: list again, then go on. */
export const resetEvent = z.object({ ...eventBase, type: z.literal('reset') });

export const agentEvent = z.discriminatedUnion('type', [
  microvmCreatedEvent,
  microvmStateEvent,
  microvmExitedEvent,
  microvmRemovedEvent,
  resetEvent,
]);
export type AgentEvent = z.infer<typeof agentEvent>;
export type AgentEventType = AgentEvent['type'];
/** A microVM event before the agent numbers and stamps it. */
export type MicrovmEventInput = AgentEvent extends infer E
  ? E extends { type: 'reset' }
    ? never
    : E extends AgentEvent
      ? Omit<E, 'seq' | 'time'>
      : never
  : never;

/** `GET /agent/events?since=SEQ`: resume after SEQ (also the Last-Event-ID header). */
export const eventsQuery = z.strictObject({
  since: z
    .string()
    .regex(/^\d{1,16}$/, 'must be a whole number (the seq of the last event received)')
    .transform(Number)
    .optional(),
});
