// Firecracker API commands through the agent's passthrough: the configure-then-start flow, reads
// from /vm/config, pre-boot-only calls on a booted microVM, snapshots, balloon, metrics.
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { Microvm } from '../../src/api/schemas.ts';
import { type StartedAgent, startAgent } from '../support/agent.ts';
import { cliBin } from '../support/paths.ts';
import { type CliEnv, cliEnv, PtySession } from './harness.ts';

let agent: StartedAgent;
let cli: CliEnv;
const sessions: PtySession[] = [];

beforeAll(async () => {
  agent = await startAgent();
  cli = await cliEnv(agent);
}, 60_000);

afterEach(async () => {
  for (const s of sessions.splice(0)) await s.kill();
});

afterAll(async () => {
  await agent?.stop();
  await cli?.cleanup();
});

type Err = { error: { code: string; message: string } };

describe('configure, then start', () => {
  it('create → boot set → drives add → machine config → actions start → the console has a prompt', async () => {
    const data = join(agent.root, 'images', 'data.img');
    await writeFile(data, Buffer.alloc(4096));
    const created = await cli.json<Microvm>(['microvm', 'create', '--name', 'cfg']);
    expect(created.code).toBe(0);
    expect(created.body.state).toBe('created');

    const steps: string[][] = [
      [
        'boot',
        'set',
        'cfg',
        '--kernel',
        agent.kernel,
        '--boot-args',
        'console=ttyS0 reboot=k panic=1 fc_hostname=cfg-host',
      ],
      ['drives', 'add', '--name', 'cfg', '--id', 'data', '--path', data, '--ro'],
      ['machine', 'config', 'cfg', '--vcpus', '2', '--memory', '256'],
    ];
    for (const args of steps) {
      const r = await cli.run(args);
      expect({ args, code: r.code, stderr: r.stderr }).toEqual({ args, code: 0, stderr: '' });
    }
    const boot = await cli.json<{
      microvm: string;
      boot_source: { kernel_image_path: string; boot_args: string };
    }>(['boot', 'get', 'cfg']);
    expect(boot.body).toEqual({
      microvm: 'cfg',
      boot_source: expect.objectContaining({
        kernel_image_path: agent.kernel,
        boot_args: 'console=ttyS0 reboot=k panic=1 fc_hostname=cfg-host',
      }),
    });
    const drives = await cli.run(['drives', 'list', 'cfg']);
    expect(drives.stdout).toMatch(/^ID\s+PATH\s+ROOT\s+READ-ONLY$/m);
    expect(drives.stdout).toMatch(new RegExp(`^data\\s+${data.replace(/[.]/g, '\\.')}\\s+no\\s+yes$`, 'm'));
    expect(drives.stdout).toMatch(/^rootfs\s+\S+\s+yes\s+no$/m);

    const started = await cli.run(['actions', 'start', 'cfg']);
    expect(started.code).toBe(0);
    expect(started.stdout).toBe('started cfg: `fc-macos microvm shell cfg` attaches its console\n');
    const vm = (await cli.json<Microvm>(['microvm', 'status', 'cfg'])).body;
    expect(vm).toMatchObject({ state: 'running', vcpus: 2, memory_mib: 256 });
    expect(vm.drives).toEqual([{ id: 'data', path: data, read_only: true }]);

    const s = new PtySession([process.execPath, cliBin, 'microvm', 'shell', 'cfg'], cli.env);
    sessions.push(s);
    await s.waitFor(/\/ # $/);
    s.write('hostname\r');
    await s.waitFor(/hostname\r+\ncfg-host\r+\n/);
    s.write('nproc\r');
    await s.waitFor(/nproc\r+\n2\r+\n/);
    s.write('\x1d');
    expect(await s.exited).toBe(0);
  });

  it("pre-boot calls on a booted microVM fail with Firecracker's message and a hint", async () => {
    const r = await cli.run(['machine', 'config', 'cfg', '--vcpus', '1']);
    expect(r.code).toBe(1);
    expect(r.stderr).toBe(
      'fc-macos: Firecracker refused PATCH /machine-config on microVM cfg: The requested operation is not supported after starting the microVM (this is only possible before boot: create the microVM with `fc-macos microvm create`, configure it, then boot it with `fc-macos actions start cfg`)\n',
    );
    const j = await cli.json<Err>(['boot', 'set', 'cfg', '--kernel', agent.kernel]);
    expect(j.code).toBe(1);
    expect(j.body.error.code).toBe('firecracker_error');
    const again = await cli.run(['actions', 'start', 'cfg']);
    expect(again.code).toBe(1);
    expect(again.stderr).toMatch(/^fc-macos: cannot start microVM cfg: it is running/);
  });

  it('reads machine info, version and config', async () => {
    const info = await cli.json<{ instance_info: { state: string } }>(['machine', 'info', 'cfg']);
    expect(info.body.instance_info.state).toBe('Running');
    const human = await cli.run(['machine', 'info', 'cfg']);
    expect(human.stdout).toMatch(/^State:\s+Running$/m);
    expect(human.stdout).toMatch(/^VMM:\s+Firecracker \d+\.\d+\.\d+$/m);
    const version = await cli.run(['machine', 'version', '--name', 'cfg']);
    expect(version.stdout).toMatch(/^Firecracker \d+\.\d+\.\d+\n$/);
    const cfg = await cli.run(['machine', 'config', 'cfg']);
    expect(cfg.stdout).toMatch(/^vCPUs:\s+2$/m);
    expect(cfg.stdout).toMatch(/^Memory:\s+256 MiB$/m);
  });

  it('needs exactly one of NAME and --name', async () => {
    const none = await cli.run(['boot', 'get']);
    expect(none.code).toBe(2);
    expect(none.stderr).toBe('fc-macos: boot get: which microVM? give its NAME (or --name NAME)\n');
    const both = await cli.run(['boot', 'get', 'cfg', '--name', 'other']);
    expect(both.code).toBe(2);
  });
});

describe('network', () => {
  it('adds an interface before boot and lists it; update needs a limiter', async () => {
    await cli.run(['microvm', 'create', '--name', 'net']);
    const add = await cli.run([
      'network',
      'add',
      'net',
      '--id',
      'eth0',
      '--tap',
      'tap-fc0',
      '--mac',
      '06:00:AC:10:00:02',
    ]);
    expect(add.code).toBe(0);
    const list = await cli.json<{ network_interfaces: Array<{ iface_id: string; host_dev_name: string }> }>([
      'network',
      'list',
      'net',
    ]);
    expect(list.body.network_interfaces).toEqual([
      // Firecracker answers the MAC in lowercase.
      expect.objectContaining({ iface_id: 'eth0', host_dev_name: 'tap-fc0', guest_mac: '06:00:ac:10:00:02' }),
    ]);
    const bad = await cli.run(['network', 'add', 'net', '--id', 'eth1', '--tap', 't', '--mac', 'zz']);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/--mac "zz": must be six hex pairs/);
    const none = await cli.run(['network', 'update', 'net', '--id', 'eth0']);
    expect(none.code).toBe(2);
    // Rate limiters change only on a booted microVM (Firecracker's rule).
    const early = await cli.run([
      'network',
      'update',
      'net',
      '--id',
      'eth0',
      '--rx-bandwidth',
      '1048576:1000',
    ]);
    expect(early.code).toBe(1);
    expect(early.stderr).toMatch(/boot it with `fc-macos actions start net`/);
    expect((await cli.run(['actions', 'start', 'net'])).code).toBe(0);
    const upd = await cli.run(['network', 'update', 'net', '--id', 'eth0', '--rx-bandwidth', '1048576:1000']);
    expect(upd.stderr).toBe('');
    expect(upd.code).toBe(0);
    const badBucket = await cli.run(['network', 'update', 'net', '--id', 'eth0', '--tx-ops', 'fast']);
    expect(badBucket.code).toBe(2);
    expect(badBucket.stderr).toMatch(/--tx-ops.*SIZE:REFILL_MS/);
  });
});

