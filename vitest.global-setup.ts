// Bundles the executables the tests start: the CLI and agent (dist/; this is the build `npm test`
// checks), the Firecracker double and the fake tart. The test programs land in node_modules/.cache
// (inside the checkout, not a shared /tmp).
import { execFileSync } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { buildSync } from 'esbuild';

const root = import.meta.dirname;
export const testBinDir = join(root, 'node_modules', '.cache', 'fc-macos-test', 'bin');

export default function setup(): void {
  execFileSync(process.execPath, [join(root, 'scripts', 'build.mjs')], { stdio: 'inherit' });
  // fc-guest (C): the protocol tests run its x86_64 build on this machine.
  execFileSync(process.execPath, [join(root, 'scripts', 'build-guest.mjs')], { stdio: 'inherit' });
  mkdirSync(testBinDir, { recursive: true });
  const requireShim =
    "import { createRequire as __cr } from 'node:module'; const require = __cr(import.meta.url);";
  const programs: Array<[string, string]> = [
    ['test/support/fc-double/main.ts', 'fc-double'],
    ['test/support/fake-tart/main.ts', 'tart'],
  ];
  for (const [entry, name] of programs) {
    // Absent while the test tree is being built up; a test that needs it then fails with ENOENT.
    if (!existsSync(join(root, entry))) continue;
    const outfile = join(testBinDir, name);
    buildSync({
      entryPoints: [join(root, entry)],
      outfile,
      bundle: true,
      platform: 'node',
      format: 'esm',
      target: 'node20',
      banner: { js: `#!/usr/bin/env node\n${requireShim}` },
      logLevel: 'warning',
    });
    chmodSync(outfile, 0o755);
  }
}
