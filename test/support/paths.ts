// Paths of the programs the tests start. vitest.global-setup.ts builds them before any test runs.
import { existsSync } from 'node:fs';
import { arch } from 'node:os';
import { join, resolve } from 'node:path';

// FC_BENCH_ROOT: bench/run.mjs bundles these helpers elsewhere (node_modules/.cache) and says where the checkout is.
export const repoRoot = process.env.FC_BENCH_ROOT ?? resolve(import.meta.dirname, '..', '..');
export const testBinDir = join(repoRoot, 'node_modules', '.cache', 'fc-macos-test', 'bin');
/** The fc-macos command as installed (package.json's bin): the CommonJS launcher. */
export const cliBin = join(repoRoot, 'dist', 'cli.cjs');
export const agentBin = join(repoRoot, 'dist', 'fc-agent.mjs');
export const doubleBin = join(testBinDir, 'fc-double');
export const fakeTartBin = join(testBinDir, 'tart');
export const firecrackerSpec = resolve(
  repoRoot,
  '..',
  'shared',
  'firecracker-api',
  'firecracker-v1.16.1.yaml',
);
export const firecrackerSpec114 = resolve(
  repoRoot,
  '..',
  'shared',
  'firecracker-api',
  'firecracker-v1.14.4.yaml',
);

const sharedFirecracker = resolve(repoRoot, '../shared/bin/firecracker-v1.14.4-x86_64');

/**
 * The real Firecracker the tests use: FC_TEST_FIRECRACKER, else the shared v1.14.4 binary on x86_64.
 * Returns the reason instead when there is none, so suites can print why they skip.
 */
export function realFirecracker(): { path: string } | { skip: string } {
  const fromEnv = process.env.FC_TEST_FIRECRACKER;
  if (fromEnv)
    return existsSync(fromEnv)
      ? { path: fromEnv }
      : { skip: `FC_TEST_FIRECRACKER=${fromEnv} does not exist` };
  if (arch() !== 'x64') return { skip: `no real Firecracker for ${arch()}: set FC_TEST_FIRECRACKER` };
  if (!existsSync(sharedFirecracker))
    return { skip: `${sharedFirecracker} not found: set FC_TEST_FIRECRACKER` };
  if (!existsSync('/dev/kvm')) return { skip: '/dev/kvm is missing: real Firecracker needs KVM' };
  return { path: sharedFirecracker };
}

/** fc-guest built for this machine (scripts/build-guest.mjs), run in its Unix-socket test mode. */
export const guestBin = join(
  repoRoot,
  'dist',
  'guest',
  arch() === 'arm64' ? 'fc-guest-aarch64' : 'fc-guest-x86_64',
);
