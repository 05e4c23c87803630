// What the double does that the real binary cannot show on these hosts (no guest ever runs there):
// the serial console, guest reboot, metrics lines, its own snapshots, and its refusals.
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { doubleBin } from '../support/paths.ts';
import { request, sendRaw } from './support/raw-http.ts';
import { Target } from './support/target.ts';

const started: Target[] = [];
afterEach(async () => {
  await Promise.all(started.splice(0).map((t) => t.stop()));
});

/** The double only reads the ELF header of the kernel it is given. */
function writeElfHeader(path: string): void {
  const b = Buffer.alloc(64);
  b.write('\x7fELF', 0, 'latin1');
  b[4] = 2;
  b[5] = 1;
  writeFileSync(path, b);
}

async function double(args?: string[]): Promise<Target> {
  const t = new Target('double', doubleBin);
  started.push(t);
  writeElfHeader(join(t.dir, 'vmlinux'));
  await t.start(args);
  return t;
}

async function api(t: Target, method: string, path: string, body?: unknown) {
  const text = body === undefined ? undefined : JSON.stringify(body).replaceAll('$DIR', t.dir);
  return sendRaw(t.socket, request(method, path, text));
}

async function boot(t: Target, bootArgs = 'console=ttyS0 reboot=k panic=1 fc_hostname=guest1') {
  expect((await api(t, 'PUT', '/machine-config', { vcpu_count: 2, mem_size_mib: 256 })).status).toBe(204);
  expect(
    (await api(t, 'PUT', '/boot-source', { kernel_image_path: '$DIR/vmlinux', boot_args: bootArgs })).status,
  ).toBe(204);
  expect((await api(t, 'PUT', '/actions', { action_type: 'InstanceStart' })).status).toBe(204);
  return t.waitForStdout('/ # ');
}

describe('fc-double guest console', () => {
  it('boots with kernel-like lines and answers shell commands with tty echo', async () => {
    const t = await double();
    let at = await boot(t);
    expect(t.stdout).toContain('Command line: console=ttyS0 reboot=k panic=1 fc_hostname=guest1');
    const run = async (cmd: string, expected: string) => {
      t.type(`${cmd}\n`);
      at = await t.waitForStdout(`${cmd}\r\n${expected}/ # `, at);
    };
    await run('echo hello world', 'hello world\r\n');
    await run('hostname', 'guest1\r\n');
    await run('nproc', '2\r\n');
    await run('cat /proc/cmdline', 'console=ttyS0 reboot=k panic=1 fc_hostname=guest1\r\n');
    await run('frobnicate', 'sh: frobnicate: not found\r\n');
    t.type('free -m\n');
    await t.waitForStdout('Mem:            256', at);
  });

  it('uses the --id as hostname without fc_hostname, and holds console I/O while paused', async () => {
    const t = await double(['--api-sock', '$DIR/fc.sock', '--id', 'vm-7', '--level', 'Warning']);
    let at = await boot(t, 'console=ttyS0 reboot=k');
    expect((await api(t, 'PATCH', '/vm', { state: 'Paused' })).status).toBe(204);
    t.type('hostname\n');
    expect(JSON.parse((await api(t, 'GET', '/')).body).state).toBe('Paused');
    expect(t.stdout.indexOf('vm-7\r\n', at)).toBe(-1);
    expect((await api(t, 'PATCH', '/vm', { state: 'Resumed' })).status).toBe(204);
    at = await t.waitForStdout('hostname\r\nvm-7\r\n/ # ', at);
  });

  it('exits 0 when a reboot=k guest reboots', async () => {
    const t = await double();
    await boot(t);
    t.type('reboot\n');
    expect(await t.exited).toEqual({ code: 0, signal: null });
    expect(t.stdout).toContain('reboot: Restarting system');
  });

  it('exits 0 after SendCtrlAltDel, once the 204 went out', async () => {
    const t = await double();
    await boot(t);
    expect((await api(t, 'PUT', '/actions', { action_type: 'SendCtrlAltDel' })).status).toBe(204);
    expect(await t.exited).toEqual({ code: 0, signal: null });
  });

  it('appends a metrics line on FlushMetrics', async () => {
    const t = await double();
    expect((await api(t, 'PUT', '/metrics', { metrics_path: '$DIR/metrics.json' })).status).toBe(204);
    await boot(t);
    expect((await api(t, 'PUT', '/actions', { action_type: 'FlushMetrics' })).status).toBe(204);
    const lines = readFileSync(join(t.dir, 'metrics.json'), 'utf8').trim().split('\n');
    expect(lines).toHaveLength(1);
    const m = JSON.parse(lines[0] ?? '{}');
    expect(m.utc_timestamp_ms).toBeGreaterThan(0);
    expect(Object.keys(m)).toEqual(expect.arrayContaining(['block', 'net', 'uart', 'vcpu']));
  });

  it('logs `<timestamp> [<id>:<thread>] <message>` lines to stdout at the given level', async () => {
    const t = await double(['--api-sock', '$DIR/fc.sock', '--id', 'logvm', '--level', 'Info']);
    await api(t, 'GET', '/nope');
    await t.waitForStdout('InvalidPathMethod("nope", Get)');
    expect(t.stdout).toMatch(
      /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{9} \[logvm:main\] Running Firecracker v1\.14\.4$/m,
    );
    expect(t.stdout).toMatch(/\[logvm:fc_api\] The API server received a Get request on "\/nope"\.$/m);
  });
});

