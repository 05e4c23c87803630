// The emulated tier's global setup: the fast tier's build (dist/, the test programs), plus the
// emulated tart next to them (scripts/build-emulated-tart.mjs).
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import buildAll from '../../vitest.global-setup.ts';

export default function setup(): void {
  buildAll();
  const script = join(import.meta.dirname, '..', '..', 'scripts', 'build-emulated-tart.mjs');
  execFileSync(process.execPath, [script], { stdio: 'inherit' });
}
