import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    testTimeout: 120_000,
    hookTimeout: 120_000,
    // Integration tests start real registries on loopback; keep the two cores busy but not oversubscribed.
    pool: 'forks',
    poolOptions: { forks: { maxForks: 2, minForks: 1 } },
    // Each file stops what its helpers started; the run fails if any process it started is still alive at the end.
    setupFiles: ['test/setup/no-ambient-proxy.ts', 'test/setup/cleanup.ts'],
    globalSetup: ['test/setup/no-leftovers.ts'],
  },
});
