// Starts VMMs (real Firecracker or the double) for tests, each in its own mkdtemp dir, and stops
// every one of them (process group SIGKILL, dir removed) after each test, failures included.
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach } from 'vitest';
import { FirecrackerClient } from '../../src/firecracker/client.ts';
import {
  type LaunchedFirecracker,
  type LaunchOptions,
  launchFirecracker,
} from '../../src/firecracker/launcher.ts';
import { doubleBin, realFirecracker, repoRoot } from '../support/paths.ts';

export interface Target {
  name: string;
  binary: string;
  real: boolean;
}

const real = realFirecracker();
if ('skip' in real) console.warn(`real Firecracker target skipped: ${real.skip}`);
const doubleSource = join(repoRoot, 'test', 'support', 'fc-double', 'main.ts');
if (!existsSync(doubleSource)) console.warn(`fc-double target skipped: ${doubleSource} does not exist yet`);

/** The VMMs the endpoint flows run against: real Firecracker and the double, when present. */
export const targets: Target[] = [
  ...('path' in real ? [{ name: 'real firecracker', binary: real.path, real: true }] : []),
  ...(existsSync(doubleSource) ? [{ name: 'fc-double', binary: doubleBin, real: false }] : []),
];

export const realTarget: Target | undefined = targets.find((t) => t.real);

export interface Vmm {
  dir: string;
  socketPath: string;
  launched: LaunchedFirecracker;
  client: FirecrackerClient;
}

export function killGroup(pid: number): void {
  try {
    process.kill(-pid, 'SIGKILL');
  } catch {
    // Already gone.
  }
}

/** Registers cleanup and returns helpers to make temp dirs and start VMMs inside them. */
export function useVmms(): {
  tempDir: () => Promise<string>;
  start: (binary: string, opts?: Partial<LaunchOptions> & { dir?: string }) => Promise<Vmm>;
} {
  const dirs: string[] = [];
  const launched: LaunchedFirecracker[] = [];
  afterEach(async () => {
    for (const l of launched.splice(0)) {
      killGroup(l.pid);
      await Promise.race([l.exited, new Promise((r) => setTimeout(r, 5_000))]);
    }
    for (const d of dirs.splice(0)) await rm(d, { recursive: true, force: true });
  });
  const tempDir = async (): Promise<string> => {
    const d = await mkdtemp(join(tmpdir(), 'fc-test-'));
    dirs.push(d);
    return d;
  };
  const start = async (
    binary: string,
    opts: Partial<LaunchOptions> & { dir?: string } = {},
  ): Promise<Vmm> => {
    const dir = opts.dir ?? (await tempDir());
    const socketPath = opts.socketPath ?? join(dir, 'fc.sock');
    const l = await launchFirecracker({
      binary,
      id: 'vm1',
      logPath: join(dir, 'fc.log'),
      stdoutPath: join(dir, 'stdout.log'),
      waitMs: 15_000,
      ...opts,
      socketPath,
    });
    launched.push(l);
    return { dir, socketPath, launched: l, client: new FirecrackerClient(socketPath) };
  };
  return { tempDir, start };
}
