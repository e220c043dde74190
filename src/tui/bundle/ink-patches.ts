/**
 * An esbuild plugin for the workbench bundle that patches Ink 6.8: it reuses
 * the previous frame's work when it composes the next one, and its
 * incremental renderer puts frames where they belong.
 *
 * Speed. Ink composes every frame from scratch. It tokenizes each line of text into
 * styled cells and measures it with caches that live for one frame, fills a
 * new object into every empty cell, and turns every row back into a string
 * by diffing the styles of each pair of neighbouring cells. On a 120x40
 * screen that was about 5 ms and 5 MB of garbage per key press, although a
 * cursor move changes a few rows. Patched:
 *   - output.js takes its caches from ink-frame-memo (carried over one frame,
 *     with the row strings), and fills empty cells with one shared blank cell;
 *   - render-node-to-output.js measures text through those caches (it
 *     measured every text node of every frame anew);
 *   - measure-text.js keeps at most MEASURED_TEXTS_KEPT texts (its cache grew
 *     by every line ever drawn: scrolling through a 100k-file layer kept them
 *     all).
 * Sharing cells is safe because Ink never writes to a cell object: it copies
 * cell references into its grid and reads them to build the strings.
 *
 * Drawing. With `incrementalRendering`, Ink 6.8 rewrites only the lines that
 * changed, but it moves the cursor up one line too few before a frame that
 * ends with a newline, which every frame shorter than the terminal does (the
 * workbench draws `rows - 1` lines, TUI-NOTES.md): the frame landed one line
 * low, and the lines it skipped as unchanged stayed where they were. Ink 7
 * counts that newline; log-update.js is patched to do the same.
 *
 * Each patch is a textual replacement that must match exactly once. Ink is
 * pinned (6.8 is the last version for Node 20); when a replacement does not
 * match, the build fails rather than ship a workbench that is slow or draws
 * wrongly.
 */
import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import type { Plugin } from 'esbuild';

export interface Replacement {
  what: string;
  find: RegExp;
  replace: string;
}

const MEASURED_TEXTS_KEPT = 4000;

const memoModule = JSON.stringify(fileURLToPath(new URL('./ink-frame-memo.js', import.meta.url)));

/** Ink files by name (under ink/build/), what to replace in each, and what to append. */
export const INK_PATCHES: Record<string, { replacements: Replacement[]; append?: string }> = {
  'output.js': {
    replacements: [
      { what: 'the per-frame caches', find: /caches = new OutputCaches\(\);/g, replace: 'caches = layerlabFrameCaches();' },
      {
        what: 'the empty cell',
        find: /row\.push\(\{\s*type: 'char',\s*value: ' ',\s*fullWidth: false,\s*styles: \[\],\s*\}\);/g,
        replace: 'row.push(LAYERLAB_BLANK_CELL);',
      },
      {
        what: 'the row strings',
        find: /\.map\(line => \{(\s*\/\/[^\n]*\n\s*const lineWithoutEmptyItems = line\.filter\(item => item !== undefined\);\s*)return styledCharsToString\(lineWithoutEmptyItems\)\.trimEnd\(\);/g,
        replace: '.map((line, rowIndex) => {$1return this.caches.rowText(rowIndex, lineWithoutEmptyItems);',
      },
    ],
    append: [
      `import { frameCachesFactory as layerlabFrameCachesFactory, BLANK_CELL as LAYERLAB_BLANK_CELL } from ${memoModule};`,
      "import { ansiCodesToString as layerlabAnsiCodesToString, diffAnsiCodes as layerlabDiffAnsiCodes } from '@alcalzone/ansi-tokenize';",
      'const layerlabFrameCaches = layerlabFrameCachesFactory(OutputCaches, { ansiCodesToString: layerlabAnsiCodesToString, diffAnsiCodes: layerlabDiffAnsiCodes });',
    ].join('\n'),
  },
  'render-node-to-output.js': {
    replacements: [{ what: 'the text width', find: /const currentWidth = widestLine\(text\);/g, replace: 'const currentWidth = output.caches.getWidestLine(text);' }],
  },
  'log-update.js': {
    replacements: [
      {
        what: 'the climb to the top of the previous frame',
        find: /buffer\.push\(ansiEscapes\.cursorUp\(previousVisible - 1\)\);/g,
        // The cursor sits below the last line when that line ended with a newline.
        replace: "buffer.push(ansiEscapes.cursorUp(previousOutput.endsWith('\\n') ? previousVisible : previousVisible - 1));",
      },
    ],
  },
  'measure-text.js': {
    replacements: [
      { what: 'the measured texts', find: /cache\.set\(text, dimensions\);/g, replace: `if (cache.size >= ${MEASURED_TEXTS_KEPT}) cache.clear();\n    cache.set(text, dimensions);` },
    ],
  },
};

/** Applies one file's replacements; a message per replacement that did not match exactly once. */
export function applyReplacements(source: string, replacements: readonly Replacement[]): { source: string; errors: string[] } {
  const errors: string[] = [];
  for (const { what, find, replace } of replacements) {
    const matches = source.match(find)?.length ?? 0;
    if (matches !== 1) errors.push(`${what}: ${matches} matches of ${find} (expected 1)`);
    else source = source.replace(find, replace);
  }
  return { source, errors };
}

export function inkPatches(): Plugin {
  return {
    name: 'ink-patches',
    setup(build) {
      build.onLoad({ filter: /[\\/]ink[\\/]build[\\/](output|render-node-to-output|measure-text|log-update)\.js$/ }, async (args) => {
        const patch = INK_PATCHES[args.path.split(/[\\/]/).at(-1)!]!;
        const { source, errors } = applyReplacements(await readFile(args.path, 'utf8'), patch.replacements);
        if (errors.length > 0) {
          return { errors: errors.map((text) => ({ text: `ink-patches: ${args.path}: ${text}; check the patch against this Ink version` })) };
        }
        return { contents: patch.append ? `${source}\n${patch.append}\n` : source, loader: 'js' };
      });
    },
  };
}
