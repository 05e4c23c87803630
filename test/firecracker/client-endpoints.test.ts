// Every endpoint the client covers, against each target (real Firecracker, the double): what a
// caller sees on success, and Firecracker's own 400 answers where an endpoint is refused.
import { statSync } from 'node:fs';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import type { FirecrackerClient } from '../../src/firecracker/client.ts';
import { FirecrackerApiError, FirecrackerConnectionRefusedError } from '../../src/firecracker/errors.ts';
import { testKernel } from '../support/kernel.ts';
import { targets, useVmms, type Vmm } from './harness.ts';

const NOT_STARTED = 'The requested operation is not supported before starting the microVM.';
const STARTED = 'The requested operation is not supported after starting the microVM.';

async function apiError(p: Promise<unknown>): Promise<FirecrackerApiError> {
  const err = await p.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(FirecrackerApiError);
  return err as FirecrackerApiError;
}

let kernel: string;
beforeAll(async () => {
  const k = await testKernel();
  if (typeof k !== 'string') throw new Error(`no test kernel: ${k.skip}`);
  kernel = k;
});

describe.each(targets)('FirecrackerClient against $name', (target) => {
  const { start, tempDir } = useVmms();

  async function booted(vmm: Vmm, extra?: (c: FirecrackerClient) => Promise<void>): Promise<void> {
    await vmm.client.putMachineConfig({ vcpu_count: 1, mem_size_mib: 32 });
    await vmm.client.putBootSource({
      kernel_image_path: kernel,
      boot_args: 'console=ttyS0 reboot=k panic=1',
    });
    if (extra) await extra(vmm.client);
    await vmm.client.instanceStart();
  }

  it('GET / and GET /version describe a fresh instance', async () => {
    const { client } = await start(target.binary, { id: 'endpoint-vm' });
    const info = await client.describeInstance();
    expect(info).toMatchObject({ id: 'endpoint-vm', state: 'Not started', app_name: 'Firecracker' });
    const version = await client.getVersion();
    expect(version.firecracker_version).toMatch(/^\d+\.\d+\.\d+/);
    expect(info.vmm_version).toBe(version.firecracker_version);
  });

  it('relative drive and vsock paths resolve against the working directory (what fc-agent relies on)', async () => {
    const dir = await tempDir();
    const vmm = await start(target.binary, { cwd: dir });
    await writeFile(join(dir, 'rootfs.ext4'), Buffer.alloc(1024 * 1024));
    await vmm.client.putDrive('rootfs', {
      drive_id: 'rootfs',
      path_on_host: 'rootfs.ext4',
      is_root_device: true,
      is_read_only: false,
    });
    // Kept as given: a snapshot records it so, and resolves it where it is loaded.
    expect((await vmm.client.getVmConfig()).drives).toEqual([
      expect.objectContaining({ path_on_host: 'rootfs.ext4' }),
    ]);
    const missing = await apiError(
      vmm.client.putDrive('data', {
        drive_id: 'data',
        path_on_host: 'data.ext4',
        is_root_device: false,
        is_read_only: false,
      }),
    );
    expect(missing.faultMessage).toContain(
      'Error manipulating the backing file: No such file or directory (os error 2) data.ext4',
    );
    await vmm.client.putVsock({ guest_cid: 3, uds_path: 'vsock.sock' });
    expect(statSync(join(dir, 'vsock.sock')).isSocket()).toBe(true);
  });

  it('machine-config: defaults, PUT replaces, PATCH changes only the given fields', async () => {
    const { client } = await start(target.binary);
    expect(await client.getMachineConfig()).toMatchObject({ vcpu_count: 1, mem_size_mib: 128, smt: false });
    await client.putMachineConfig({ vcpu_count: 2, mem_size_mib: 256, track_dirty_pages: true });
    expect(await client.getMachineConfig()).toMatchObject({
      vcpu_count: 2,
      mem_size_mib: 256,
      track_dirty_pages: true,
    });
    await client.patchMachineConfig({ mem_size_mib: 64 });
    expect(await client.getMachineConfig()).toMatchObject({ vcpu_count: 2, mem_size_mib: 64 });
    // PUT resets omitted optional fields to their defaults.
    await client.putMachineConfig({ vcpu_count: 1, mem_size_mib: 128 });
    expect(await client.getMachineConfig()).toMatchObject({ track_dirty_pages: false });
  });

  it('machine-config: Firecracker refuses an odd vCPU count with SMT', async () => {
    const { client } = await start(target.binary);
    const err = await apiError(client.putMachineConfig({ vcpu_count: 3, mem_size_mib: 128, smt: true }));
    expect(err.status).toBe(400);
    expect(err.message).toMatch(/^PUT \/machine-config: 400 /);
  });

  it('boot-source, drives, network interfaces, vsock, entropy, balloon, metrics, logger show in GET /vm/config', async () => {
    const vmm = await start(target.binary);
    const { client, dir } = vmm;
    const rootfs = join(dir, 'rootfs.ext4');
    await writeFile(rootfs, Buffer.alloc(1024 * 1024));
    await client.putBootSource({ kernel_image_path: kernel, boot_args: 'console=ttyS0' });
    await client.putDrive('rootfs', {
      drive_id: 'rootfs',
      path_on_host: rootfs,
      is_root_device: true,
      is_read_only: false,
    });
    await client.putDrive('data', {
      drive_id: 'data',
      path_on_host: rootfs,
      is_root_device: false,
      is_read_only: true,
      rate_limiter: { bandwidth: { size: 1_000_000, refill_time: 100 } },
    });
    await client.putNetworkInterface('eth0', {
      iface_id: 'eth0',
      host_dev_name: `fct${process.pid % 100_000}`,
      guest_mac: '06:00:AC:10:00:02',
    });
    await client.putVsock({ guest_cid: 3, uds_path: join(dir, 'v.sock') });
    await client.putEntropy({});
    await client.putBalloon({ amount_mib: 8, deflate_on_oom: true, stats_polling_interval_s: 1 });
    await client.putMetrics({ metrics_path: join(dir, 'metrics.json') });
    await client.putMmdsConfig({ network_interfaces: ['eth0'], version: 'V2' });

    const config = await client.getVmConfig();
    expect(config['boot-source']).toMatchObject({ kernel_image_path: kernel, boot_args: 'console=ttyS0' });
    expect(config.drives?.map((d) => d.drive_id)).toEqual(['rootfs', 'data']);
    expect(config.drives?.[1]).toMatchObject({ is_read_only: true, path_on_host: rootfs });
    expect(config['network-interfaces']?.[0]).toMatchObject({
      iface_id: 'eth0',
      guest_mac: '06:00:ac:10:00:02',
    });
    expect(config.vsock).toMatchObject({ guest_cid: 3, uds_path: join(dir, 'v.sock') });
    expect(config.entropy).toBeTruthy();
    expect(config.balloon).toMatchObject({
      amount_mib: 8,
      deflate_on_oom: true,
      stats_polling_interval_s: 1,
    });
    // Real Firecracker never reports the metrics or logger configuration here.
    expect(config.metrics).toBeNull();
    expect(config.logger).toBeNull();
    expect(config['mmds-config']).toMatchObject({ network_interfaces: ['eth0'], version: 'V2' });
    expect(await client.getBalloon()).toMatchObject({ amount_mib: 8, deflate_on_oom: true });
  });

  it('refuses a drive whose path id and body id differ, and a kernel that does not exist', async () => {
    const { client, dir } = await start(target.binary);
    const mismatch = await apiError(
      client.putDrive('a', { drive_id: 'b', path_on_host: join(dir, 'x'), is_root_device: false }),
    );
    expect(mismatch.status).toBe(400);
    expect(mismatch.faultMessage).toMatch(/id/i);
    const missing = await apiError(client.putBootSource({ kernel_image_path: join(dir, 'no-such-kernel') }));
    expect(missing.status).toBe(400);
    expect(missing.faultMessage).toMatch(/No such file/);
  });

  it('logger and serial accept a file path', async () => {
    const { client, dir } = await start(target.binary, { logPath: undefined });
    await client.putLogger({ log_path: join(dir, 'api.log'), level: 'Info', show_level: true });
    await client.putSerial({ serial_out_path: join(dir, 'serial.out') });
    await expect(client.getVersion()).resolves.toBeTruthy();
  });

  it('MMDS: PUT replaces, PATCH merges, GET returns the store', async () => {
    const { client } = await start(target.binary);
    await client.putMmds({ latest: { 'meta-data': { 'instance-id': 'i-1' } } });
    await client.patchMmds({ latest: { 'meta-data': { hostname: 'vm1' } }, extra: 'yes' });
    expect(await client.getMmds()).toEqual({
      latest: { 'meta-data': { 'instance-id': 'i-1', hostname: 'vm1' } },
      extra: 'yes',
    });
  });

  it('post-boot-only calls are refused before InstanceStart with Firecracker’s message', async () => {
    const { client } = await start(target.binary);
    for (const call of [
      () => client.flushMetrics(),
      () => client.sendCtrlAltDel(),
      () => client.pause(),
      () => client.resume(),
      () => client.createSnapshot({ snapshot_path: '/nonexistent/s', mem_file_path: '/nonexistent/m' }),
    ]) {
      const err = await apiError(call());
      expect(err.status).toBe(400);
      expect(err.faultMessage).toBe(NOT_STARTED);
    }
    const noKernel = await apiError(client.instanceStart());
    expect(noKernel.faultMessage).toBe(
      'Start microvm error: Cannot start microvm without kernel configuration.',
    );
  });

  it('InstanceStart runs the VM; pre-boot-only calls are then refused', async () => {
    const vmm = await start(target.binary);
    await booted(vmm);
    const { client } = vmm;
    expect((await client.describeInstance()).state).toBe('Running');
    const again = await apiError(client.instanceStart());
    expect(again.faultMessage).toBe(STARTED);
    const machine = await apiError(client.putMachineConfig({ vcpu_count: 1, mem_size_mib: 64 }));
    expect(machine.faultMessage).toBe(STARTED);
    const boot = await apiError(client.putBootSource({ kernel_image_path: kernel }));
    expect(boot.faultMessage).toBe(STARTED);
    await client.sendCtrlAltDel();
  });

  it('FlushMetrics writes JSON metrics to metrics_path', async () => {
    const vmm = await start(target.binary);
    const metricsPath = join(vmm.dir, 'metrics.json');
    await booted(vmm, (c) => c.putMetrics({ metrics_path: metricsPath }));
    await vmm.client.flushMetrics();
    const lines = (await readFile(metricsPath, 'utf8')).trim().split('\n');
    const last: unknown = JSON.parse(lines[lines.length - 1] ?? '');
    expect(last).toHaveProperty('utc_timestamp_ms');
  });

  it('pause and resume switch the state', async () => {
    const vmm = await start(target.binary);
    await booted(vmm);
    await vmm.client.pause();
    expect((await vmm.client.describeInstance()).state).toBe('Paused');
    await vmm.client.resume();
    expect((await vmm.client.describeInstance()).state).toBe('Running');
  });

  it('post-boot PATCH of drive, network interface, balloon and balloon statistics', async () => {
    const vmm = await start(target.binary);
    const { client, dir } = vmm;
    const disk = join(dir, 'disk.img');
    const disk2 = join(dir, 'disk2.img');
    await writeFile(disk, Buffer.alloc(1024 * 1024));
    await writeFile(disk2, Buffer.alloc(2 * 1024 * 1024));
    await booted(vmm, async (c) => {
      await c.putDrive('data', { drive_id: 'data', path_on_host: disk, is_root_device: false });
      await c.putNetworkInterface('eth0', { iface_id: 'eth0', host_dev_name: `fcp${process.pid % 100_000}` });
      await c.putBalloon({ amount_mib: 4, deflate_on_oom: false, stats_polling_interval_s: 1 });
    });
    await client.patchDrive('data', { drive_id: 'data', path_on_host: disk2 });
    await client.patchDrive('data', {
      drive_id: 'data',
      rate_limiter: { ops: { size: 100, refill_time: 1000 } },
    });
    await client.patchNetworkInterface('eth0', {
      iface_id: 'eth0',
      rx_rate_limiter: { bandwidth: { size: 10_000, refill_time: 100 } },
    });
    // Resizing needs the guest's balloon driver to have activated the device. The generated test
    // kernel never runs one (real Firecracker refuses), a guest that boots does (the double's).
    const resized = await client.patchBalloon({ amount_mib: 8 }).then(
      () => true,
      (e: unknown) => {
        expect(e).toBeInstanceOf(FirecrackerApiError);
        expect((e as FirecrackerApiError).faultMessage).toBe(
          'Balloon update error: Balloon: Device not activated yet.',
        );
        return false;
      },
    );
    const sizeMib = resized ? 8 : 4;
    expect(await client.getBalloon()).toMatchObject({ amount_mib: sizeMib, stats_polling_interval_s: 1 });
    await client.patchBalloonStats({ stats_polling_interval_s: 2 });
    expect(await client.getBalloonStats()).toMatchObject({
      target_pages: sizeMib * 256,
      target_mib: sizeMib,
    });
  });

  it('pre-boot PATCHes and balloon statistics are refused before InstanceStart', async () => {
    const { client, dir } = await start(target.binary);
    const balloon = await apiError(client.getBalloon());
    expect(balloon.status).toBe(400);
    await writeFile(join(dir, 'x'), Buffer.alloc(4096));
    await client.putDrive('data', { drive_id: 'data', path_on_host: join(dir, 'x'), is_root_device: false });
    await client.putBalloon({ amount_mib: 4, deflate_on_oom: false, stats_polling_interval_s: 1 });
    for (const call of [
      () => client.patchDrive('data', { drive_id: 'data', path_on_host: join(dir, 'y') }),
      () => client.patchNetworkInterface('eth0', { iface_id: 'eth0' }),
      () => client.patchBalloon({ amount_mib: 8 }),
      () => client.patchBalloonStats({ stats_polling_interval_s: 2 }),
      () => client.getBalloonStats(),
    ]) {
      const err = await apiError(call());
      expect(err.status).toBe(400);
      expect(err.faultMessage).toBe(NOT_STARTED);
    }
  });

  it('observability and device setup is refused after InstanceStart; MMDS stays writable', async () => {
    const vmm = await start(target.binary);
    await booted(vmm);
    const { client, dir } = vmm;
    for (const call of [
      () => client.putMetrics({ metrics_path: join(dir, 'm') }),
      () => client.putLogger({ level: 'Info' }),
      () => client.putVsock({ guest_cid: 3, uds_path: join(dir, 'v.sock') }),
    ]) {
      const err = await apiError(call());
      expect(err.faultMessage).toBe(STARTED);
    }
    await client.putMmds({ a: 1 });
    expect(await client.getMmds()).toEqual({ a: 1 });
  });

  it('snapshot create on a paused VM, load into a fresh process, resume', async () => {
    const first = await start(target.binary);
    await booted(first);
    await first.client.pause();
    const snapshotPath = join(first.dir, 'vm.snap');
    const memPath = join(first.dir, 'vm.mem');
    await first.client.createSnapshot({
      snapshot_path: snapshotPath,
      mem_file_path: memPath,
      snapshot_type: 'Full',
    });

    const second = await start(target.binary, { id: 'restored' });
    await second.client.loadSnapshot({
      snapshot_path: snapshotPath,
      mem_backend: { backend_type: 'File', backend_path: memPath },
      resume_vm: false,
    });
    expect((await second.client.describeInstance()).state).toBe('Paused');
    expect((await second.client.getVmConfig())['machine-config']).toMatchObject({
      vcpu_count: 1,
      mem_size_mib: 32,
    });
    await second.client.resume();
    expect((await second.client.describeInstance()).state).toBe('Running');
  });

  it('a failed snapshot load reports Firecracker’s fault, then the process exits with code 1', async () => {
    const vmm = await start(target.binary);
    const err = await apiError(
      vmm.client.loadSnapshot({
        snapshot_path: join(vmm.dir, 'missing.snap'),
        mem_backend: { backend_type: 'File', backend_path: join(vmm.dir, 'missing.mem') },
      }),
    );
    expect(err.status).toBe(400);
    expect(err.faultMessage).toMatch(/^Load snapshot error: .*No such file or directory/);
    expect(await vmm.launched.exited).toEqual({ code: 1, signal: null });
    await expect(vmm.client.describeInstance()).rejects.toBeInstanceOf(FirecrackerConnectionRefusedError);
  });
});
