// The emulated tier (test/emulated, docs/testing.md): real aarch64 guests through fc-macos, inside
// an arm64 Linux VM emulated by QEMU. One file, its steps in order, one Linux VM for the whole run.
import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/emulated/**/*.emulated.ts'],
    globalSetup: ['./test/emulated/global-setup.ts'],
    testTimeout: 15 * 60_000,
    hookTimeout: 5 * 60_000,
    pool: 'forks',
    fileParallelism: false,
    maxWorkers: 1,
    // Each step depends on the previous one: stop at the first failure instead of cascading.
    bail: 1,
  },
});
