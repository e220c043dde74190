/**
 * Bundles the CLI (every command but the workbench UI) into one file with
 * esbuild, after tsc: `node dist/cli/build-bundle.js`. Loading a few hundred
 * modules took ~70 ms of every `layerlab build`, more than a cached build's
 * steps; one file loads in a fraction of that. bin/layerlab.js uses the bundle
 * when it is at least as new as the tsc output.
 *
 * The bundle sits in dist/cli/commands/ on purpose: the modules that find
 * files relative to themselves (the workbench bundle, the file-step and
 * layer-unpack workers) then resolve the same relative paths as from tsc's
 * output. The workbench itself stays out (it has its own bundle), and so does
 * the native pty module.
 */
import { build } from 'esbuild';
import { fileURLToPath } from 'node:url';

const here = (name: string): string => fileURLToPath(new URL(name, import.meta.url));

await build({
  entryPoints: [here('./main.js')],
  outfile: here('./commands/cli.bundle.js'),
  bundle: true,
  platform: 'node',
  format: 'esm',
  target: 'node20',
  minifySyntax: true,
  legalComments: 'none',
  logLevel: 'warning',
  external: ['@lydell/node-pty'],
  plugins: [
    {
      // The workbench loads from its own bundle (or dist/tui), at run time.
      name: 'workbench-stays-out',
      setup(bundle) {
        bundle.onResolve({ filter: /\/tui\/run-tui(\.bundle)?\.js$/ }, (args) => ({ path: args.path, external: true }));
      },
    },
  ],
  // Some bundled CommonJS dependencies call require() for Node built-ins.
  banner: { js: "import { createRequire as __layerlabCreateRequire } from 'node:module'; const require = __layerlabCreateRequire(import.meta.url);" },
});
