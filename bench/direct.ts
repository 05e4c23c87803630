// The baselines: the same work done straight on firecracker's API socket, with the same client
// library the agent uses, so the ratios show what the agent layer costs.
import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { copySparse } from '../src/agent/files.ts';
import { DEFAULT_BOOT_ARGS } from '../src/api/schemas.ts';
import { FirecrackerClient, launchFirecracker } from '../src/firecracker/index.ts';
import { waitUntil } from '../test/support/proc.ts';
import { type Cleanup, killGroup, now } from './lib.ts';

export interface BootFiles {
  kernel: string;
  rootfs: string;
}

/**
 * Launch + metrics + configure + InstanceStart: the Firecracker calls the agent makes for `POST
 * /agent/microvms` with its default rootfs, and what a user doing it by hand needs for them: the
 * microVM's own sparse copy of the rootfs (started while firecracker starts) and a vsock socket.
 */
export async function directCreate(
  cleanup: Cleanup,
  binary: string,
  dir: string,
  id: string,
  files: BootFiles,
  boot = true,
): Promise<{ ms: number; stop: () => Promise<void> }> {
  const socketPath = join(dir, `${id}.sock`);
  const t0 = now();
  const metrics = join(dir, `${id}.metrics.json`);
  await writeFile(metrics, '', { mode: 0o600 });
  const rootfs = join(dir, `${id}.rootfs.ext4`);
  let copied: Promise<void> = Promise.resolve();
  const fc = await launchFirecracker({
    binary,
    socketPath,
    id,
    stdoutPath: join(dir, `${id}.console.log`),
    logPath: join(dir, `${id}.firecracker.log`),
    // While firecracker starts: nothing needs the copy before the drive is configured.
    afterSpawn: () => {
      copied = copySparse(files.rootfs, rootfs);
    },
  });
  const stop = async (): Promise<void> => killGroup({ pid: fc.pid });
  cleanup.add(stop);
  const client = new FirecrackerClient(socketPath);
  // The agent sets the metrics file first: the same Firecracker calls, made directly.
  await client.putMetrics({ metrics_path: metrics });
  await client.putVsock({ guest_cid: 3, uds_path: join(dir, `${id}.vsock`) });
  await copied;
  await configureAndBoot(client, { ...files, rootfs }, boot);
  return { ms: now() - t0, stop };
}

/** The calls the agent makes for a default create, made directly: machine, boot source, root drive, start. */
async function configureAndBoot(client: FirecrackerClient, files: BootFiles, boot = true): Promise<void> {
  await client.putMachineConfig({ vcpu_count: 1, mem_size_mib: 128 });
  await client.putBootSource({ kernel_image_path: files.kernel, boot_args: DEFAULT_BOOT_ARGS });
  await client.putDrive('rootfs', {
    drive_id: 'rootfs',
    path_on_host: files.rootfs,
    is_root_device: true,
    is_read_only: false,
  });
  if (boot) await client.instanceStart();
}

/** A started firecracker (double or real) answering on its socket, for the passthrough baseline. */
export async function directLatencies(socketPath: string, path: string, n: number): Promise<number[]> {
  const client = new FirecrackerClient(socketPath);
  const samples: number[] = [];
  for (let i = 0; i < n; i++) {
    const t0 = now();
    const res = await client.request('GET', path);
    samples.push(now() - t0);
    if (res.status !== 200) throw new Error(`GET ${path} answered ${res.status}`);
  }
  return samples;
}

/**
 * The double with its stdio as pipes (the console without any agent): write one byte to its stdin,
 * time until the echo comes back on its stdout.
 */
export async function directConsoleRoundTrips(
  cleanup: Cleanup,
  doubleBin: string,
  dir: string,
  files: BootFiles,
  n: number,
): Promise<number[]> {
  const socketPath = join(dir, 'console-direct.sock');
  // Firecracker's own log lines would otherwise share stdout with the console, as without an agent.
  const logPath = join(dir, 'console-direct.firecracker.log');
  await writeFile(logPath, '', { mode: 0o600 });
  const child: ChildProcess = spawn(
    doubleBin,
    ['--api-sock', socketPath, '--id', 'rtt', '--log-path', logPath],
    {
      stdio: ['pipe', 'pipe', 'ignore'],
      detached: true,
    },
  );
  cleanup.add(() => killGroup(child));
  const out = new OutputLog();
  child.stdout?.on('data', (d: Buffer) => out.push(d));
  await waitUntil(() => existsSync(socketPath), 'the double API socket');
  const client = new FirecrackerClient(socketPath);
  await configureAndBoot(client, files);
  await out.waitFor('/ # ', 0, 30_000);
  return roundTrips(n, (b) => child.stdin?.write(b), out);
}

/** Output of a console, as a text log plus a way to wake a waiter the moment a chunk lands. */
export class OutputLog {
  text = '';
  private waiters: Array<() => void> = [];
  push(chunk: Buffer): void {
    this.text += chunk.toString('latin1');
    const waiters = this.waiters;
    this.waiters = [];
    for (const w of waiters) w();
  }
  /** Resolves once `text` from `from` on contains `needle`; event-driven, no polling delay. */
  async waitFor(needle: string, from: number, timeoutMs = 10_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!this.text.slice(from).includes(needle)) {
      if (Date.now() > deadline) throw new Error(`console output never showed ${JSON.stringify(needle)}`);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, 200);
        this.waiters.push(() => {
          clearTimeout(timer);
          resolve();
        });
      });
    }
  }
}

/** Times n single keystrokes: a distinct printable byte each, until its echo shows in the output. */
export async function roundTrips(n: number, send: (b: Buffer) => unknown, out: OutputLog): Promise<number[]> {
  const samples: number[] = [];
  const keys = 'abcdefghijklmnopqrstuvwxyz';
  for (let i = 0; i < n; i++) {
    const key = keys[i % keys.length] ?? 'a';
    const from = out.text.length;
    const t0 = now();
    send(Buffer.from(key));
    await out.waitFor(key, from);
    samples.push(now() - t0);
  }
  // Ctrl+U: leave the shell's line empty again.
  send(Buffer.from('\x15'));
  return samples;
}
