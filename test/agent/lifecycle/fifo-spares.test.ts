// Console FIFOs made ahead of creates: one spare waits in <state-dir>/spare-fifos, owner-only; a
// create takes it (its console still works) and a new spare follows; a restart starts afresh.
import { lstatSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { type StartedAgent, startAgent } from '../../support/agent.ts';
import { waitUntil } from '../../support/proc.ts';
import { createVm, openConsole } from '../harness.ts';

let agent: StartedAgent;

beforeAll(async () => {
  agent = await startAgent();
});
afterAll(async () => {
  await agent?.stop();
});

const spares = (): string[] => readdirSync(join(agent.stateDir, 'spare-fifos')).sort();

describe('spare console FIFOs', () => {
  test('one owner-only spare is ready; a create takes it and a new one is made', async () => {
    const before = spares();
    expect(before).toHaveLength(1);
    const st = lstatSync(join(agent.stateDir, 'spare-fifos', before[0] ?? ''));
    expect(st.isFIFO()).toBe(true);
    expect(st.mode & 0o777).toBe(0o600);
    expect(lstatSync(join(agent.stateDir, 'spare-fifos')).mode & 0o777).toBe(0o700);

    const vm = await createVm(agent, { name: 'fifo-user' });
    const fifo = lstatSync(join(agent.stateDir, 'microvms', vm.id, 'console.in'));
    expect(fifo.isFIFO()).toBe(true);
    expect(fifo.mode & 0o777).toBe(0o600);
    const after = await waitUntil(
      () => spares().length === 1 && spares()[0] !== before[0] && spares(),
      'a new spare',
    );
    expect(after).toHaveLength(1);

    // The console reads input through the FIFO that was the spare.
    const con = await openConsole(agent, vm.name);
    try {
      await con.waitFor('/ # ');
      con.send('echo through-the-spare\n');
      await con.waitFor('through-the-spare\r\n');
    } finally {
      await con.close();
    }
  });

  test('back-to-back creates without a spare still get their FIFO', async () => {
    const vms = await Promise.all([1, 2, 3].map((n) => createVm(agent, { name: `burst-${n}` })));
    for (const vm of vms) {
      expect(lstatSync(join(agent.stateDir, 'microvms', vm.id, 'console.in')).isFIFO()).toBe(true);
    }
  });

  test('a restart replaces the spares of the earlier run', async () => {
    const before = spares();
    await agent.terminate();
    await agent.restart();
    const after = spares();
    expect(after).toHaveLength(1);
    expect(after).not.toEqual(before);
  });
});
