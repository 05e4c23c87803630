// Snapshot state rules in the agent: create only from paused, load only into a fresh microVM.
// A refused call never reaches Firecracker, so the microVM is untouched (a failed load would end it).
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { checkSnapshotState } from '../../src/agent/lifecycle/snapshot-rules.ts';
import { type StartedAgent, startAgent } from '../support/agent.ts';
import { running } from '../support/proc.ts';
import { asError, createVm, getVm, post } from './harness.ts';

let agent: StartedAgent;

beforeAll(async () => {
  agent = await startAgent();
});
afterAll(async () => {
  await agent?.stop();
});

async function put(name: string, path: string, body: unknown): Promise<{ status: number; body: unknown }> {
  const res = await agent.fetch(`/agent/microvms/${name}/firecracker${path}`, {
    method: 'PUT',
    body: JSON.stringify(body),
  });
  const text = await res.text();
  return { status: res.status, body: text === '' ? null : JSON.parse(text) };
}

describe('snapshot state rules', () => {
  test('create needs a paused microVM: running and created are refused, paused works', async () => {
    const snap = {
      snapshot_type: 'Full',
      snapshot_path: join(agent.root, 'r.state'),
      mem_file_path: join(agent.root, 'r.mem'),
    };
    const vm = await createVm(agent, { name: 'snap-running' });
    const refused = await put(vm.name, '/snapshot/create', snap);
    expect(refused.status).toBe(409);
    expect(asError(refused.body)).toEqual({
      code: 'invalid_state',
      message:
        'cannot snapshot microVM snap-running: it is running, a snapshot needs a paused microVM (POST /agent/microvms/snap-running/pause, or `fc-macos microvm pause snap-running`, first)',
      details: { state: 'running', allowed: ['paused'] },
    });
    const fresh = await createVm(agent, { name: 'snap-fresh', start: false });
    expect(asError((await put(fresh.name, '/snapshot/create', snap)).body).details).toEqual({
      state: 'created',
      allowed: ['paused'],
    });

    expect((await post(agent, `/agent/microvms/${vm.name}/pause`)).status).toBe(200);
    expect((await put(vm.name, '/snapshot/create', snap)).status).toBe(204);
  });

  test('load needs a fresh microVM; a refused load leaves the microVM running as it was', async () => {
    const vm = await createVm(agent, { name: 'load-running' });
    const load = {
      snapshot_path: join(agent.root, 'r.state'),
      mem_backend: { backend_type: 'File', backend_path: join(agent.root, 'r.mem') },
    };
    const refused = await put(vm.name, '/snapshot/load', load);
    expect(refused.status).toBe(409);
    expect(asError(refused.body)).toMatchObject({
      code: 'invalid_state',
      message: expect.stringContaining('a snapshot loads only into a fresh microVM'),
      details: { state: 'running', allowed: ['created'] },
    });
    expect(await getVm(agent, vm.name)).toMatchObject({ state: 'running', pid: vm.pid });
    expect(running(vm.pid ?? -1)).toBe(true);

    const bare = await createVm(agent, { name: 'load-bare', configure: false });
    expect((await put(bare.name, '/snapshot/load', { ...load, resume_vm: false })).status).toBe(204);
    expect((await getVm(agent, bare.name)).state).toBe('paused');
  });

  test('the rule matches the path with a query or a trailing slash, and only the PUT', () => {
    expect(checkSnapshotState('PUT', '/snapshot/create/?x=1', 'a', 'running')?.status).toBe(409);
    expect(checkSnapshotState('PUT', '/snapshot/load', 'a', 'paused')?.status).toBe(409);
    expect(checkSnapshotState('GET', '/snapshot/create', 'a', 'running')).toBeNull();
    expect(checkSnapshotState('PUT', '/snapshot/create', 'a', 'paused')).toBeNull();
    expect(checkSnapshotState('PUT', '/machine-config', 'a', 'running')).toBeNull();
  });
});
