// Spare firecrackers: one waits in <state-dir>/spare-vmms/<id>/, launched as a create would launch
// it; a create takes it over (the microVM gets its id and process, and works like any other), and a
// new one follows. Spares die with the agent, ones a killed agent left are killed at its next start,
// and a spare that died or whose binary changed is never used.
import { lstat, mkdtemp, readdir, readFile, readlink, rename, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, test } from 'vitest';
import { type StartedAgent, startAgent } from '../../support/agent.ts';
import { doubleBin } from '../../support/paths.ts';
import { gone, running, waitUntil } from '../../support/proc.ts';
import { asError, createRefused, createVm, echoThroughConsole } from '../harness.ts';

let agent: StartedAgent | undefined;
afterEach(async () => {
  await agent?.stop();
  agent = undefined;
});

interface Spare {
  id: string;
  dir: string;
  pid: number;
}

/** The spares the agent has now (ready ones: their spare.json is written). */
async function spares(a: StartedAgent): Promise<Spare[]> {
  const root = join(a.stateDir, 'spare-vmms');
  const ids = await readdir(root).catch(() => [] as string[]);
  const out: Spare[] = [];
  for (const id of ids.sort()) {
    const dir = join(root, id);
    try {
      const { pid } = JSON.parse(await readFile(join(dir, 'spare.json'), 'utf8')) as { pid: number };
      out.push({ id, dir, pid });
    } catch {
      // Still being made.
    }
  }
  return out;
}

/** Waits for exactly one spare the agent calls ready (launched, metrics set; logged at debug). */
async function oneReadySpare(a: StartedAgent, not?: string): Promise<Spare> {
  return waitUntil(async () => {
    const all = await spares(a);
    const s = all[0];
    if (all.length !== 1 || s === undefined || s.id === not || !running(s.pid)) return false;
    return a.stderr().includes(`"msg":"spare firecracker ready","id":"${s.id}"`) ? s : false;
  }, 'one ready spare firecracker');
}

async function argvOf(pid: number): Promise<string[]> {
  return (await readFile(`/proc/${pid}/cmdline`, 'utf8')).split('\0');
}