describe('fc-double snapshots', () => {
  it('loads a snapshot it created into a fresh process, paused, with the same config', async () => {
    const a = await double();
    await boot(a);
    expect(
      (await api(a, 'PUT', '/snapshot/create', { snapshot_path: '$DIR/snap', mem_file_path: '$DIR/mem' }))
        .status,
    ).toBe(400);
    expect((await api(a, 'PATCH', '/vm', { state: 'Paused' })).status).toBe(204);
    expect(
      (await api(a, 'PUT', '/snapshot/create', { snapshot_path: '$DIR/snap', mem_file_path: '$DIR/mem' }))
        .status,
    ).toBe(204);
    const config = (await api(a, 'GET', '/vm/config')).body;

    const b = await double();
    const load = await api(b, 'PUT', '/snapshot/load', {
      snapshot_path: join(a.dir, 'snap'),
      mem_backend: { backend_path: join(a.dir, 'mem'), backend_type: 'File' },
    });
    expect(load.status).toBe(204);
    expect(JSON.parse((await api(b, 'GET', '/')).body).state).toBe('Paused');
    expect((await api(b, 'GET', '/vm/config')).body).toBe(config);
    expect((await api(b, 'PATCH', '/vm', { state: 'Resumed' })).status).toBe(204);
    b.type('nproc\n');
    await b.waitForStdout('nproc\r\n2\r\n');
  });

  it('refuses a snapshot it did not write, then exits 1 like a failed load', async () => {
    const t = await double();
    writeFileSync(join(t.dir, 'foreign'), 'not a snapshot');
    const res = await api(t, 'PUT', '/snapshot/load', {
      snapshot_path: '$DIR/foreign',
      mem_file_path: '$DIR/foreign',
    });
    expect(res.status).toBe(400);
    expect(JSON.parse(res.body).fault_message).toContain(
      'fc-double does not model loading snapshots it did not create',
    );
    expect(await t.exited).toEqual({ code: 1, signal: null });
    expect(t.stderr).toContain('Error: RunWithApi(BuildMicroVmError(Restore))');
  });
});

describe('fc-double refusals', () => {
  it('says what it does not model instead of pretending', async () => {
    const t = await double();
    const drive = await api(t, 'PUT', '/drives/vu', {
      drive_id: 'vu',
      is_root_device: false,
      socket: '$DIR/vu.sock',
    });
    expect(JSON.parse(drive.body).fault_message).toBe(
      'fc-double does not model vhost-user block devices (drive socket)',
    );
    const cpu = await api(t, 'PUT', '/cpu-config', {});
    expect(JSON.parse(cpu.body).fault_message).toMatch(/^fc-double does not model custom CPU templates/);
    expect(existsSync(join(t.dir, 'vu.sock'))).toBe(false);
  });
});
