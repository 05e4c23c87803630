import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    globalSetup: ['./vitest.global-setup.ts'],
    testTimeout: 30_000,
    hookTimeout: 30_000,
    // Tests spawn real processes (firecracker, the double, the agent); two cores are the budget.
    pool: 'forks',
    fileParallelism: true,
    maxWorkers: 2,
  },
});
