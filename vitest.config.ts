import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    globalSetup: ['./vitest.global-setup.ts'],
    // Every fc-agent a test starts (also through setup --provider local, the built CLI, …) inherits
    // this: no bridge, taps, nftables rules or ip_forward change on the machine. Networking tests
    // turn it back on inside their own network namespaces (startAgent({ network: true, netns })).
    env: { FC_AGENT_NO_NETWORK: '1' },
    testTimeout: 30_000,
    hookTimeout: 30_000,
    // Tests spawn real processes (firecracker, the double, the agent); two cores are the budget.
    pool: 'forks',
    fileParallelism: true,
    maxWorkers: 2,
  },
});
