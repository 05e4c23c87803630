// A TartProvider driving the fake tart in a mkdtemp home, with the Mac's answers (sw_vers, sysctl)
// injected. Every VM's `tart run` is stopped and the home removed after each test.
import { readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach } from 'vitest';
import { type FcMacosPaths, fcMacosPaths } from '../../src/config/paths.ts';
import { runProcess } from '../../src/host/process.ts';
import type { PreflightInputs } from '../../src/host/tart-preflight.ts';
import { TartProvider, type TartProviderOptions } from '../../src/host/tart-provider.ts';
import { fakeTartBin } from '../support/paths.ts';

export interface Mac {
  macos?: string;
  chip?: string;
}

export function macInputs(env: NodeJS.ProcessEnv, mac: Mac = {}): PreflightInputs {
  return {
    platform: 'darwin',
    env,
    exists: (p) => {
      try {
        readFileSync(p, { flag: 'r' });
        return true;
      } catch (err) {
        return (err as NodeJS.ErrnoException).code === 'EISDIR';
      }
    },
    run: async (file, args) => {
      if (file === 'sw_vers') return { exitCode: 0, stdout: `${mac.macos ?? '15.1'}\n`, stderr: '' };
      if (file === 'sysctl') return { exitCode: 0, stdout: `${mac.chip ?? 'Apple M3 Pro'}\n`, stderr: '' };
      return runProcess(file, args, { env });
    },
  };
}

export interface TartEnv {
  home: string;
  paths: FcMacosPaths;
  env: NodeJS.ProcessEnv;
  provider(o?: Partial<TartProviderOptions>, mac?: Mac): TartProvider;
  /** Every tart invocation so far, as argv arrays (without the binary). */
  argv(): string[][];
  tart(...args: string[]): Promise<{ exitCode: number; stdout: string; stderr: string }>;
  vmRoot(name: string): string;
}

const homes: string[] = [];
afterEach(async () => {
  for (const home of homes.splice(0)) {
    // Stop every VM the test left running (their `tart run` processes), then remove the home.
    const env = { ...process.env, FAKE_TART_HOME: home };
    const list = await runProcess(fakeTartBin, ['list', '--format', 'json'], { env });
    for (const vm of JSON.parse(list.stdout || '[]') as Array<{ Name: string; Running: boolean }>) {
      if (vm.Running) await runProcess(fakeTartBin, ['stop', vm.Name, '--timeout', '5'], { env });
    }
    await rm(home, { recursive: true, force: true });
  }
});

export async function makeTartEnv(extraEnv: NodeJS.ProcessEnv = {}): Promise<TartEnv> {
  // Short: the fake VM's agent state dir lives under it, and Firecracker's socket path there must fit
  // the 107-byte Unix socket limit (the real agent refuses a longer one).
  const home = await mkdtemp(join(tmpdir(), 'fct-'));
  homes.push(home);
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    FAKE_TART_HOME: home,
    FC_MACOS_TART: fakeTartBin,
    ...extraEnv,
  };
  const paths = fcMacosPaths({
    FC_MACOS_CONFIG_DIR: join(home, 'mac', 'config'),
    FC_MACOS_STATE_DIR: join(home, 'mac', 'state'),
  });
  return {
    home,
    paths,
    env,
    provider: (o = {}, mac = {}) =>
      new TartProvider({
        vmName: 'fc-macos-linux',
        cpus: 4,
        memoryMib: 8192,
        diskGb: 50,
        agentPort: 8080,
        paths,
        preflight: macInputs(env, mac),
        env,
        sleep: (ms) => new Promise((r) => setTimeout(r, Math.min(ms, 50))),
        ...o,
      }),
    argv: () =>
      readFileSync(join(home, 'argv.log'), 'utf8')
        .trim()
        .split('\n')
        .filter(Boolean)
        .map((l) => JSON.parse(l) as string[]),
    tart: (...args) => runProcess(fakeTartBin, args, { env }),
    vmRoot: (name) => join(home, 'vms', name, 'root'),
  };
}
