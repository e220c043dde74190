/**
 * sameContent: what decides that a file in the upper dir kept the lower
 * file's bytes (a metadata-only change) without reading both when it can.
 */
import { lstatSync, mkdtempSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { sameContent } from '../../src/layers/entry-stats.js';

const dir = mkdtempSync(join(tmpdir(), 'll-entry-stats-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function pair(name: string, a: string, b: string, mtimeA: number, mtimeB: number) {
  const pa = join(dir, `${name}-a`);
  const pb = join(dir, `${name}-b`);
  writeFileSync(pa, a);
  writeFileSync(pb, b);
  utimesSync(pa, mtimeA, mtimeA);
  utimesSync(pb, mtimeB, mtimeB);
  return sameContent(pa, lstatSync(pa), pb, lstatSync(pb));
}

describe('sameContent for files', () => {
  it('compares bytes when the mtimes differ', () => {
    expect(pair('diff-mtime-same', 'same bytes', 'same bytes', 1_700_000_000.25, 1_700_000_001.5)).toBe(true);
    expect(pair('diff-mtime-other', 'same size!', 'other size', 1_700_000_000.25, 1_700_000_001.5)).toBe(false);
  });

  it('takes the same size and sub-second mtime as the same bytes, as containerd does (what a copy-up keeps)', () => {
    expect(pair('copied-up', 'original', 'changed!', 1_700_000_000.123, 1_700_000_000.123)).toBe(true);
  });

  it('reads the bytes when the mtime is a whole second (a coarse clock or an archive)', () => {
    expect(pair('whole-second', 'original', 'changed!', 1_700_000_000, 1_700_000_000)).toBe(false);
  });

  it('never takes different sizes as the same', () => {
    expect(pair('sizes', 'short', 'longer text', 1_700_000_000.5, 1_700_000_000.5)).toBe(false);
  });
});
