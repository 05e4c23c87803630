// The fields a stats row (GET /agent/stats, and the dashboard's row) takes from the microVM's
// record. Types only from schemas.ts: the dashboard reads answers without loading zod.
import type { Microvm, MicrovmStats } from './schemas.ts';

export type StatsIdentity = Pick<MicrovmStats, 'id' | 'name' | 'state' | 'vcpus' | 'memory_mib' | 'pid'>;

export function statsIdentity(m: Microvm): StatsIdentity {
  return { id: m.id, name: m.name, state: m.state, vcpus: m.vcpus, memory_mib: m.memory_mib, pid: m.pid };
}
