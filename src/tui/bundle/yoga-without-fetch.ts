/**
 * An esbuild plugin for the workbench bundle: Yoga (Ink's layout engine)
 * instantiates its WebAssembly from the bytes it carries, not through
 * `fetch`.
 *
 * yoga-layout embeds its wasm as a base64 data: URL and, being Emscripten
 * output, loads it with `fetch(dataUrl)` whenever `fetch` exists. On Node
 * that first call loads undici, Node's fetch implementation: about 35 ms of
 * the workbench's first frame. Emscripten's own fallback, taken when there is
 * no fetch, decodes the same base64 and instantiates the bytes; the patch
 * makes it take that path.
 *
 * A replacement that does not match exactly once fails the build.
 */
import { readFile } from 'node:fs/promises';
import type { Plugin } from 'esbuild';
import { applyReplacements, type Replacement } from './ink-patches.js';

export const YOGA_REPLACEMENTS: Replacement[] = [
  { what: 'the wasm bytes', find: /return w\|\|"function"!=typeof fetch\?/g, replace: 'return true?' },
  { what: 'the wasm instantiation', find: /"function"!=typeof fetch\?c\(b\):/g, replace: 'true?c(b):' },
];

export function yogaWithoutFetch(): Plugin {
  return {
    name: 'yoga-without-fetch',
    setup(build) {
      build.onLoad({ filter: /[\\/]yoga-layout[\\/]dist[\\/]binaries[\\/]yoga-wasm-base64-esm\.js$/ }, async (args) => {
        const { source, errors } = applyReplacements(await readFile(args.path, 'utf8'), YOGA_REPLACEMENTS);
        if (errors.length > 0) {
          return { errors: errors.map((text) => ({ text: `yoga-without-fetch: ${args.path}: ${text}; check the patch against this yoga-layout version` })) };
        }
        return { contents: source, loader: 'js' };
      });
    },
  };
}
