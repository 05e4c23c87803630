// Every fc-agent route against the Firecracker double: what a user of the API would check.
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import {
  healthResponse,
  microvmList,
  statsResponse,
  stopMicrovmResponse,
  versionResponse,
} from '../../src/api/schemas.ts';
import { type StartedAgent, startAgent } from '../support/agent.ts';
import { doubleBin } from '../support/paths.ts';
import { procState, waitUntil } from '../support/proc.ts';
import {
  asError,
  consoleUrl,
  createRefused,
  createVm,
  getVm,
  openConsole,
  post,
  upgradeStatus,
} from './harness.ts';

let agent: StartedAgent;

beforeAll(async () => {
  agent = await startAgent();
});
afterAll(async () => {
  await agent?.stop();
});

const microvmDirs = (): string[] => readdirSync(join(agent.stateDir, 'microvms'));

describe('agent routes', () => {
  test('GET /health answers without a token', async () => {
    const res = await agent.json('/health', { auth: false });
    expect(res.status).toBe(200);
    expect(healthResponse.parse(res.body).status).toBe('ok');
  });

  test('every other route needs the bearer token', async () => {
    const vm = await createVm(agent, { name: 'auth-probe', start: false });
    const routes: Array<[string, string]> = [
      ['GET', '/agent/version'],
      ['GET', '/agent/stats'],
      ['GET', '/agent/microvms'],
      ['POST', '/agent/microvms'],
      ['GET', `/agent/microvms/${vm.name}`],
      ['DELETE', `/agent/microvms/${vm.name}`],
      ['POST', `/agent/microvms/${vm.name}/start`],
      ['POST', `/agent/microvms/${vm.name}/stop`],
      ['POST', `/agent/microvms/${vm.name}/kill`],
      ['POST', `/agent/microvms/${vm.name}/pause`],
      ['POST', `/agent/microvms/${vm.name}/resume`],
      ['GET', `/agent/microvms/${vm.name}/console`],
      ['GET', `/agent/microvms/${vm.name}/logs`],
      ['GET', `/agent/microvms/${vm.name}/firecracker/machine-config`],
      ['PUT', `/agent/microvms/${vm.name}/firecracker/machine-config`],
      ['GET', '/agent/nope'],
    ];
    for (const [method, path] of routes) {
      for (const auth of [false, 'wrong-token', `${agent.token}x`, agent.token.slice(1)] as const) {
        const res = await agent.json(path, { method, auth });
        expect(res.status, `${method} ${path} auth=${String(auth)}`).toBe(401);
        expect(asError(res.body).code).toBe('unauthorized');
      }
    }
    // With the token, the same GETs get through.
    for (const path of ['/agent/version', '/agent/microvms', `/agent/microvms/${vm.name}`]) {
      expect((await agent.fetch(path)).status).toBe(200);
    }
    const url = consoleUrl(agent, vm.name);
    expect(await upgradeStatus(url, {})).toBe(401);
    expect(await upgradeStatus(url, { authorization: 'Bearer nope' })).toBe(401);
    expect(await upgradeStatus(url, { authorization: `Bearer ${agent.token}` })).toBe(101);
    // Nothing changed through the refused calls.
    expect((await getVm(agent, vm.name)).state).toBe('created');
    await agent.fetch(`/agent/microvms/${vm.name}`, { method: 'DELETE' });
  });

  test('GET /agent/version reports the agent, firecracker and KVM', async () => {
    const res = await agent.json('/agent/version');
    expect(res.status).toBe(200);
    const v = versionResponse.parse(res.body);
    expect(v.firecracker).toBe('1.14.4');
    expect(v.firecracker_path).toBe(doubleBin);
    expect(v.agent).toMatch(/^\d+\.\d+\.\d+/);
  });

  test('create with defaults: running, own copy of the rootfs, files in a 0700 dir', async () => {
    const vm = await createVm(agent, { name: 'defaults' });
    expect(vm).toMatchObject({ name: 'defaults', state: 'running', vcpus: 1, memory_mib: 128 });
    expect(vm.id).toMatch(/^[0-9a-f]{16}$/);
    expect(vm.kernel).toBe(agent.kernel);
    const dir = join(agent.stateDir, 'microvms', vm.id);
    expect(vm.rootfs).toBe(join(dir, 'rootfs.ext4'));
    expect(readFileSync(vm.rootfs).equals(readFileSync(agent.rootfs))).toBe(true);
    expect(statSync(dir).mode & 0o777).toBe(0o700);
    expect(vm.socket_path).toBe(join(dir, 'firecracker.sock'));
    expect(statSync(vm.socket_path).isSocket()).toBe(true);
    expect(statSync(join(dir, 'console.in')).isFIFO()).toBe(true);
    for (const f of ['console.log', 'firecracker.log', 'metrics.json', 'state.json']) {
      expect(existsSync(join(dir, f)), f).toBe(true);
    }
    // The guest console and Firecracker's own log stay apart.
    await waitUntil(() => {
      const t = readFileSync(join(dir, 'console.log'), 'utf8');
      return t.includes('Run /init') && t;
    }, 'boot output in console.log');
    // Firecracker runs at --level Warning: a rejected call is the first thing it logs.
    const rejected = await agent.fetch(`/agent/microvms/${vm.id}/firecracker/machine-config`, {
      method: 'PUT',
      body: JSON.stringify({ vcpu_count: 1, mem_size_mib: 128 }),
    });
    expect(rejected.status).toBe(400);
    const fcLog = await waitUntil(() => {
      const t = readFileSync(join(dir, 'firecracker.log'), 'utf8');
      return t.includes('fc_api') && t;
    }, 'the rejected call in firecracker.log');
    expect(fcLog).toMatch(/Received Error\. Status code: 400/);
    expect(readFileSync(join(dir, 'console.log'), 'utf8')).not.toMatch(/fc_api|Received Error/);
    const argv = readFileSync(`/proc/${vm.pid}/cmdline`, 'utf8').split('\0');
    expect(argv.slice(argv.indexOf('--level'), argv.indexOf('--level') + 2)).toEqual(['--level', 'Warning']);
    const state = JSON.parse(readFileSync(join(dir, 'state.json'), 'utf8'));
    expect(state.microvm).toMatchObject({ id: vm.id, state: 'running', pid: vm.pid });
    expect(procState(vm.pid ?? -1)).not.toBeNull();
  });

  test('a rootfs given by the user is used in place', async () => {
    const own = join(agent.root, 'own-rootfs.ext4');
    await writeFile(own, Buffer.alloc(4096));
    const vm = await createVm(agent, { name: 'own-rootfs', rootfs: own, start: false });
    expect(vm.rootfs).toBe(own);
    expect(existsSync(join(agent.stateDir, 'microvms', vm.id, 'rootfs.ext4'))).toBe(false);
    const cfg = await agent.json<{ drives: Array<{ path_on_host: string }> }>(
      `/agent/microvms/${vm.id}/firecracker/vm/config`,
    );
    expect(cfg.body.drives[0]?.path_on_host).toBe(own);
  });

  test('generated names take the lowest free microvm-N; the list is sorted by name', async () => {
    const a = await createVm(agent, { start: false });
    const b = await createVm(agent, { start: false });
    expect([a.name, b.name]).toEqual(['microvm-1', 'microvm-2']);
    await agent.fetch('/agent/microvms/microvm-1', { method: 'DELETE' });
    expect((await createVm(agent, { start: false })).name).toBe('microvm-1');
    const list = microvmList.parse((await agent.json('/agent/microvms')).body).microvms;
    const names = list.map((m) => m.name);
    expect(names).toEqual([...names].sort((x, y) => x.localeCompare(y)));
    expect(names).toEqual(expect.arrayContaining(['microvm-1', 'microvm-2']));
  });

  test('a microVM is found by id, name or unique id prefix; an ambiguous prefix lists candidates', async () => {
    const vm = await createVm(agent, { name: 'resolve-me', start: false });
    expect((await getVm(agent, vm.id)).name).toBe('resolve-me');
    expect((await getVm(agent, 'resolve-me')).id).toBe(vm.id);
    // Make two ids share a first character (at most 17 microVMs by pigeonhole).
    const byFirst = new Map<string, string[]>();
    for (const m of microvmList.parse((await agent.json('/agent/microvms')).body).microvms) {
      byFirst.set(m.id[0] ?? '', [...(byFirst.get(m.id[0] ?? '') ?? []), m.id]);
    }
    let shared = [...byFirst.entries()].find(([, ids]) => ids.length > 1);
    for (let i = 0; !shared && i < 17; i++) {
      const m = await createVm(agent, { name: `prefix-${i}`, start: false });
      const ids = [...(byFirst.get(m.id[0] ?? '') ?? []), m.id];
      byFirst.set(m.id[0] ?? '', ids);
      if (ids.length > 1) shared = [m.id[0] ?? '', ids];
    }
    if (!shared) throw new Error('no shared prefix');
    const [prefix, ids] = shared;
    const res = await agent.json(`/agent/microvms/${prefix}`);
    expect(res.status).toBe(409);
    const err = asError(res.body);
    expect(err.code).toBe('ambiguous');
    const candidates = ((err.details?.candidates ?? []) as Array<{ id: string }>).map((c) => c.id);
    expect(candidates.sort()).toEqual([...ids].sort());
    // A longer prefix that is unique works.
    const unique = vm.id.slice(0, 12);
    expect((await getVm(agent, unique)).id).toBe(vm.id);
    expect((await agent.json('/agent/microvms/ffffffffffffffff0')).status).toBe(404);
  });

  test('start:false → created; configure through the passthrough; start → running', async () => {
    const vm = await createVm(agent, { name: 'step-by-step', start: false });
    expect(vm.state).toBe('created');
    expect(vm.started_at).toBeNull();
    const put = await agent.fetch(`/agent/microvms/${vm.name}/firecracker/machine-config`, {
      method: 'PUT',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ vcpu_count: 2, mem_size_mib: 256 }),
    });
    expect(put.status).toBe(204);
    expect(await put.text()).toBe('');
    const info = await agent.json<{ state: string }>(`/agent/microvms/${vm.name}/firecracker/`);
    expect(info.body.state).toBe('Not started');
    const after = await getVm(agent, vm.name);
    expect(after).toMatchObject({ state: 'created', vcpus: 2, memory_mib: 256 });
    const started = await post(agent, `/agent/microvms/${vm.name}/start`);
    expect(started.status).toBe(200);
    expect(started.body).toMatchObject({ state: 'running' });
    expect((await getVm(agent, vm.name)).started_at).not.toBeNull();
    const again = await post(agent, `/agent/microvms/${vm.name}/start`);
    expect(again.status).toBe(409);
    expect(asError(again.body).code).toBe('invalid_state');
  });

  test('the passthrough returns Firecracker answers unchanged and keeps the state true', async () => {
    const vm = await createVm(agent, { name: 'passthrough', start: false });
    const base = `/agent/microvms/${vm.name}/firecracker`;
    const start = await agent.fetch(`${base}/actions`, {
      method: 'PUT',
      body: JSON.stringify({ action_type: 'InstanceStart' }),
    });
    expect(start.status).toBe(204);
    expect((await getVm(agent, vm.name)).state).toBe('running');
    // Firecracker's refusal comes back as it was sent.
    const refused = await agent.fetch(`${base}/machine-config`, {
      method: 'PUT',
      body: JSON.stringify({ vcpu_count: 2, mem_size_mib: 256 }),
    });
    expect(refused.status).toBe(400);
    expect(refused.headers.get('content-type')).toBe('application/json');
    expect(await refused.json()).toEqual({
      fault_message: 'The requested operation is not supported after starting the microVM.',
    });
    const unknown = await agent.fetch(`${base}/nope`);
    expect(unknown.status).toBe(400);
    expect(await unknown.json()).toEqual({ fault_message: 'Invalid request method and/or path: GET nope.' });
    const pause = await agent.fetch(`${base}/vm`, {
      method: 'PATCH',
      body: JSON.stringify({ state: 'Paused' }),
    });
    expect(pause.status).toBe(204);
    expect((await getVm(agent, vm.name)).state).toBe('paused');
    // Reads change nothing.
    const read = await agent.json<{ state: string }>(`${base}/`);
    expect(read.body.state).toBe('Paused');
    expect((await getVm(agent, vm.name)).state).toBe('paused');
    await agent.fetch(`${base}/vm`, { method: 'PATCH', body: JSON.stringify({ state: 'Resumed' }) });
    expect((await getVm(agent, vm.name)).state).toBe('running');
  });

  test('configure:false gives a bare firecracker that loads a snapshot through the passthrough', async () => {
    const source = await createVm(agent, { name: 'snap-source' });
    expect((await post(agent, `/agent/microvms/${source.name}/pause`)).status).toBe(200);
    const snapshot = join(agent.root, 'snap.state');
    const mem = join(agent.root, 'snap.mem');
    const created = await agent.fetch(`/agent/microvms/${source.name}/firecracker/snapshot/create`, {
      method: 'PUT',
      body: JSON.stringify({ snapshot_type: 'Full', snapshot_path: snapshot, mem_file_path: mem }),
    });
    expect(created.status).toBe(204);

    const bare = await createVm(agent, { name: 'snap-target', configure: false });
    expect(bare).toMatchObject({ state: 'created', kernel: '', rootfs: '', boot_args: '' });
    expect(existsSync(join(agent.stateDir, 'microvms', bare.id, 'rootfs.ext4'))).toBe(false);
    const loaded = await agent.fetch(`/agent/microvms/${bare.name}/firecracker/snapshot/load`, {
      method: 'PUT',
      body: JSON.stringify({
        snapshot_path: snapshot,
        mem_backend: { backend_type: 'File', backend_path: mem },
        resume_vm: true,
      }),
    });
    expect(loaded.status).toBe(204);
    expect(await getVm(agent, bare.name)).toMatchObject({ state: 'running', vcpus: source.vcpus });

    // The same load on a configured microVM is refused by Firecracker (and ends that firecracker).
    const configured = await createVm(agent, { name: 'snap-configured', start: false });
    const refused = await agent.fetch(`/agent/microvms/${configured.name}/firecracker/snapshot/load`, {
      method: 'PUT',
      body: JSON.stringify({
        snapshot_path: snapshot,
        mem_backend: { backend_type: 'File', backend_path: mem },
      }),
    });
    expect(refused.status).toBe(400);
    expect(await refused.json()).toEqual({
      fault_message:
        'Load snapshot error: Loading a microVM snapshot not allowed after configuring boot-specific resources.',
    });
  });

  test('configure:false goes with no files and no start', async () => {
    for (const [body, field] of [
      [{ configure: false, start: true }, 'start'],
      [{ configure: false, kernel: '/nope' }, 'kernel'],
      [{ configure: false, drives: [{ path: '/nope' }] }, 'drives'],
    ] as const) {
      const res = await agent.json('/agent/microvms', { method: 'POST', body: JSON.stringify(body) });
      expect(res.status, JSON.stringify(body)).toBe(400);
      const err = asError(res.body);
      expect(err.code).toBe('validation_failed');
      expect(err.message).toContain(`${field}: cannot`);
    }
  });

  test('pause and resume', async () => {
    const vm = await createVm(agent, { name: 'pausable' });
    const wrong = await post(agent, `/agent/microvms/${vm.name}/resume`);
    expect(wrong.status).toBe(409);
    expect(asError(wrong.body).code).toBe('invalid_state');
    expect((await post(agent, `/agent/microvms/${vm.name}/pause`)).body).toMatchObject({ state: 'paused' });
    expect((await agent.json<{ state: string }>(`/agent/microvms/${vm.name}/firecracker/`)).body.state).toBe(
      'Paused',
    );
    expect((await post(agent, `/agent/microvms/${vm.name}/pause`)).status).toBe(409);
    expect((await post(agent, `/agent/microvms/${vm.name}/resume`)).body).toMatchObject({ state: 'running' });
  });

  test('graceful stop: Ctrl+Alt+Del ends the guest, reason stopped, last console lines kept', async () => {
    const vm = await createVm(agent, { name: 'graceful' });
    const res = await post(agent, `/agent/microvms/${vm.name}/stop`, { timeout_s: 20 });
    expect(res.status).toBe(200);
    const body = stopMicrovmResponse.parse(res.body);
    expect(body.stop).toMatchObject({ graceful: true, method: 'ctrl_alt_del' });
    expect(body.microvm).toMatchObject({ state: 'stopped', pid: null });
    expect(body.microvm.exit).toMatchObject({ reason: 'stopped', code: 0, signal: null });
    expect(body.microvm.last_console_lines.join('\n')).toMatch(/reboot: Restarting system/);
    expect(procState(vm.pid ?? -1)).toBeNull();
    expect(existsSync(vm.socket_path)).toBe(false);
    // Still listed until deleted, and nothing more can be done to it but delete.
    expect((await getVm(agent, vm.name)).state).toBe('stopped');
    for (const op of ['start', 'stop', 'kill', 'pause', 'resume']) {
      const r = await post(agent, `/agent/microvms/${vm.name}/${op}`);
      expect(r.status, op).toBe(409);
      expect(asError(r.body).code).toBe('invalid_state');
    }
    const pt = await agent.json(`/agent/microvms/${vm.name}/firecracker/`);
    expect(pt.status).toBe(409);
    expect(asError(pt.body).message).toMatch(/not running/);
  });

  test('stop of a microVM that never booted, and a forced stop, kill at once', async () => {
    const created = await createVm(agent, { name: 'stop-created', start: false });
    const a = stopMicrovmResponse.parse((await post(agent, `/agent/microvms/${created.name}/stop`)).body);
    expect(a.stop).toMatchObject({ graceful: false, method: 'kill' });
    expect(a.stop.message).toMatch(/not booted/);
    expect(a.microvm).toMatchObject({ state: 'stopped' });
    expect(a.microvm.exit).toMatchObject({ reason: 'stopped', signal: 'SIGKILL' });
    const running = await createVm(agent, { name: 'stop-forced' });
    const b = stopMicrovmResponse.parse(
      (await post(agent, `/agent/microvms/${running.name}/stop`, { force: true })).body,
    );
    expect(b.stop).toMatchObject({ graceful: false, method: 'kill' });
    expect(b.microvm.exit).toMatchObject({ reason: 'stopped', signal: 'SIGKILL' });
  });

  test('kill: SIGKILL, state exited with reason killed, no zombie', async () => {
    const vm = await createVm(agent, { name: 'killed' });
    const res = await post(agent, `/agent/microvms/${vm.name}/kill`);
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({
      state: 'exited',
      pid: null,
      exit: { reason: 'killed', signal: 'SIGKILL' },
    });
    expect(procState(vm.pid ?? -1)).toBeNull();
  });

  test('a firecracker killed from outside becomes exited (SIGKILL, crashed) and is reaped', async () => {
    const vm = await createVm(agent, { name: 'outside-kill' });
    const pid = vm.pid ?? -1;
    process.kill(pid, 'SIGKILL');
    const after = await waitUntil(async () => {
      const m = await getVm(agent, vm.name);
      return m.state === 'exited' && m;
    }, 'state exited');
    expect(after.exit).toMatchObject({ signal: 'SIGKILL', code: null, reason: 'crashed' });
    const st = procState(pid);
    expect(st === null || st !== 'Z').toBe(true);
    expect(st).toBeNull();
  });

  test('a guest reboot (reboot=k) ends firecracker with code 0: exited, reason guest_reboot', async () => {
    const vm = await createVm(agent, { name: 'rebooter' });
    const con = await openConsole(agent, vm.name);
    try {
      await con.waitFor('/ # ');
      con.send('reboot\n');
      const closed = await con.closed;
      expect(closed.code).toBe(4000);
    } finally {
      await con.close();
    }
    const after = await waitUntil(async () => {
      const m = await getVm(agent, vm.name);
      return m.state === 'exited' && m;
    }, 'state exited');
    expect(after.exit).toMatchObject({ code: 0, signal: null, reason: 'guest_reboot' });
  });

  test('console: history first, then live output for what is typed; logs with tail and source', async () => {
    const vm = await createVm(agent, { name: 'console' });
    const con = await openConsole(agent, vm.name);
    try {
      await con.waitFor('Run /init as init process');
      con.send('echo hello-from-test\n');
      await con.waitFor('hello-from-test\r\n');
    } finally {
      await con.close();
    }
    const logs = await agent.fetch(`/agent/microvms/${vm.name}/logs?tail=2`);
    expect(logs.status).toBe(200);
    const text = await logs.text();
    expect(text).toMatch(/hello-from-test/);
    expect(text.trimEnd().split('\n').length).toBeLessThanOrEqual(2);
    await agent.fetch(`/agent/microvms/${vm.name}/firecracker/boot-source`, { method: 'PUT', body: '{}' });
    const fc = await (await agent.fetch(`/agent/microvms/${vm.name}/logs?source=firecracker`)).text();
    expect(fc).toMatch(/:fc_api\] /);
    expect(text).not.toMatch(/fc_api/);
    expect(fc).not.toMatch(/hello-from-test/);
  });

  test('stats list each microVM with its resource use', async () => {
    const vm = await createVm(agent, { name: 'stats' });
    const res = await agent.json('/agent/stats');
    expect(res.status).toBe(200);
    const stats = statsResponse.parse(res.body);
    const mine = stats.microvms.find((m) => m.id === vm.id);
    expect(mine).toMatchObject({ name: 'stats', state: 'running', pid: vm.pid });
    expect(mine?.rss_bytes).toBeGreaterThan(0);
  });

  test('DELETE kills a running microVM and leaves no socket, file or process', async () => {
    const vm = await createVm(agent, { name: 'doomed' });
    const dir = join(agent.stateDir, 'microvms', vm.id);
    const res = await agent.json(`/agent/microvms/${vm.name}`, { method: 'DELETE' });
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ id: vm.id, state: 'exited', exit: { reason: 'killed' } });
    expect(existsSync(dir)).toBe(false);
    expect(existsSync(vm.socket_path)).toBe(false);
    expect(procState(vm.pid ?? -1)).toBeNull();
    expect((await agent.json(`/agent/microvms/${vm.name}`)).status).toBe(404);
    expect((await agent.json(`/agent/microvms/${vm.name}`, { method: 'DELETE' })).status).toBe(404);
  });

  test('a create Firecracker refuses leaves nothing behind and says why', async () => {
    const before = microvmDirs().length;
    const res = await createRefused(agent, 'refused');
    expect(res.status).toBe(400);
    const err = asError(res.body);
    expect(err.code).toBe('firecracker_error');
    expect(err.message).toMatch(/Invalid ELF magic number|Kernel Loader/);
    expect(microvmDirs().length).toBe(before);
    expect((await agent.json('/agent/microvms/refused')).status).toBe(404);
    // The name is free again.
    expect((await createVm(agent, { name: 'refused', start: false })).name).toBe('refused');
  });

  test('a missing kernel, rootfs or drive is named as a path on the agent host', async () => {
    const before = microvmDirs().length;
    for (const field of ['kernel', 'rootfs', 'initrd']) {
      const res = await agent.json('/agent/microvms', {
        method: 'POST',
        body: JSON.stringify({ [field]: `/nonexistent/${field}.img` }),
      });
      expect(res.status, field).toBe(400);
      expect(asError(res.body).message).toContain(`/nonexistent/${field}.img`);
      expect(asError(res.body).message).toMatch(/agent's host/);
    }
    const drive = await agent.json('/agent/microvms', {
      method: 'POST',
      body: JSON.stringify({ drives: [{ path: '/nonexistent/data.img' }] }),
    });
    expect(drive.status).toBe(400);
    expect(asError(drive.body).message).toMatch(/drives\.0\.path: \/nonexistent\/data\.img/);
    expect(microvmDirs().length).toBe(before);
  });

  test('extra drives and a balloon are configured in Firecracker', async () => {
    const data = join(agent.root, 'data.img');
    await writeFile(data, Buffer.alloc(4096));
    const vm = await createVm(agent, {
      name: 'devices',
      drives: [
        { path: data, read_only: true },
        { id: 'scratch', path: data },
      ],
      balloon: { amount_mib: 16 },
      start: false,
    });
    expect(vm.drives).toEqual([
      { id: 'drive1', path: data, read_only: true },
      { id: 'scratch', path: data, read_only: false },
    ]);
    const cfg = await agent.json<{
      drives: Array<{ drive_id: string; is_read_only: boolean }>;
      balloon: { amount_mib: number } | null;
    }>(`/agent/microvms/${vm.name}/firecracker/vm/config`);
    expect(cfg.body.drives.map((d) => d.drive_id)).toEqual(['rootfs', 'drive1', 'scratch']);
    expect(cfg.body.balloon?.amount_mib).toBe(16);
  });
});
