// Process-level flows against the real Firecracker binary: a whole microVM life on the API
// (configure, boot, pause, snapshot, restore into a new process), two VMMs side by side, a VMM
// outliving the process that launched it, and boot-to-console when a bootable kernel is given.
import { spawn } from 'node:child_process';
import { copyFileSync, existsSync, readFileSync, statSync, unlinkSync, writeFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { buildSync } from 'esbuild';
import { beforeAll, describe, expect, it } from 'vitest';
import { FirecrackerClient } from '../../src/firecracker/client.ts';
import {
  FirecrackerApiError,
  FirecrackerConnectionRefusedError,
  FirecrackerLaunchError,
} from '../../src/firecracker/errors.ts';
import { launchFirecracker } from '../../src/firecracker/launcher.ts';
import { killGroup, realTarget, useVmms } from '../firecracker/harness.ts';
import { testKernel } from '../support/kernel.ts';
import { repoRoot } from '../support/paths.ts';

if (!realTarget)
  console.warn('test/real/firecracker-api: no real Firecracker (see realFirecracker()), skipped');
const binary = realTarget?.binary ?? '';

const MEM_MIB = 32;

describe.skipIf(!realTarget)('real Firecracker: a microVM’s life over the API', () => {
  const { start, tempDir } = useVmms();
  let kernel = '';
  beforeAll(async () => {
    const k = await testKernel();
    if (typeof k !== 'string') throw new Error(`no test kernel: ${k.skip}`);
    kernel = k;
  });

  it('configure, boot, read back, flush metrics, pause, snapshot, restore paused, resume', async () => {
    const vm = await start(binary, { id: 'life' });
    const rootfs = join(vm.dir, 'rootfs.ext4');
    writeFileSync(rootfs, Buffer.alloc(2 * 1024 * 1024));
    const metricsPath = join(vm.dir, 'metrics.ndjson');
    await vm.client.putMetrics({ metrics_path: metricsPath });
    await vm.client.putMachineConfig({ vcpu_count: 2, mem_size_mib: MEM_MIB });
    await vm.client.putBootSource({ kernel_image_path: kernel, boot_args: 'console=ttyS0 reboot=k panic=1' });
    await vm.client.putDrive('rootfs', {
      drive_id: 'rootfs',
      path_on_host: rootfs,
      is_root_device: true,
      is_read_only: false,
    });
    await vm.client.putVsock({ guest_cid: 3, uds_path: join(vm.dir, 'vsock.sock') });
    await vm.client.putMmds({ hello: 'world' });
    expect((await vm.client.describeInstance()).state).toBe('Not started');

    await vm.client.instanceStart();
    expect(await vm.client.describeInstance()).toMatchObject({ id: 'life', state: 'Running' });
    const config = await vm.client.getVmConfig();
    expect(config['machine-config']).toMatchObject({ vcpu_count: 2, mem_size_mib: MEM_MIB });
    expect(config['boot-source']).toMatchObject({ kernel_image_path: kernel });
    expect(config.drives).toEqual([expect.objectContaining({ drive_id: 'rootfs', path_on_host: rootfs })]);
    expect(config.vsock).toMatchObject({ guest_cid: 3 });

    await vm.client.flushMetrics();
    const metricLines = (await readFile(metricsPath, 'utf8')).trim().split('\n');
    expect(metricLines.length).toBeGreaterThanOrEqual(1);
    const lastMetrics = JSON.parse(metricLines[metricLines.length - 1] ?? '{}') as Record<string, unknown>;
    expect(lastMetrics).toHaveProperty('api_server');
    expect(lastMetrics).toHaveProperty('vcpu');

    await vm.client.pause();
    expect((await vm.client.describeInstance()).state).toBe('Paused');
    const snapshotPath = join(vm.dir, 'vm.snap');
    const memPath = join(vm.dir, 'vm.mem');
    await vm.client.createSnapshot({ snapshot_path: snapshotPath, mem_file_path: memPath });
    expect(statSync(memPath).size).toBe(MEM_MIB * 1024 * 1024);
    expect(statSync(snapshotPath).size).toBeGreaterThan(0);
    await vm.client.resume();
    expect((await vm.client.describeInstance()).state).toBe('Running');

    // The restored VMM binds the snapshot's vsock uds_path again (1.14.4 has no vsock_override):
    // the original must be gone and its leftover socket file removed, or the load fails with
    // "Address already in use".
    killGroup(vm.launched.pid);
    await vm.launched.exited;
    unlinkSync(join(vm.dir, 'vsock.sock'));
    const restored = await start(binary, { id: 'restored', dir: await tempDir() });
    await restored.client.loadSnapshot({
      snapshot_path: snapshotPath,
      mem_backend: { backend_type: 'File', backend_path: memPath },
      resume_vm: false,
    });
    expect(await restored.client.describeInstance()).toMatchObject({ id: 'restored', state: 'Paused' });
    const restoredConfig = await restored.client.getVmConfig();
    expect(restoredConfig['machine-config']).toMatchObject({ vcpu_count: 2, mem_size_mib: MEM_MIB });
    expect(restoredConfig.drives?.[0]).toMatchObject({ drive_id: 'rootfs', path_on_host: rootfs });
    await restored.client.resume();
    expect((await restored.client.describeInstance()).state).toBe('Running');
    // A restored VM is started: pre-boot configuration is refused.
    await expect(
      restored.client.putMachineConfig({ vcpu_count: 1, mem_size_mib: MEM_MIB }),
    ).rejects.toBeInstanceOf(FirecrackerApiError);
  });

  // What fc-agent relies on (docs/snapshots.md): firecracker runs in the microVM's directory with
  // relative names for the rootfs copy and the vsock socket, so a snapshot resolves them in the
  // directory it is loaded in, while its source runs on.
  it('relative rootfs and vsock names: a snapshot loads in another directory while the source runs', async () => {
    const srcDir = await tempDir();
    const src = await start(binary, { id: 'rel-src', dir: srcDir, cwd: srcDir });
    writeFileSync(join(srcDir, 'rootfs.ext4'), Buffer.alloc(2 * 1024 * 1024));
    await src.client.putMachineConfig({ vcpu_count: 1, mem_size_mib: MEM_MIB });
    await src.client.putBootSource({
      kernel_image_path: kernel,
      boot_args: 'console=ttyS0 reboot=k panic=1',
    });
    await src.client.putDrive('rootfs', {
      drive_id: 'rootfs',
      path_on_host: 'rootfs.ext4',
      is_root_device: true,
      is_read_only: false,
    });
    await src.client.putVsock({ guest_cid: 3, uds_path: 'vsock.sock' });
    await src.client.instanceStart();
    await src.client.pause();
    const snapDir = await tempDir();
    const snapshotPath = join(snapDir, 'vm.snap');
    const memPath = join(snapDir, 'vm.mem');
    await src.client.createSnapshot({ snapshot_path: snapshotPath, mem_file_path: memPath });
    await src.client.resume();

    const dstDir = await tempDir();
    copyFileSync(join(srcDir, 'rootfs.ext4'), join(dstDir, 'rootfs.ext4'));
    const dst = await start(binary, { id: 'rel-dst', dir: dstDir, cwd: dstDir });
    await dst.client.loadSnapshot({
      snapshot_path: snapshotPath,
      mem_backend: { backend_type: 'File', backend_path: memPath },
      resume_vm: true,
    });
    expect(await dst.client.describeInstance()).toMatchObject({ id: 'rel-dst', state: 'Running' });
    expect((await dst.client.getVmConfig()).drives?.[0]).toMatchObject({ path_on_host: 'rootfs.ext4' });
    expect(statSync(join(dstDir, 'vsock.sock')).isSocket()).toBe(true);
    expect((await src.client.describeInstance()).state).toBe('Running');

    // In a directory without the disk: Firecracker refuses the load, naming the relative file.
    const emptyDir = await tempDir();
    const third = await start(binary, { id: 'rel-none', dir: emptyDir, cwd: emptyDir });
    const err = await third.client
      .loadSnapshot({
        snapshot_path: snapshotPath,
        mem_backend: { backend_type: 'File', backend_path: memPath },
      })
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(FirecrackerApiError);
    expect((err as Error).message).toContain(
      'Error manipulating the backing file: No such file or directory (os error 2) rootfs.ext4',
    );
    expect(await third.launched.exited).toEqual({ code: 1, signal: null });
  });

  it('loading a snapshot that does not exist: the fault message, exit code 1, then connection refused', async () => {
    const vm = await start(binary);
    const err = await vm.client
      .loadSnapshot({ snapshot_path: join(vm.dir, 'none.snap'), mem_file_path: join(vm.dir, 'none.mem') })
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(FirecrackerApiError);
    expect((err as Error).message).toMatch(
      /^PUT \/snapshot\/load: 400 Load snapshot error: Failed to restore from snapshot: .*No such file or directory/,
    );
    expect(await vm.launched.exited).toEqual({ code: 1, signal: null });
    await expect(vm.client.describeInstance()).rejects.toBeInstanceOf(FirecrackerConnectionRefusedError);
    expect(readFileSync(join(vm.dir, 'fc.log'), 'utf8')).toContain('exit_code=1');
  });

  it('two microVMs at once are independent', async () => {
    const [a, b] = await Promise.all([start(binary, { id: 'vm-a' }), start(binary, { id: 'vm-b' })]);
    for (const vm of [a, b]) {
      await vm.client.putMachineConfig({ vcpu_count: 1, mem_size_mib: MEM_MIB });
      await vm.client.putBootSource({ kernel_image_path: kernel });
    }
    await Promise.all([a.client.instanceStart(), b.client.instanceStart()]);
    await a.client.pause();
    expect(await a.client.describeInstance()).toMatchObject({ id: 'vm-a', state: 'Paused' });
    expect(await b.client.describeInstance()).toMatchObject({ id: 'vm-b', state: 'Running' });
    killGroup(a.launched.pid);
    await a.launched.exited;
    await expect(a.client.describeInstance()).rejects.toBeInstanceOf(FirecrackerConnectionRefusedError);
    expect((await b.client.describeInstance()).state).toBe('Running');
  });

  it('a launch whose socket directory does not exist fails with Firecracker’s own explanation', async () => {
    const dir = await tempDir();
    const err = await launchFirecracker({
      binary,
      socketPath: join(dir, 'missing-dir', 'fc.sock'),
      id: 'vm1',
      stderrPath: join(dir, 'stderr.log'),
    }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(FirecrackerLaunchError);
    expect(err).toMatchObject({ exitCode: 1, signal: null });
    expect((err as FirecrackerLaunchError).stderrTail).toMatch(/FailedToBindAndRunHttpServer/);
  });

  it('a VMM outlives the Node process that launched it, which exits on its own', async () => {
    const dir = await tempDir();
    const script = join(dir, 'launch.mjs');
    buildSync({
      stdin: {
        contents: `
          import { FirecrackerClient, launchFirecracker } from ${JSON.stringify(join(repoRoot, 'src', 'firecracker', 'index.ts'))};
          const [binary, dir] = process.argv.slice(2);
          const launched = await launchFirecracker({ binary, socketPath: dir + '/fc.sock', id: 'orphan', logPath: dir + '/fc.log' });
          const info = await new FirecrackerClient(launched.socketPath).describeInstance();
          process.stdout.write(JSON.stringify({ pid: launched.pid, state: info.state }));
        `,
        resolveDir: repoRoot,
        loader: 'ts',
      },
      bundle: true,
      platform: 'node',
      format: 'esm',
      outfile: script,
      logLevel: 'silent',
    });
    const parent = spawn(process.execPath, [script, binary, dir], { stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    parent.stdout.on('data', (d: Buffer) => {
      out += d.toString();
    });
    // A hang guard, not a timing assertion: the parent must exit by itself.
    const code = await new Promise<number | null>((resolve) => {
      const guard = setTimeout(() => {
        parent.kill('SIGKILL');
        resolve(null);
      }, 20_000);
      parent.once('exit', (c) => {
        clearTimeout(guard);
        resolve(c);
      });
    });
    const { pid, state } = JSON.parse(out || '{}') as { pid?: number; state?: string };
    try {
      expect(code).toBe(0);
      expect(state).toBe('Not started');
      expect(pid).toBeGreaterThan(0);
      const client = new FirecrackerClient(join(dir, 'fc.sock'));
      expect(await client.describeInstance()).toMatchObject({ id: 'orphan', state: 'Not started' });
    } finally {
      if (pid) killGroup(pid);
    }
  });
});

const consoleKernel = process.env.FC_TEST_KERNEL;
const consoleRootfs = process.env.FC_TEST_ROOTFS;
const consoleSkip = !realTarget
  ? 'no real Firecracker'
  : !consoleKernel || !consoleRootfs
    ? 'FC_TEST_KERNEL and FC_TEST_ROOTFS are not both set (a guest must boot and print to test the console)'
    : existsSync('/sys/module/kvm_pvm')
      ? "this host's /dev/kvm is kvm_pvm, which runs no stock guest kernel (no console output ever)"
      : undefined;
if (consoleSkip) console.warn(`test/real/firecracker-api console flow skipped: ${consoleSkip}`);

describe.skipIf(consoleSkip !== undefined)('real Firecracker: boot to a console', () => {
  const { start } = useVmms();

  it('the guest kernel prints on the serial console (stdout)', async () => {
    const vm = await start(binary, { id: 'console' });
    const stdoutPath = join(vm.dir, 'stdout.log');
    await vm.client.putMachineConfig({ vcpu_count: 1, mem_size_mib: 256 });
    await vm.client.putBootSource({
      kernel_image_path: consoleKernel ?? '',
      boot_args: 'console=ttyS0 reboot=k panic=1 pci=off',
    });
    await vm.client.putDrive('rootfs', {
      drive_id: 'rootfs',
      path_on_host: consoleRootfs ?? '',
      is_root_device: true,
      is_read_only: true,
    });
    await vm.client.instanceStart();
    let text = '';
    for (let i = 0; i < 240 && !/Linux version/.test(text); i++) {
      await new Promise((r) => setTimeout(r, 250));
      text = readFileSync(stdoutPath, 'utf8');
    }
    expect(text).toMatch(/Linux version/);
  }, 90_000);
});