describe('actions and snapshots', () => {
  it('pause/resume through actions; a snapshot needs a paused microVM', async () => {
    const notPaused = await cli.run([
      'snapshots',
      'create',
      'cfg',
      '--snapshot-path',
      '/tmp/x.snap',
      '--mem-path',
      '/tmp/x.mem',
    ]);
    expect(notPaused.code).toBe(1);
    expect(notPaused.stderr).toBe(
      'fc-macos: microVM cfg is running: a snapshot needs a paused microVM (`fc-macos microvm pause cfg` first)\n',
    );
    expect((await cli.run(['actions', 'pause', 'cfg'])).stdout).toBe('paused cfg\n');
    const snap = join(agent.root, 'cfg.snap');
    const mem = join(agent.root, 'cfg.mem');
    const r = await cli.json<{ microvm: string; request: { method: string; path: string; body: unknown } }>([
      'snapshots',
      'create',
      'cfg',
      '--snapshot-path',
      snap,
      '--mem-path',
      mem,
    ]);
    expect(r.code).toBe(0);
    expect(r.body).toEqual({
      microvm: 'cfg',
      request: {
        method: 'PUT',
        path: '/snapshot/create',
        body: { snapshot_type: 'Full', snapshot_path: snap, mem_file_path: mem },
      },
    });
    expect((await cli.run(['actions', 'resume', 'cfg'])).stdout).toBe('resumed cfg\n');
    const load = await cli.run(['snapshots', 'load', 'cfg', '--snapshot-path', snap, '--mem-path', mem]);
    expect(load.code).toBe(1);
    expect(load.stderr).toMatch(
      /microVM cfg is running: a snapshot loads only into a fresh microVM with nothing configured/,
    );
    const badType = await cli.run([
      'snapshots',
      'create',
      'cfg',
      '--snapshot-path',
      snap,
      '--mem-path',
      mem,
      '--type',
      'Half',
    ]);
    expect(badType.code).toBe(2);
    expect(badType.stderr).toMatch(/--type.*must be Full or Diff/);
  });

  it('loads a snapshot into a bare microVM (create --bare), paused or resumed', async () => {
    const snap = join(agent.root, 'cfg.snap');
    const mem = join(agent.root, 'cfg.mem');
    const mixed = await cli.run(['microvm', 'create', '--bare', '--kernel', agent.kernel]);
    expect(mixed.code).toBe(2);
    expect(mixed.stderr).toBe('fc-macos: --kernel: cannot be given with --bare\n');
    const bare = await cli.run(['microvm', 'create', '--bare', '--name', 'restored']);
    expect(bare.code).toBe(0);
    expect(bare.stdout).toMatch(/^created bare microVM restored \([0-9a-f]{8}\): nothing configured/);
    const r = await cli.run([
      'snapshots',
      'load',
      'restored',
      '--snapshot-path',
      snap,
      '--mem-path',
      mem,
      '--resume',
    ]);
    expect(r.stderr).toBe('');
    expect(r.stdout).toMatch(
      new RegExp(
        `^restored: snapshot ${snap} loaded and resumed\n  restored from cfg's snapshot: its disk as it was at the snapshot, copied to /.+/rootfs\\.ext4; no network \\(the source had none\\)\n$`,
      ),
    );
    expect((await cli.json<Microvm>(['microvm', 'status', 'restored'])).body.state).toBe('running');
    expect((await cli.run(['microvm', 'status', 'restored'])).stdout).toMatch(
      /\nRestored: +restored from cfg's snapshot: its disk as it was at the snapshot/,
    );
    // A configured (not bare) microVM: Firecracker refuses, and the hint names --bare.
    await cli.run(['microvm', 'create', '--name', 'configured']);
    const refused = await cli.run([
      'snapshots',
      'load',
      'configured',
      '--snapshot-path',
      snap,
      '--mem-path',
      mem,
    ]);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toMatch(/`fc-macos microvm create --bare` makes one\)\n$/);
    await cli.run(['microvm', 'rm', '--force', 'restored', 'configured']);
  });

  it('flush-metrics before boot fails with the hint to boot first', async () => {
    await cli.run(['microvm', 'create', '--name', 'fresh']);
    const r = await cli.run(['actions', 'flush-metrics', 'fresh']);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(
      /not supported before starting the microVM \(the microVM is not booted yet: boot it with `fc-macos actions start fresh`\)\n$/,
    );
  });

  it('metrics get flushes and prints the newest metrics line', async () => {
    const first = await cli.json<{ microvm: string; metrics: { utc_timestamp_ms: number } }>([
      'metrics',
      'get',
      'cfg',
    ]);
    expect(first.code).toBe(0);
    expect(first.body.microvm).toBe('cfg');
    expect(first.body.metrics.utc_timestamp_ms).toBeGreaterThan(0);
    // Each call flushes again: the line printed is the newest one.
    await new Promise((r) => setTimeout(r, 5));
    const second = await cli.json<{ metrics: { utc_timestamp_ms: number } }>(['metrics', 'get', 'cfg']);
    expect(second.body.metrics.utc_timestamp_ms).toBeGreaterThan(first.body.metrics.utc_timestamp_ms);
  });

  it('actions stop says how it stopped', async () => {
    const r = await cli.json<{ microvm: Microvm; stop: { method: string; message: string } }>([
      'actions',
      'stop',
      'fresh',
    ]);
    expect(r.code).toBe(0);
    expect(r.body.stop.method).toBe('kill');
    expect(r.body.stop.message).toMatch(/not booted/);
    expect(r.body.microvm.state).toBe('stopped');
    const gone = await cli.run(['drives', 'list', 'fresh']);
    expect(gone.code).toBe(1);
    expect(gone.stderr).toMatch(/firecracker is not running/);
  });
});

