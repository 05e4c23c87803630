// The agent can die and come back: microVMs keep running, and the new agent re-adopts them from
// state.json with the same state, a working console and exit detection.
import { type ChildProcess, spawn } from 'node:child_process';
import { closeSync, constants, existsSync, openSync, readFileSync, writeSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, describe, expect, test } from 'vitest';
import { type Microvm, microvmList, stopMicrovmResponse } from '../../src/api/schemas.ts';
import { type StartedAgent, startAgent } from '../support/agent.ts';
import { procState, waitUntil } from '../support/proc.ts';
import { createVm, getVm, openConsole, post } from './harness.ts';

let agent: StartedAgent | undefined;
const extra: ChildProcess[] = [];
afterEach(async () => {
  for (const c of extra.splice(0)) c.kill('SIGKILL');
  await agent?.stop();
  agent = undefined;
});

async function list(a: StartedAgent): Promise<Microvm[]> {
  return microvmList.parse((await a.json('/agent/microvms')).body).microvms;
}

const essentials = (m: Microvm) => ({ id: m.id, name: m.name, state: m.state, pid: m.pid, exit: m.exit });

describe('agent restart', () => {
  test('kill -9 and restart: every microVM listed again with the same state; consoles and lifecycle work', async () => {
    agent = await startAgent();
    const a = agent;
    const run = await createVm(a, { name: 'run' });
    const paused = await createVm(a, { name: 'paused' });
    await post(a, '/agent/microvms/paused/pause');
    await createVm(a, { name: 'fresh', start: false });
    await createVm(a, { name: 'stopped' });
    await post(a, '/agent/microvms/stopped/stop', { timeout_s: 20 });
    await createVm(a, { name: 'killed' });
    await post(a, '/agent/microvms/killed/kill');
    const before = await list(a);
    expect(before.map((m) => [m.name, m.state])).toEqual([
      ['fresh', 'created'],
      ['killed', 'exited'],
      ['paused', 'paused'],
      ['run', 'running'],
      ['stopped', 'stopped'],
    ]);

    await a.kill9();
    // The microVMs do not depend on the agent.
    expect(procState(run.pid ?? -1)).not.toBeNull();
    expect(procState(paused.pid ?? -1)).not.toBeNull();
    await a.restart();

    const after = await list(a);
    expect(after.map(essentials)).toEqual(before.map(essentials));
    const byName = new Map(after.map((m) => [m.name, m]));
    expect(byName.get('run')?.state).toBe('running');
    expect(byName.get('paused')?.state).toBe('paused');
    expect(byName.get('fresh')?.state).toBe('created');
    expect(byName.get('stopped')?.state).toBe('stopped');
    expect(byName.get('killed')?.exit?.reason).toBe('killed');
    expect(a.stderr()).toMatch(/"msg":"microvm adopted"/);

    // The console still works: history from before, and new output for new input.
    const con = await openConsole(a, 'run');
    try {
      await con.waitFor('Run /init as init process');
      con.send('echo after-restart\n');
      await con.waitFor('after-restart\r\n');
    } finally {
      await con.close();
    }

    // Lifecycle on adopted microVMs (not the new agent's children).
    expect((await post(a, '/agent/microvms/paused/resume')).body).toMatchObject({ state: 'running' });
    expect((await post(a, '/agent/microvms/fresh/start')).body).toMatchObject({ state: 'running' });
    const stop = stopMicrovmResponse.parse(
      (await post(a, '/agent/microvms/run/stop', { timeout_s: 20 })).body,
    );
    expect(stop.stop).toMatchObject({ graceful: true, method: 'ctrl_alt_del' });
    expect(stop.microvm).toMatchObject({ state: 'stopped', exit: { reason: 'stopped' } });
    const killed = await post(a, '/agent/microvms/paused/kill');
    expect(killed.body).toMatchObject({ state: 'exited', exit: { reason: 'killed', signal: 'SIGKILL' } });
    // Killed from outside, found by polling /proc.
    process.kill(byName.get('fresh')?.pid ?? -1, 'SIGKILL');
    const fresh = await waitUntil(async () => {
      const m = await getVm(a, 'fresh');
      return m.state === 'exited' && m;
    }, 'fresh to be seen exited');
    expect(fresh.exit).toMatchObject({ reason: 'crashed', code: null });
  });

  test('firecrackers that ended while the agent was down are recorded as exited, with the reason when known', async () => {
    agent = await startAgent();
    const a = agent;
    const crashed = await createVm(a, { name: 'crashed' });
    const rebooted = await createVm(a, { name: 'rebooted' });
    await waitUntil(
      () => readFileSync(join(a.stateDir, 'microvms', rebooted.id, 'console.log'), 'utf8').includes('/ # '),
      'shell prompt',
    );
    await a.kill9();
    process.kill(crashed.pid ?? -1, 'SIGKILL');
    // Type `reboot` into the guest through its console FIFO, as a console client would.
    const fifo = openSync(
      join(a.stateDir, 'microvms', rebooted.id, 'console.in'),
      constants.O_WRONLY | constants.O_NONBLOCK,
    );
    writeSync(fifo, 'reboot\n');
    closeSync(fifo);
    await waitUntil(
      () => procState(rebooted.pid ?? -1) === null || procState(rebooted.pid ?? -1) === 'Z',
      'guest reboot',
    );
    await waitUntil(
      () => procState(crashed.pid ?? -1) === null || procState(crashed.pid ?? -1) === 'Z',
      'kill',
    );
    await a.restart();
    const c = await getVm(a, 'crashed');
    expect(c).toMatchObject({ state: 'exited', pid: null, exit: { reason: 'crashed', code: null } });
    const r = await getVm(a, 'rebooted');
    expect(r).toMatchObject({ state: 'exited', exit: { reason: 'guest_reboot', code: 0 } });
    expect(r.last_console_lines.join('\n')).toMatch(/reboot: Restarting system/);
    // Logs of an exited microVM still answer, and a follow ends at once.
    const logs = await a.fetch('/agent/microvms/rebooted/logs?follow=1');
    expect(await logs.text()).toMatch(/reboot: Restarting system/);
  });

  test('microVMs started before the Linux side last booted are recorded as ended with it, not as crashed', async () => {
    agent = await startAgent();
    const a = agent;
    const vm = await createVm(a, { name: 'older' });
    await a.kill9();
    process.kill(vm.pid ?? -1, 'SIGKILL');
    await waitUntil(() => procState(vm.pid ?? -1) === null || procState(vm.pid ?? -1) === 'Z', 'kill');
    // As after `fc-macos vm stop` + `vm start`: the record says it started before this boot.
    const file = join(a.stateDir, 'microvms', vm.id, 'state.json');
    const record = JSON.parse(readFileSync(file, 'utf8'));
    record.microvm.started_at = '2000-01-01T00:00:00.000Z';
    await writeFile(file, JSON.stringify(record));
    await a.restart();
    expect(await getVm(a, 'older')).toMatchObject({
      state: 'exited',
      pid: null,
      exit: { reason: 'host_restarted', code: null, signal: null },
    });
  });

  test('a reused pid is not adopted nor killed; an unfinished create is cleaned up', async () => {
    agent = await startAgent();
    const a = agent;
    const vm = await createVm(a, { name: 'victim' });
    await a.kill9();
    process.kill(vm.pid ?? -1, 'SIGKILL');
    // Someone else now has "its" pid: a record pointing at a live process with another start time.
    const stranger = spawn('sleep', ['300'], { stdio: 'ignore' });
    extra.push(stranger);
    const statePath = join(a.stateDir, 'microvms', vm.id, 'state.json');
    const rec = JSON.parse(readFileSync(statePath, 'utf8'));
    rec.microvm.pid = stranger.pid;
    await writeFile(statePath, JSON.stringify(rec));
    // And a create that never finished, with its firecracker still running.
    const half = spawn('sleep', ['300'], { stdio: 'ignore' });
    extra.push(half);
    const halfStat = readFileSync(`/proc/${half.pid}/stat`, 'utf8');
    const halfStart = Number(halfStat.slice(halfStat.lastIndexOf(')') + 2).split(' ')[19]);
    const halfDir = join(a.stateDir, 'microvms', '00000000000000aa');
    await mkdir(halfDir, { mode: 0o700 });
    await writeFile(
      join(halfDir, 'state.json'),
      JSON.stringify({
        ...rec,
        phase: 'creating',
        pid_starttime: halfStart,
        microvm: { ...rec.microvm, id: '00000000000000aa', name: 'half', pid: half.pid },
      }),
    );
    await a.restart();
    expect(await getVm(a, 'victim')).toMatchObject({ state: 'exited', exit: { reason: 'crashed' } });
    expect(procState(stranger.pid ?? -1)).not.toBeNull();
    expect(stranger.exitCode).toBeNull();
    expect(existsSync(halfDir)).toBe(false);
    await waitUntil(
      () => half.exitCode !== null || half.signalCode !== null,
      'the half-created process to be killed',
    );
    expect(half.signalCode).toBe('SIGKILL');
    expect((await a.json('/agent/microvms/half')).status).toBe(404);
  });

  test('SIGTERM: console clients are told the agent is shutting down, microVMs keep running', async () => {
    agent = await startAgent();
    const a = agent;
    const vm = await createVm(a, { name: 'survivor' });
    const con = await openConsole(a, vm.name);
    await con.waitFor('Run /init');
    const code = await a.terminate();
    expect(code).toBe(0);
    expect((await con.closed).code).toBe(1001);
    expect(procState(vm.pid ?? -1)).not.toBeNull();
    await a.restart();
    expect(await getVm(a, vm.name)).toMatchObject({ state: 'running', pid: vm.pid });
  });

  test('--stop-vms-on-exit stops every microVM when the agent exits', async () => {
    agent = await startAgent({ extraArgs: ['--stop-vms-on-exit'] });
    const a = agent;
    const one = await createVm(a, { name: 'one' });
    const two = await createVm(a, { name: 'two', start: false });
    expect(await a.terminate()).toBe(0);
    expect(procState(one.pid ?? -1)).toBeNull();
    expect(procState(two.pid ?? -1)).toBeNull();
    await a.restart();
    expect(await getVm(a, 'one')).toMatchObject({ state: 'stopped', exit: { reason: 'stopped' } });
    expect(await getVm(a, 'two')).toMatchObject({ state: 'stopped' });
  });

  test('a corrupt state.json is skipped with a log line, the rest loads', async () => {
    agent = await startAgent();
    const a = agent;
    const good = await createVm(a, { name: 'good', start: false });
    const bad = await createVm(a, { name: 'bad', start: false });
    await a.kill9();
    process.kill(bad.pid ?? -1, 'SIGKILL');
    await writeFile(join(a.stateDir, 'microvms', bad.id, 'state.json'), '{"format": 1, "microvm": ');
    await a.restart();
    expect((await list(a)).map((m) => m.name)).toEqual(['good']);
    expect(good.id).toBe((await getVm(a, 'good')).id);
    expect(a.stderr()).toMatch(/"msg":"skipping microVM directory".*not JSON/);
  });
});
