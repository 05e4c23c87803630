// A throwaway fc-macos home, an asset mirror on 127.0.0.1 and a LocalProvider whose agent runs as
// a daemon in the temp dir. Everything is torn down after each test, failures included.
import { execFileSync } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach } from 'vitest';
import { type FcMacosPaths, fcMacosPaths } from '../../src/config/paths.ts';
import { LocalProvider } from '../../src/host/local-provider.ts';
import type { SetupOptions } from '../../src/provision/context.ts';
import { silentReporter } from '../../src/provision/reporter.ts';
import type { Step } from '../../src/provision/runner.ts';
import { runSetup, type SetupResult } from '../../src/provision/setup.ts';
import {
  type AssetServer,
  freePort,
  makeTestAssets,
  serveAssets,
  type TestAssets,
} from '../support/assets.ts';
import { agentBin } from '../support/paths.ts';

export interface Env {
  dir: string;
  paths: FcMacosPaths;
  assets: TestAssets;
  server: AssetServer;
  provider: LocalProvider;
  agentBundle: string;
  port: number;
  setup(opts?: SetupOptions & { wrapSteps?: (s: Step[]) => Step[]; reset?: boolean }): Promise<SetupResult>;
}

const cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  while (cleanups.length) await cleanups.pop()?.();
});

/** agentBundle: the fc-agent.mjs setup installs (default the build's); its dir decides where fc-guest comes from. */
export async function makeEnv(o: { agentBundle?: string } = {}): Promise<Env> {
  const dir = await mkdtemp(join(tmpdir(), 'fc-macos-provision-'));
  cleanups.push(() => rm(dir, { recursive: true, force: true }));
  const paths = fcMacosPaths({
    FC_MACOS_CONFIG_DIR: join(dir, 'config'),
    FC_MACOS_STATE_DIR: join(dir, 'state'),
  });
  const assets = makeTestAssets(join(dir, 'mirror'));
  const server = await serveAssets(assets.root);
  cleanups.push(() => server.close());
  // An openable stand-in for /dev/kvm: these tests are about setup, not KVM.
  const kvm = join(dir, 'kvm');
  await writeFile(kvm, '');
  const port = await freePort();
  const provider = new LocalProvider({
    agentPort: port,
    paths,
    agentDir: join(dir, 'agent'),
    serviceMode: 'daemon',
    kvmPath: kvm,
  });
  cleanups.push(() => provider.removeAgent());
  // The real agent bundle: setup installs and health-checks what a user gets.
  const agentBundle = o.agentBundle ?? agentBin;
  return {
    dir,
    paths,
    assets,
    server,
    provider,
    agentBundle,
    port,
    setup: (opts = {}) =>
      runSetup({
        provider,
        paths,
        vmName: 'fc-macos-linux',
        agentBundle,
        reporter: silentReporter(),
        configUpdates: { provider: 'local', agent_port: port },
        assetsUrl: server.url,
        kernelSha256: assets.kernelSha256,
        agentTimeoutMs: 20_000,
        ...opts,
      }),
  };
}

/** A small real ext4 image (mkfs.ext4, like setup's own rootfs build). */
export function makeExt4(path: string): string {
  execFileSync('truncate', ['-s', '4M', path]);
  execFileSync('mkfs.ext4', ['-q', '-F', path], { stdio: 'ignore' });
  return path;
}

/** Lists a file of an ext4 image (debugfs, from e2fsprogs like mkfs.ext4). */
export function ext4Cat(image: string, path: string): string {
  return execFileSync('debugfs', ['-R', `cat ${path}`, image], {
    stdio: ['ignore', 'pipe', 'ignore'],
  }).toString();
}
