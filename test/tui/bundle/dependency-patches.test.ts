import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { build } from 'esbuild';
import { describe, expect, it } from 'vitest';
// Ink's own tokenizer, as the bundle uses it (a dependency of ink).
import { ansiCodesToString, diffAnsiCodes, styledCharsFromTokens, styledCharsToString, tokenize } from '@alcalzone/ansi-tokenize';
import { applyReplacements, INK_PATCHES, inkPatches } from '../../../src/tui/bundle/ink-patches.js';
import { YOGA_REPLACEMENTS, yogaWithoutFetch } from '../../../src/tui/bundle/yoga-without-fetch.js';
import { BLANK_CELL, cellsToString, frameCachesFactory, type InkOutputCaches, type StyledChar } from '../../../src/tui/bundle/ink-frame-memo.js';

const codes = { ansiCodesToString, diffAnsiCodes };
const cells = (line: string): StyledChar[] => styledCharsFromTokens(tokenize(line)) as StyledChar[];

/** Stands in for Ink's OutputCaches (ink/build/output.js), counting what it computes. */
class CountingCaches implements InkOutputCaches {
  static computed = 0;
  widths = new Map<string, number>();
  blockWidths = new Map<string, number>();
  styledChars = new Map<string, StyledChar[]>();
  getStyledChars(line: string): StyledChar[] {
    let value = this.styledChars.get(line);
    if (!value) {
      CountingCaches.computed++;
      value = cells(line);
      this.styledChars.set(line, value);
    }
    return value;
  }
  getStringWidth(text: string): number {
    return text.length;
  }
  getWidestLine(text: string): number {
    return Math.max(...text.split('\n').map((l) => l.length));
  }
}

const LINES = [
  'plain text   ',
  '\x1b[32m+ \x1b[39m\x1b[2m  ▾ \x1b[22mdata/\x1b[1m bold\x1b[22m and \x1b[7minverse\x1b[27m',
  '\x1b[1m\x1b[2mbold and dim\x1b[22m after',
  '\x1b[38;5;208morange\x1b[39m\x1b[48;2;1;2;3m on rgb \x1b[49m done',
  '\x1b[31mred\x1b[32mgreen\x1b[0m reset  ',
  '\x1b[4munderlined to the end',
  '',
];

describe('cellsToString', () => {
  it('gives the string ansi-tokenize gives, trimmed at the end', () => {
    for (const line of LINES) {
      const row = cells(line);
      expect(cellsToString(row, codes)).toBe(styledCharsToString(row).trimEnd());
    }
  });

  it('gives the same string for a row composed of several lines and blank cells', () => {
    const row: StyledChar[] = [...cells(LINES[1]!), BLANK_CELL, BLANK_CELL, ...cells(LINES[3]!), ...cells(LINES[2]!), BLANK_CELL];
    expect(cellsToString(row, codes)).toBe(styledCharsToString(row).trimEnd());
  });
});

describe('frameCachesFactory', () => {
  it('carries tokenized lines to the next frame only', () => {
    const next = frameCachesFactory(CountingCaches, codes);
    CountingCaches.computed = 0;
    const first = next().getStyledChars(LINES[1]!);
    const second = next().getStyledChars(LINES[1]!);
    expect(second).toBe(first);
    expect(CountingCaches.computed).toBe(1);
    // A frame that does not use the line lets it go: the frame after that tokenizes it again.
    next();
    next().getStyledChars(LINES[1]!);
    expect(CountingCaches.computed).toBe(2);
  });

  it('reuses a row string when the cells are the same objects, and builds it when one differs', () => {
    const next = frameCachesFactory(CountingCaches, codes);
    const row = cells(LINES[1]!);
    const text = next().rowText(0, row);
    expect(text).toBe(styledCharsToString(row).trimEnd());
    expect(next().rowText(0, [...row])).toBe(text);
    const changed = [...row];
    changed[3] = cells('\x1b[31mX\x1b[39m')[0]!;
    expect(next().rowText(0, changed)).toBe(styledCharsToString(changed).trimEnd());
    // Another row index does not see row 0.
    expect(next().rowText(1, cells('other'))).toBe('other');
  });
});

describe('the Ink patches', () => {
  const inkBuild = dirname(createRequire(import.meta.url).resolve('ink'));

  it('each replacement matches the installed Ink exactly once', () => {
    for (const [file, patch] of Object.entries(INK_PATCHES)) {
      const { errors } = applyReplacements(readFileSync(join(inkBuild, file), 'utf8'), patch.replacements);
      expect(errors, file).toEqual([]);
    }
  });

  it('a replacement that does not match is an error', () => {
    const { errors } = applyReplacements('nothing here', INK_PATCHES['output.js']!.replacements);
    expect(errors).toHaveLength(3);
  });

  it('bundles Ink with the patches', async () => {
    const result = await build({
      stdin: { contents: "export { render } from 'ink';", resolveDir: inkBuild, loader: 'js' },
      bundle: true,
      write: false,
      platform: 'node',
      format: 'esm',
      logLevel: 'silent',
      external: ['react-devtools-core'],
      plugins: [inkPatches()],
    });
    const code = result.outputFiles[0]!.text;
    expect(code).toContain('rowText(rowIndex, lineWithoutEmptyItems)');
    expect(code).toContain('output.caches.getWidestLine(text)');
    expect(code).toMatch(/cache\.size >= \d+/);
  });
});

describe('the Yoga patch', () => {
  const yogaWasm = join(dirname(createRequire(import.meta.url).resolve('yoga-layout')), '../binaries/yoga-wasm-base64-esm.js');

  it('each replacement matches the installed yoga-layout exactly once', () => {
    expect(applyReplacements(readFileSync(yogaWasm, 'utf8'), YOGA_REPLACEMENTS).errors).toEqual([]);
  });

  it('bundles a Yoga that lays out without fetch', async () => {
    const result = await build({
      stdin: { contents: "import Yoga from 'yoga-layout'; export default Yoga;", resolveDir: dirname(yogaWasm), loader: 'js' },
      bundle: true,
      write: false,
      platform: 'node',
      format: 'esm',
      logLevel: 'silent',
      plugins: [yogaWithoutFetch()],
    });
    const code = result.outputFiles[0]!.text;
    const realFetch = globalThis.fetch;
    let fetched = 0;
    globalThis.fetch = ((...args: Parameters<typeof fetch>) => {
      fetched++;
      return realFetch(...args);
    }) as typeof fetch;
    try {
      const { default: Yoga } = (await import(`data:text/javascript;base64,${Buffer.from(code).toString('base64')}`)) as { default: { Node: { create(): { setWidth(w: number): void; calculateLayout(): void; getComputedWidth(): number } } } };
      const node = Yoga.Node.create();
      node.setWidth(42);
      node.calculateLayout();
      expect(node.getComputedWidth()).toBe(42);
    } finally {
      globalThis.fetch = realFetch;
    }
    expect(fetched).toBe(0);
  });
});
