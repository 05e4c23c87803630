// Which states allow a snapshot through the passthrough. Firecracker refuses the wrong ones too, but
// a refused load also ends that firecracker: the agent says no first, with what to do instead.
import type { MicrovmState } from '../../api/schemas.ts';
import { type ApiError, invalidState } from '../errors.ts';

export interface SnapshotRule {
  method: string;
  path: string;
  allowed: readonly MicrovmState[];
  /** Why, and what to do, for a microVM in another state. */
  explain(name: string, state: MicrovmState): string;
}

export const SNAPSHOT_RULES: readonly SnapshotRule[] = [
  {
    method: 'PUT',
    path: '/snapshot/create',
    allowed: ['paused'],
    explain: (name, state) =>
      `cannot snapshot microVM ${name}: it is ${state}, a snapshot needs a paused microVM (POST /agent/microvms/${name}/pause, or \`fc-macos microvm pause ${name}\`, first)`,
  },
  {
    method: 'PUT',
    path: '/snapshot/load',
    allowed: ['created'],
    explain: (name, state) =>
      `cannot load a snapshot into microVM ${name}: it is ${state}, a snapshot loads only into a fresh microVM with nothing configured (create one with "configure": false, or \`fc-macos microvm create --bare\`)`,
  },
];

/** Which snapshot call a passthrough request is, if any. */
export function snapshotRoute(method: string, pathAndQuery: string): 'create' | 'load' | null {
  if (method !== 'PUT') return null;
  const path = pathOnly(pathAndQuery);
  return path === '/snapshot/create' ? 'create' : path === '/snapshot/load' ? 'load' : null;
}

function pathOnly(pathAndQuery: string): string {
  const q = pathAndQuery.indexOf('?');
  return (q < 0 ? pathAndQuery : pathAndQuery.slice(0, q)).replace(/\/+$/, '');
}

/** The refusal for a snapshot call the microVM's state does not allow; null when allowed. */
export function checkSnapshotState(
  method: string,
  pathAndQuery: string,
  name: string,
  state: MicrovmState,
): ApiError | null {
  const path = pathOnly(pathAndQuery);
  const rule = SNAPSHOT_RULES.find((r) => r.method === method && r.path === path);
  if (!rule || rule.allowed.includes(state)) return null;
  return invalidState(rule.explain(name, state), { state, allowed: [...rule.allowed] });
}
