// A record whose state contradicts its firecracker (hand-edited or corrupt) is still adopted and
// watched, and its exit still recorded: the table of transitions never leaves a process unwatched.
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, test } from 'vitest';
import { type StartedAgent, startAgent } from '../../support/agent.ts';
import { waitUntil } from '../../support/proc.ts';
import { createVm, getVm } from '../harness.ts';

let agent: StartedAgent | undefined;
afterAll(async () => {
  await agent?.stop();
});

describe('a record its firecracker contradicts', () => {
  test('state "stopped" with a live firecracker: adopted, watched, and its exit recorded', async () => {
    agent = await startAgent();
    const a = agent;
    const vm = await createVm(a, { name: 'odd' });
    await a.kill9();
    const statePath = join(a.stateDir, 'microvms', vm.id, 'state.json');
    const rec = JSON.parse(readFileSync(statePath, 'utf8'));
    rec.microvm.state = 'stopped';
    writeFileSync(statePath, JSON.stringify(rec));
    await a.restart();

    expect(await getVm(a, 'odd')).toMatchObject({ state: 'stopped', pid: vm.pid, exit: null });
    expect(a.stderr()).toMatch(/adopted firecracker is in a state its record cannot reach/);
    process.kill(vm.pid ?? -1, 'SIGKILL');
    const ended = await waitUntil(async () => {
      const m = await getVm(a, 'odd');
      return m.exit !== null && m;
    }, 'the exit of the adopted firecracker');
    expect(ended).toMatchObject({ state: 'exited', pid: null, exit: { reason: 'crashed' } });
  });
});
