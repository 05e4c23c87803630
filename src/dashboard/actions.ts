// What the action keys do: one call through the SDK each, its progress and result in the status
// line. A failure is shown there; it never escapes into the view.
import type { Microvm } from '../api/schemas.ts';
import { safeField } from '../cli/format.ts';
import type { DashboardClient } from './feed.ts';
import { withMicrovm, withoutMicrovm } from './model.ts';
import type { DashboardStore } from './store.ts';

export type ActionKind = 'stop' | 'kill' | 'pause' | 'resume' | 'remove';

const PROGRESS: Record<ActionKind, string> = {
  stop: 'stopping',
  kill: 'killing',
  pause: 'pausing',
  resume: 'resuming',
  remove: 'removing',
};

export async function runAction(
  store: DashboardStore,
  client: DashboardClient | null,
  kind: ActionKind,
  vm: Microvm,
): Promise<void> {
  const name = safeField(vm.name);
  if (!client) {
    store.setStatus(`cannot ${kind} ${name}: the agent is not answering`, 'error');
    return;
  }
  store.setStatus(`${PROGRESS[kind]} ${name}…`, 'progress');
  try {
    let result: string;
    switch (kind) {
      case 'stop': {
        const r = await client.stop(vm.id);
        store.update((d) => withMicrovm(d, r.microvm));
        result = `${name} stopped (${r.stop.graceful ? 'graceful' : safeField(r.stop.method)})`;
        break;
      }
      case 'kill': {
        const after = await client.kill(vm.id);
        store.update((d) => withMicrovm(d, after));
        result = `${name} killed`;
        break;
      }
      case 'pause':
      case 'resume': {
        const after = await (kind === 'pause' ? client.pause(vm.id) : client.resume(vm.id));
        store.update((d) => withMicrovm(d, after));
        result = `${name} ${after.state}`;
        break;
      }
      case 'remove':
        await client.deleteMicrovm(vm.id);
        store.update((d) => withoutMicrovm(d, vm.id));
        result = `${name} removed`;
        break;
    }
    store.setStatus(result, 'ok');
  } catch (err) {
    store.setStatus(
      `${kind} ${name} failed: ${safeField(err instanceof Error ? err.message : String(err))}`,
      'error',
    );
  }
}
