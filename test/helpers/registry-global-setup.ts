/**
 * Vitest globalSetup: holds the test registry for the whole run, so that test
 * files in different workers do not start and stop it one after another.
 * Wire it in vitest.config.ts with `globalSetup: ['test/helpers/registry-global-setup.ts']`.
 * A registry started by .ci/run (LAYERLAB_TEST_REGISTRY) is used as it is.
 */
import { ensureRegistry } from './registry.js';

export default async function setup(): Promise<() => Promise<void>> {
  const release = await ensureRegistry();
  return release;
}
