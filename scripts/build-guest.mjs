// Builds fc-guest (guest/, C) as static binaries for the guest architectures:
// dist/guest/fc-guest-aarch64 and dist/guest/fc-guest-x86_64. A compiler that is missing skips
// its architecture with a message naming the package to install; `--require` makes that an error.
import { execFileSync, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { arch } from 'node:os';
import { join } from 'node:path';

const root = join(import.meta.dirname, '..');
const outDir = join(root, 'dist', 'guest');
const sources = readdirSync(join(root, 'guest'))
  .filter((f) => f.endsWith('.c'))
  .sort()
  .map((f) => join(root, 'guest', f));
const MAX_BYTES = 1024 * 1024;

// On an aarch64 build machine the native gcc builds aarch64 and the cross compiler builds x86_64.
const targets = [
  {
    arch: 'aarch64',
    compilers: arch() === 'arm64' ? ['gcc', 'aarch64-linux-gnu-gcc'] : ['aarch64-linux-gnu-gcc'],
    pkg: 'gcc-aarch64-linux-gnu libc6-dev-arm64-cross',
  },
  {
    arch: 'x86_64',
    compilers: arch() === 'x64' ? ['gcc', 'x86_64-linux-gnu-gcc'] : ['x86_64-linux-gnu-gcc'],
    pkg: 'gcc-x86-64-linux-gnu libc6-dev-amd64-cross',
  },
];

const flags = [
  '-std=gnu11',
  '-D_GNU_SOURCE',
  '-Os',
  '-Wall',
  '-Wextra',
  '-Werror',
  '-static',
  '-ffunction-sections',
  '-fdata-sections',
  '-Wl,--gc-sections',
  '-s',
];

function has(cmd) {
  return spawnSync(cmd, ['--version'], { stdio: 'ignore' }).status === 0;
}

const require = process.argv.includes('--require');
mkdirSync(outDir, { recursive: true });
const sums = [];
let missing = 0;
for (const t of targets) {
  const cc = t.compilers.find(has);
  const out = join(outDir, `fc-guest-${t.arch}`);
  if (!cc) {
    missing++;
    console.warn(
      `fc-guest ${t.arch}: skipped, no compiler (${t.compilers.join(' or ')}); install: apt-get install ${t.pkg}`,
    );
    continue;
  }
  execFileSync(cc, [...flags, '-o', out, ...sources], { stdio: 'inherit' });
  const size = statSync(out).size;
  if (size > MAX_BYTES) throw new Error(`${out} is ${size} bytes, over the 1 MiB limit`);
  const sha = createHash('sha256').update(readFileSync(out)).digest('hex');
  sums.push(`${sha}  fc-guest-${t.arch}`);
}
if (sums.length > 0) writeFileSync(join(outDir, 'SHA256SUMS'), `${sums.join('\n')}\n`);
if (missing > 0 && require) process.exit(1);
