// Files made ahead of creates. Console FIFOs: one spare waits in <state-dir>/spare-fifos,
// owner-only; a create takes it (its console still works) and a new spare follows; a restart starts
// afresh. Rootfs copies: one in <state-dir>/spare-rootfs, taken by a create of the default rootfs;
// a spare made before the default rootfs was rewritten is never used. A spare FIFO serves a create
// that launches firecracker itself: this agent keeps no spare firecracker (--spare-vmms 0), whose
// own FIFO a create would use instead (spare-vmms.test.ts).
import { createHash } from 'node:crypto';
import { lstatSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { type StartedAgent, startAgent } from '../../support/agent.ts';
import { waitUntil } from '../../support/proc.ts';
import { createVm, echoThroughConsole } from '../harness.ts';

let agent: StartedAgent;

beforeAll(async () => {
  agent = await startAgent({ extraArgs: ['--spare-vmms', '0'] });
});
afterAll(async () => {
  await agent?.stop();
});

// Ready spares only: one being made is named *.partial until it is complete.
const ready = (dir: string): string[] =>
  readdirSync(join(agent.stateDir, dir))
    .filter((f) => !f.endsWith('.partial'))
    .sort();
const spares = (): string[] => ready('spare-fifos');
const rootfsSpares = (): string[] => ready('spare-rootfs');
const sha = (p: string): string => createHash('sha256').update(readFileSync(p)).digest('hex');

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
    await echoThroughConsole(agent, vm.name, 'through-the-spare');
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

describe('spare rootfs copies', () => {
  test('a create of the default rootfs takes the spare (same bytes, owner-only) and a new one follows', async () => {
    const [spare] = await waitUntil(() => rootfsSpares().length === 1 && rootfsSpares(), 'a spare rootfs');
    const sparePath = join(agent.stateDir, 'spare-rootfs', spare ?? '');
    const ino = statSync(sparePath).ino;
    expect(statSync(sparePath).mode & 0o777).toBe(0o600);
    expect(lstatSync(join(agent.stateDir, 'spare-rootfs')).mode & 0o777).toBe(0o700);
    const vm = await createVm(agent, { name: 'rootfs-user' });
    const copy = join(agent.stateDir, 'microvms', vm.id, 'rootfs.ext4');
    expect(statSync(copy).ino).toBe(ino);
    expect(sha(copy)).toBe(sha(agent.rootfs));
    await waitUntil(() => rootfsSpares().length === 1 && rootfsSpares()[0] !== spare, 'a new spare rootfs');
  });

  test('after the default rootfs is rewritten, a create gets the new bytes, never the stale spare', async () => {
    await waitUntil(() => rootfsSpares().length === 1, 'a spare rootfs');
    await writeFile(agent.rootfs, Buffer.alloc(96 * 1024, 0x5a));
    const vm = await createVm(agent, { name: 'rootfs-new' });
    expect(sha(join(agent.stateDir, 'microvms', vm.id, 'rootfs.ext4'))).toBe(sha(agent.rootfs));
    expect(agent.stderr()).toMatch(/spare rootfs copy is stale/);
  });
});
