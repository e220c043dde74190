import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts', 'test/**/*.test.tsx'],
    // One registry on 127.0.0.1 for the whole run (started only if none answers).
    globalSetup: ['test/helpers/registry-global-setup.ts'],
    // Namespace, registry and pty tests spawn real processes; two cores cannot
    // run many of them at once without timeouts that mean nothing.
    maxWorkers: 2,
    testTimeout: 60_000,
    hookTimeout: 120_000,
  },
});
