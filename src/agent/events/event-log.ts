// The agent's numbered microVM events: kept in a ring for clients that resume, and handed to every
// live subscriber. Sequence numbers of one agent run start at its start time in microseconds, so a
// number from an earlier run is always below this run's first and is recognized as unknown.
import type { AgentEvent, MicrovmEventInput } from '../../api/events.ts';
import { EVENTS_KEPT } from '../constants.ts';

export interface EventSubscriber {
  event(e: AgentEvent): void;
  /** The agent is shutting down: end the stream. */
  end(): void;
}

export interface EventLogOptions {
  capacity?: number;
  /** The seq before the first event; default: now in microseconds. */
  base?: number;
}

export class EventLog {
  private readonly capacity: number;
  private readonly base: number;
  private last: number;
  private readonly kept: AgentEvent[] = [];
  private readonly subscribers = new Set<EventSubscriber>();

  constructor(opts: EventLogOptions = {}) {
    this.capacity = opts.capacity ?? EVENTS_KEPT;
    this.base = opts.base ?? Date.now() * 1000;
    this.last = this.base;
  }

  /** The seq of the latest event (this run's base before any). */
  get lastSeq(): number {
    return this.last;
  }

  get subscriberCount(): number {
    return this.subscribers.size;
  }

  emit(input: MicrovmEventInput): AgentEvent {
    this.last += 1;
    const e = { seq: this.last, time: new Date().toISOString(), ...input } as AgentEvent;
    this.kept.push(e);
    if (this.kept.length > this.capacity) this.kept.shift();
    for (const s of this.subscribers) s.event(e);
    return e;
  }

  /**
   * The kept events after `since`, or null when `since` is not a point this log can resume from:
   * older than what is kept, from another agent run, or from the future.
   */
  after(since: number): AgentEvent[] | null {
    if (since === this.last) return [];
    if (since < this.base || since > this.last) return null;
    const first = this.kept[0]?.seq ?? this.last + 1;
    if (since < first - 1) return null;
    return this.kept.slice(since - first + 1);
  }

  /** The `reset` event a client with an unknown `since` gets first. */
  reset(): AgentEvent {
    return { seq: this.last, time: new Date().toISOString(), type: 'reset' };
  }

  subscribe(s: EventSubscriber): () => void {
    this.subscribers.add(s);
    return () => this.subscribers.delete(s);
  }

  /** Ends every stream (agent shutdown). */
  close(): void {
    for (const s of [...this.subscribers]) s.end();
    this.subscribers.clear();
  }
}
