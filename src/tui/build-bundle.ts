/**
 * Bundles the workbench (run-tui with Ink and React) into one file with
 * esbuild, after tsc: `node dist/tui/build-bundle.js`. Loading one file
 * instead of a few hundred modules is what brings the first frame under
 * 300 ms (TUI-NOTES.md: about 365 ms from dist, 145 ms bundled), and the
 * bundle is built for production so React skips its development checks.
 * `layerlab tui` loads the bundle when it is there and dist/tui/run-tui.js
 * otherwise (a tsc-only build).
 */
import { build } from 'esbuild';
import { fileURLToPath } from 'node:url';
import { inkPatches } from './bundle/ink-patches.js';
import { yogaWithoutFetch } from './bundle/yoga-without-fetch.js';

const here = (name: string): string => fileURLToPath(new URL(name, import.meta.url));

await build({
  entryPoints: [here('./run-tui.js')],
  outfile: here('./run-tui.bundle.js'),
  bundle: true,
  platform: 'node',
  format: 'esm',
  target: 'node20',
  // Production React; LAYERLAB_PATCHED_INK tells run-tui that Ink is patched (bundle/ink-patches.ts).
  define: { 'process.env.NODE_ENV': '"production"', 'process.env.LAYERLAB_PATCHED_INK': '"true"' },
  minifySyntax: true,
  minifyWhitespace: true,
  legalComments: 'none',
  logLevel: 'warning',
  plugins: [
    inkPatches(),
    yogaWithoutFetch(),
    {
      // Ink loads react-devtools-core only when DEV=true, and it is not installed: stand in an empty module.
      name: 'no-react-devtools',
      setup(bundle) {
        bundle.onResolve({ filter: /^react-devtools-core$/ }, (args) => ({ path: args.path, namespace: 'no-devtools' }));
        bundle.onLoad({ filter: /.*/, namespace: 'no-devtools' }, () => ({ contents: 'export default { initialize() {}, connectToDevTools() {} };' }));
      },
    },
  ],
  // Some of Ink's CommonJS dependencies call require() for Node built-ins.
  banner: { js: "import { createRequire as __layerlabCreateRequire } from 'node:module'; const require = __layerlabCreateRequire(import.meta.url);" },
});
