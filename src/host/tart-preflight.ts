// Checks that a Mac can run the Linux VM with nested virtualization, before anything is created.
// Inputs are injected so the checks run (and are tested) anywhere.
import { existsSync } from 'node:fs';
import { delimiter, join } from 'node:path';
import { PreflightError } from './errors.ts';
import { type RunResult, runProcess } from './process.ts';

export const MIN_MACOS_MAJOR = 15;
export const MIN_CHIP_GENERATION = 3;
export const MIN_TART_VERSION = '2.28.3';
/** Where Tart lands when installed from its .app bundle or Homebrew (Apple Silicon / Intel prefix). */
export const TART_LOCATIONS = [
  '/Applications/tart.app/Contents/MacOS/tart',
  '/opt/homebrew/bin/tart',
  '/usr/local/bin/tart',
];
const INSTALL_TART =
  'brew install cirruslabs/cli/tart (or download it from https://github.com/cirruslabs/tart/releases)';

export interface PreflightInputs {
  platform: NodeJS.Platform;
  env: NodeJS.ProcessEnv;
  run(file: string, args: string[]): Promise<RunResult>;
  exists(path: string): boolean;
}

export function systemPreflightInputs(): PreflightInputs {
  return {
    platform: process.platform,
    env: process.env,
    run: (file, args) => runProcess(file, args, { timeoutMs: 30_000 }),
    exists: existsSync,
  };
}

/** The tart binary: FC_MACOS_TART, else PATH, else the usual install locations; null when none. */
export function findTart(inputs: Pick<PreflightInputs, 'env' | 'exists'>): string | null {
  const fromEnv = inputs.env.FC_MACOS_TART;
  if (fromEnv) return inputs.exists(fromEnv) ? fromEnv : null;
  for (const dir of (inputs.env.PATH ?? '').split(delimiter)) {
    if (dir && inputs.exists(join(dir, 'tart'))) return join(dir, 'tart');
  }
  return TART_LOCATIONS.find((p) => inputs.exists(p)) ?? null;
}

/** Compares dotted versions numerically: -1, 0, 1. */
export function compareVersions(a: string, b: string): number {
  const pa = a.split('.').map((n) => Number.parseInt(n, 10) || 0);
  const pb = b.split('.').map((n) => Number.parseInt(n, 10) || 0);
  for (let i = 0; i < Math.max(pa.length, pb.length); i++) {
    const d = (pa[i] ?? 0) - (pb[i] ?? 0);
    if (d !== 0) return d < 0 ? -1 : 1;
  }
  return 0;
}

export interface PreflightReport {
  tart: string;
  tartVersion: string;
  macosVersion: string;
  chip: string;
}

/** Throws PreflightError for the first unmet requirement, with the fix. */
export async function tartPreflight(inputs: PreflightInputs): Promise<PreflightReport> {
  if (inputs.platform !== 'darwin') {
    throw new PreflightError(
      'platform',
      `the Tart provider runs on macOS; this is ${inputs.platform}`,
      'on a Linux host with /dev/kvm use: fc-macos setup --provider local',
    );
  }
  const sw = await inputs.run('sw_vers', ['-productVersion']);
  const macosVersion = sw.stdout.trim();
  const major = Number.parseInt(macosVersion.split('.')[0] ?? '', 10);
  if (sw.exitCode !== 0 || !Number.isFinite(major)) {
    throw new PreflightError(
      'macos',
      `could not read the macOS version (sw_vers -productVersion: ${sw.stderr.trim() || macosVersion || 'no output'})`,
      'run fc-macos setup from a macOS terminal',
    );
  }
  if (major < MIN_MACOS_MAJOR) {
    throw new PreflightError(
      'macos',
      `macOS ${macosVersion} is too old: nested virtualization needs macOS ${MIN_MACOS_MAJOR} (Sequoia) or later`,
      'update macOS in System Settings > General > Software Update',
    );
  }
  const cpu = await inputs.run('sysctl', ['-n', 'machdep.cpu.brand_string']);
  const chip = cpu.stdout.trim();
  const generation = /^Apple M(\d+)/.exec(chip);
  const tooOld = generation ? Number(generation[1]) < MIN_CHIP_GENERATION : !chip.startsWith('Apple');
  if (tooOld) {
    throw new PreflightError(
      'chip',
      `this Mac's chip (${chip || 'unknown'}) has no nested virtualization: Apple M${MIN_CHIP_GENERATION} or later is needed to run Firecracker inside a VM`,
      'use a Mac with an M3 chip or later, or a Linux machine with KVM (fc-macos setup --provider local)',
    );
  }
  const tart = findTart(inputs);
  if (!tart) {
    throw new PreflightError(
      'tart',
      `tart not found (looked at $FC_MACOS_TART, $PATH, ${TART_LOCATIONS.join(', ')})`,
      INSTALL_TART,
    );
  }
  const ver = await inputs.run(tart, ['--version']);
  const tartVersion = ver.stdout.trim();
  if (ver.exitCode !== 0 || !/^\d+\.\d+/.test(tartVersion)) {
    throw new PreflightError(
      'tart_version',
      `${tart} --version failed: ${(ver.stderr || tartVersion).trim() || `exit ${ver.exitCode}`}`,
      INSTALL_TART,
    );
  }
  if (compareVersions(tartVersion, MIN_TART_VERSION) < 0) {
    throw new PreflightError(
      'tart_version',
      `Tart ${tartVersion} is too old: fc-macos needs ${MIN_TART_VERSION} or later (for tart exec and --nested)`,
      'brew upgrade cirruslabs/cli/tart',
    );
  }
  return { tart, tartVersion, macosVersion, chip };
}
