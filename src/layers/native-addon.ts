/**
 * Loads one of layerlab's native addons (native/*.c, built by `npm ci`
 * through node-gyp into build/Release). Undefined when it did not build, for
 * example without a C compiler, or was built for another Node: each caller
 * then falls back to a host tool. LAYERLAB_NO_NATIVE_ADDONS=1 makes every
 * caller take its fallback, to tell a fault of an addon from one of the
 * tools.
 */
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';

export function loadNativeAddon<T>(name: string): T | undefined {
  if (process.env.LAYERLAB_NO_NATIVE_ADDONS === '1') return undefined;
  // From dist/<module>/ (tsc output) or dist/cli/commands/ (the CLI bundle).
  for (const relative of [`../../build/Release/${name}.node`, `../../../build/Release/${name}.node`]) {
    const path = fileURLToPath(new URL(relative, import.meta.url));
    if (!existsSync(path)) continue;
    try {
      return createRequire(import.meta.url)(path) as T;
    } catch {
      return undefined;
    }
  }
  return undefined;
}
