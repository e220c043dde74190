/**
 * Bundles the CLI (every command but the workbench UI) into one file with
 * esbuild, after tsc: `node dist/cli/build-bundle.js`. Loading a few hundred
 * modules took ~70 ms of every `layerlab build`, more than a cached build's
 * steps; one file loads in a fraction of that. bin/layerlab.js uses the bundle
 * when it is at least as new as the tsc output.
 *
 * The bundle is CommonJS so that bin/bundle-loader.js can compile it
 * through vm.Script with V8's code cache, which this script writes too:
 * Node 20 has no code cache for ES modules, and compiling the 0.6 MB bundle
 * took 15 of the 27 ms it cost to load. `import.meta.url` becomes the
 * bundle's own file URL.
 *
 * The bundle sits in dist/cli/commands/ on purpose: the modules that find
 * files relative to themselves (the workbench bundle, the file-step and
 * layer-unpack workers) then resolve the same relative paths as from tsc's
 * output. The workbench itself stays out (it has its own bundle), and so does
 * the native pty module.
 */
import { build } from 'esbuild';
import { rmSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const here = (name: string): string => fileURLToPath(new URL(name, import.meta.url));

const outfile = here('./commands/cli.bundle.cjs');
rmSync(here('./commands/cli.bundle.js'), { force: true }); // the ESM bundle of earlier builds

await build({
  entryPoints: [here('./main.js')],
  outfile,
  bundle: true,
  platform: 'node',
  format: 'cjs',
  target: 'node20',
  minifySyntax: true,
  legalComments: 'none',
  logLevel: 'warning',
  external: ['@lydell/node-pty'],
  // vm code has no import(): built-ins and the pty module are CommonJS, so
  // require() serves; the workbench (ES modules) loads through esm-import.ts.
  supported: { 'dynamic-import': false },
  define: { 'import.meta.url': '__layerlabBundleUrl' },
  banner: { js: "const __layerlabBundleUrl = require('node:url').pathToFileURL(__filename).href;" },
});

// V8's code cache for bin/layerlab.js, with every function compiled.
const loader = (await import(new URL('../../bin/bundle-loader.js', import.meta.url).href)) as { writeFullCodeCache(path: string): void };
loader.writeFullCodeCache(outfile);