describe('balloon', () => {
  it('sets a balloon before boot, reads it, and updates it after boot', async () => {
    await cli.run(['microvm', 'create', '--name', 'bal']);
    expect((await cli.run(['balloon', 'set', 'bal', '--amount', '16', '--stats-interval', '1'])).code).toBe(
      0,
    );
    const get = await cli.json<{ balloon: { amount_mib: number; deflate_on_oom: boolean } }>([
      'balloon',
      'get',
      'bal',
    ]);
    expect(get.body.balloon).toMatchObject({ amount_mib: 16, deflate_on_oom: true });
    expect((await cli.run(['actions', 'start', 'bal'])).code).toBe(0);
    const upd = await cli.run(['balloon', 'update', 'bal', '--amount', '32']);
    expect(upd.code).toBe(0);
    expect(
      (await cli.json<{ balloon: { amount_mib: number } }>(['balloon', 'get', 'bal'])).body.balloon
        .amount_mib,
    ).toBe(32);
    const stats = await cli.run(['balloon', 'stats', 'bal']);
    expect(stats.code).toBe(0);
    expect(stats.stdout).toMatch(/^target_mib\s+32$/m);
  });

  it('says how to add a balloon when the microVM has none', async () => {
    await cli.run(['run', '--background', '--name', 'noballoon']);
    const r = await cli.run(['balloon', 'get', 'noballoon']);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/Device not found \(microVM noballoon has no balloon: add one before boot/);
    expect(r.stderr).toContain('`fc-macos balloon set noballoon --amount MiB`');
  });
});
