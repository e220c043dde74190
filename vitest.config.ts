import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts', 'test/**/*.test.tsx'],
    // One registry on 127.0.0.1 for the whole run (started only if none answers).
    globalSetup: ['test/helpers/registry-global-setup.ts'],
    // Test files run one at a time: many of them check that the host's mount
    // table and process list are as they found them, and a dockerd or a
    // killed build in a neighbouring file would change both under them.
    fileParallelism: false,
    testTimeout: 60_000,
    hookTimeout: 120_000,
  },
});