describe('spare firecrackers', () => {
  test('one waits, owner-only, launched as a create launches firecracker', async () => {
    agent = await startAgent();
    const s = await oneReadySpare(agent);
    expect((await lstat(join(agent.stateDir, 'spare-vmms'))).mode & 0o777).toBe(0o700);
    expect((await lstat(s.dir)).mode & 0o777).toBe(0o700);
    expect(await readlink(`/proc/${s.pid}/cwd`)).toBe(s.dir);
    const argv = await argvOf(s.pid);
    const at = argv.indexOf('--api-sock');
    expect(argv.slice(at, at + 8)).toEqual([
      '--api-sock',
      './firecracker.sock',
      '--id',
      s.id,
      '--level',
      'Warning',
      '--log-path',
      './firecracker.log',
    ]);
    expect((await lstat(join(s.dir, 'console.in'))).isFIFO()).toBe(true);
  });

  test('a create takes it over: the spare id and process, a working console, and a new spare follows', async () => {
    agent = await startAgent();
    const s = await oneReadySpare(agent);
    const vm = await createVm(agent, { name: 'from-spare' });
    expect(vm.id).toBe(s.id);
    expect(vm.pid).toBe(s.pid);
    expect(vm.state).toBe('running');
    const dir = join(agent.stateDir, 'microvms', vm.id);
    expect(vm.socket_path).toBe(join(dir, 'firecracker.sock'));
    expect(await readlink(`/proc/${s.pid}/cwd`)).toBe(dir);
    // Its own record names the process now; the spare's is gone.
    await expect(lstat(join(dir, 'spare.json'))).rejects.toThrow(/ENOENT/);
    // Firecracker knows it by the microVM's id.
    const info = await agent.json<{ id: string }>(`/agent/microvms/${vm.id}/firecracker/`);
    expect(info.body.id).toBe(vm.id);
    // The metrics file the spare was given is the microVM's (a flush writes into it).
    const flushed = await agent.fetch(`/agent/microvms/${vm.id}/firecracker/actions`, {
      method: 'PUT',
      body: JSON.stringify({ action_type: 'FlushMetrics' }),
    });
    expect(flushed.status).toBe(204);
    expect(await readFile(join(dir, 'metrics.json'), 'utf8')).toMatch(/"utc_timestamp_ms"/);

    await echoThroughConsole(agent, vm.name, 'spare-console');
    const next = await oneReadySpare(agent, s.id);
    expect(next.id).not.toBe(vm.id);
  });

  test('a create Firecracker refuses after taking the spare: the spare dies with it, nothing is left', async () => {
    agent = await startAgent();
    const s = await oneReadySpare(agent);
    const res = await createRefused(agent, 'refused');
    expect(res.status).toBe(400);
    expect(asError(res.body).code).toBe('firecracker_error');
    expect(await gone(s.pid)).toBe(true);
    expect(await readdir(join(agent.stateDir, 'microvms'))).toEqual([]);
    await oneReadySpare(agent, s.id);
  });

  test('a spare that died is not used: the create launches its own', async () => {
    agent = await startAgent();
    const s = await oneReadySpare(agent);
    process.kill(s.pid, 'SIGKILL');
    expect(await gone(s.pid)).toBe(true);
    const vm = await createVm(agent, { name: 'after-dead-spare' });
    expect(vm.id).not.toBe(s.id);
    expect(vm.state).toBe('running');
    expect(agent.stderr()).toMatch(/spare firecracker not used: it exited/);
  });

  test('a firecracker binary changed since the spare was launched: the spare is killed, never used', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'fc-spare-bin-'));
    const bin = join(dir, 'firecracker');
    // A wrapper: the double itself is an ES module that only runs from where it was built.
    const wrapper = (n: number): string => `#!/bin/sh\n# version ${n}\nexec '${doubleBin}' "$@"\n`;
    await writeFile(bin, wrapper(1), { mode: 0o755 });
    try {
      agent = await startAgent({ firecracker: bin });
      const s = await oneReadySpare(agent);
      // setup upgrading firecracker: a new file is renamed over the old one.
      await writeFile(`${bin}.new`, wrapper(2), { mode: 0o755 });
      await rename(`${bin}.new`, bin);
      const vm = await createVm(agent, { name: 'new-binary' });
      expect(vm.id).not.toBe(s.id);
      expect(await gone(s.pid)).toBe(true);
      expect(agent.stderr()).toMatch(/spare firecracker not used: the firecracker binary changed/);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  test('stopping the agent kills its spare; one left by a killed agent is killed at the next start', async () => {
    agent = await startAgent();
    const first = await oneReadySpare(agent);
    expect(await agent.terminate()).toBe(0);
    expect(await gone(first.pid)).toBe(true);

    await agent.restart();
    const second = await oneReadySpare(agent, first.id);
    await agent.kill9();
    expect(running(second.pid)).toBe(true);
    await agent.restart();
    expect(await gone(second.pid)).toBe(true);
    expect(agent.stderr()).toMatch(/killed a spare firecracker left by an earlier agent/);
    await oneReadySpare(agent, second.id);
  });

  test('--spare-vmms 0: no firecracker runs before a create, and creates still work', async () => {
    agent = await startAgent({ extraArgs: ['--spare-vmms', '0'] });
    const vm = await createVm(agent, { name: 'cold' });
    expect(vm.state).toBe('running');
    expect(await spares(agent)).toEqual([]);
    // The same process layout as with a spare: relative paths, the microVM's directory.
    expect(await readlink(`/proc/${vm.pid}/cwd`)).toBe(join(agent.stateDir, 'microvms', vm.id));
    const argv = await argvOf(vm.pid ?? -1);
    expect(argv[argv.indexOf('--api-sock') + 1]).toBe('./firecracker.sock');
  });
});
