// The event log's resume rules without an agent: what is kept, and which seqs count as unknown.
import { describe, expect, test } from 'vitest';
import { EventLog } from '../../../src/agent/events/event-log.ts';

const removed = (n: number) => ({ type: 'microvm.removed' as const, name: `vm${n}`, id: `id${n}` });

describe('EventLog', () => {
  test('numbers events from the base, keeps the last `capacity`, and resumes only inside them', () => {
    const log = new EventLog({ base: 1000, capacity: 3 });
    expect(log.after(1000)).toEqual([]);
    for (let n = 1; n <= 5; n++) log.emit(removed(n));
    expect(log.lastSeq).toBe(1005);
    // Kept: 1003, 1004, 1005. Resuming after 1002 still misses nothing.
    expect(log.after(1002)?.map((e) => e.seq)).toEqual([1003, 1004, 1005]);
    expect(log.after(1004)?.map((e) => e.seq)).toEqual([1005]);
    expect(log.after(1005)).toEqual([]);
    // 1001 was dropped: events would be missing, so it is unknown; so are other runs and the future.
    expect(log.after(1001)).toBeNull();
    expect(log.after(999)).toBeNull();
    expect(log.after(1006)).toBeNull();
    expect(log.reset()).toMatchObject({ type: 'reset', seq: 1005 });
  });

  test('every subscriber gets each event once; close() ends them all and unsubscribes', () => {
    const log = new EventLog({ base: 0 });
    const got: string[] = [];
    const ends: string[] = [];
    const stopA = log.subscribe({ event: (e) => got.push(`a${e.seq}`), end: () => ends.push('a') });
    log.subscribe({ event: (e) => got.push(`b${e.seq}`), end: () => ends.push('b') });
    log.emit(removed(1));
    stopA();
    log.emit(removed(2));
    expect(got).toEqual(['a1', 'b1', 'b2']);
    log.close();
    expect(ends).toEqual(['b']);
    expect(log.subscriberCount).toBe(0);
  });
});
