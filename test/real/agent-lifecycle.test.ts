// fc-agent driving the real Firecracker binary through a microVM's whole life. The test kernel
// (testKernel()) boots on this host's KVM but runs no guest, so there is no console output and a
// graceful stop always times out and kills.
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { microvmList, stopMicrovmResponse, versionResponse } from '../../src/api/schemas.ts';
import { asError, createVm, getVm, post } from '../agent/harness.ts';
import { type StartedAgent, startAgent } from '../support/agent.ts';
import { testKernel } from '../support/kernel.ts';
import { realFirecracker } from '../support/paths.ts';
import { procState, waitUntil } from '../support/proc.ts';

const real = realFirecracker();
const kernel = await testKernel();
const skip = 'skip' in real ? real.skip : typeof kernel !== 'string' ? kernel.skip : undefined;
if (skip) console.warn(`test/real/agent-lifecycle skipped: ${skip}`);

describe.skipIf(skip !== undefined)('fc-agent with real Firecracker', () => {
  let agent: StartedAgent;
  beforeAll(async () => {
    agent = await startAgent({
      firecracker: 'path' in real ? real.path : '',
      kernel: typeof kernel === 'string' ? kernel : '',
    });
  });
  afterAll(async () => {
    await agent?.stop();
  });

  test('version reports the real binary', async () => {
    const v = versionResponse.parse((await agent.json('/agent/version')).body);
    expect(v.firecracker).toMatch(/^1\.\d+\.\d+/);
  });

  test('create start:false, configure through the passthrough, start, pause/resume, stop, delete', async () => {
    const vm = await createVm(agent, { name: 'real', start: false, memory_mib: 64 });
    expect(vm.state).toBe('created');
    const base = `/agent/microvms/${vm.name}/firecracker`;
    const put = await agent.fetch(`${base}/machine-config`, {
      method: 'PUT',
      body: JSON.stringify({ vcpu_count: 2, mem_size_mib: 96 }),
    });
    expect(put.status).toBe(204);
    expect(await getVm(agent, vm.name)).toMatchObject({ vcpus: 2, memory_mib: 96, state: 'created' });
    // Firecracker's own refusal, unchanged.
    const bad = await agent.fetch(`${base}/actions`, {
      method: 'PUT',
      body: JSON.stringify({ action_type: 'FlushMetrics' }),
    });
    expect(bad.status).toBe(400);
    expect(((await bad.json()) as { fault_message: string }).fault_message).toMatch(/before starting/);

    expect((await post(agent, `/agent/microvms/${vm.name}/start`)).body).toMatchObject({ state: 'running' });
    expect((await agent.json<{ state: string }>(`${base}/`)).body.state).toBe('Running');
    expect((await post(agent, `/agent/microvms/${vm.name}/pause`)).body).toMatchObject({ state: 'paused' });
    expect((await agent.json<{ state: string }>(`${base}/`)).body.state).toBe('Paused');
    expect((await post(agent, `/agent/microvms/${vm.name}/resume`)).body).toMatchObject({ state: 'running' });

    // No guest here to act on Ctrl+Alt+Del: the stop times out and kills.
    const stop = stopMicrovmResponse.parse(
      (await post(agent, `/agent/microvms/${vm.name}/stop`, { timeout_s: 1 })).body,
    );
    expect(stop.stop).toMatchObject({ graceful: false, method: 'ctrl_alt_del_then_kill' });
    expect(stop.microvm).toMatchObject({ state: 'stopped', exit: { reason: 'stopped', signal: 'SIGKILL' } });
    expect(procState(vm.pid ?? -1)).toBeNull();

    const dir = join(agent.stateDir, 'microvms', vm.id);
    expect((await agent.fetch(`/agent/microvms/${vm.name}`, { method: 'DELETE' })).status).toBe(200);
    expect(existsSync(dir)).toBe(false);
  });

  test('kill, and killed from outside', async () => {
    const a = await createVm(agent, { name: 'kill-me', memory_mib: 64 });
    expect((await post(agent, `/agent/microvms/${a.name}/kill`)).body).toMatchObject({
      state: 'exited',
      exit: { reason: 'killed', signal: 'SIGKILL' },
    });
    const b = await createVm(agent, { name: 'outside', memory_mib: 64 });
    process.kill(b.pid ?? -1, 'SIGKILL');
    const after = await waitUntil(async () => {
      const m = await getVm(agent, b.name);
      return m.state === 'exited' && m;
    }, 'exited');
    expect(after.exit).toMatchObject({ signal: 'SIGKILL', reason: 'crashed' });
    expect(procState(b.pid ?? -1)).toBeNull();
    const pt = await agent.json(`/agent/microvms/${b.name}/firecracker/`);
    expect(pt.status).toBe(409);
    expect(asError(pt.body).code).toBe('invalid_state');
  });

  test('agent kill -9 and restart: running and paused microVMs are re-adopted', async () => {
    const run = await createVm(agent, { name: 'adopt-run', memory_mib: 64 });
    const paused = await createVm(agent, { name: 'adopt-paused', memory_mib: 64 });
    await post(agent, `/agent/microvms/${paused.name}/pause`);
    const before = microvmList.parse((await agent.json('/agent/microvms')).body).microvms;
    await agent.kill9();
    await agent.restart();
    const after = microvmList.parse((await agent.json('/agent/microvms')).body).microvms;
    expect(after.map((m) => [m.id, m.state, m.pid])).toEqual(before.map((m) => [m.id, m.state, m.pid]));
    expect(await getVm(agent, run.name)).toMatchObject({ state: 'running', pid: run.pid });
    expect((await post(agent, `/agent/microvms/${paused.name}/resume`)).body).toMatchObject({
      state: 'running',
    });
    expect(
      (await agent.json<{ state: string }>(`/agent/microvms/${paused.name}/firecracker/`)).body.state,
    ).toBe('Running');
    expect((await post(agent, `/agent/microvms/${run.name}/kill`)).body).toMatchObject({
      state: 'exited',
      exit: { reason: 'killed' },
    });
  });
});
