import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { diffFile, diffTokens } from '../../src/layers/text-diff.js';

describe('diffFile', () => {
  it('prints a unified diff with context 3 and hunk headers like diff -u', () => {
    const oldText = ['a', 'b', 'c', 'd', 'e', 'f', 'g', 'h', 'i', 'j', 'k', 'l', 'm', 'n'].join('\n') + '\n';
    const newText = ['a', 'b', 'c', 'D', 'e', 'f', 'g', 'h', 'i', 'j', 'k', 'l', 'm', 'n', 'o'].join('\n') + '\n';
    const diff = diffFile(oldText, newText, { oldName: 'a/f', newName: 'b/f' });
    expect(diff.kind).toBe('text');
    if (diff.kind !== 'text') return;
    expect(diff.unified).toBe(
      [
        '--- a/f',
        '+++ b/f',
        '@@ -1,7 +1,7 @@',
        ' a',
        ' b',
        ' c',
        '-d',
        '+D',
        ' e',
        ' f',
        ' g',
        '@@ -12,3 +12,4 @@',
        ' l',
        ' m',
        ' n',
        '+o',
        '',
      ].join('\n'),
    );
    expect([diff.added, diff.removed]).toEqual([2, 1]);
  });

  it('marks a missing final newline', () => {
    const diff = diffFile('x\ny', 'x\ny\n');
    expect(diff.kind === 'text' && diff.unified).toBe(
      '--- a\n+++ b\n@@ -1,2 +1,2 @@\n x\n-y\n\\ No newline at end of file\n+y\n',
    );
  });

  it('diffs a new file against /dev/null and an empty range as start 0', () => {
    const diff = diffFile(undefined, 'one\ntwo\n', { newName: 'b/new' });
    expect(diff.kind === 'text' && diff.unified).toBe('--- /dev/null\n+++ b/new\n@@ -0,0 +1,2 @@\n+one\n+two\n');
  });

  it('reports identical, binary and too-large files instead of diffing them', () => {
    expect(diffFile('same\n', 'same\n')).toEqual({ kind: 'identical' });
    expect(diffFile(Buffer.from([1, 0, 2]), 'text')).toEqual({ kind: 'binary', oldSize: 3, newSize: 4 });
    expect(diffFile('a'.repeat(100), 'b', { maxBytes: 50 })).toEqual({
      kind: 'too-large',
      oldSize: 100,
      newSize: 1,
      limit: 50,
    });
  });

  it('finds a shortest edit script (Myers) on small cases', () => {
    const edits = (a: number[], b: number[]) => diffTokens(a, b).filter((op) => op.op !== ' ').length;
    expect(edits([1, 2, 3, 1, 2, 2, 1], [3, 2, 1, 2, 1, 3])).toBe(5); // the paper's ABCABBA / CBABAC
    expect(edits([], [1, 2])).toBe(2);
    expect(edits([1, 2, 3], [1, 2, 3])).toBe(0);
    expect(edits([1, 2, 3], [4, 5, 6])).toBe(6);
  });
});

describe('diffFile against GNU diff and patch', () => {
  const dir = mkdtempSync(join(tmpdir(), 'layerlab-textdiff-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  // A tiny deterministic generator so failures can be replayed.
  let seed = 12345;
  const random = (n: number): number => {
    seed = (seed * 1103515245 + 12345) & 0x7fffffff;
    return seed % n;
  };
  const randomText = (lines: number): string[] => Array.from({ length: lines }, () => `line ${random(12)}`);
  const mutate = (lines: string[]): string[] => {
    const out = [...lines];
    for (let edits = random(12); edits > 0; edits--) {
      const at = random(out.length + 1);
      if (random(2) === 0) out.splice(at, 1);
      else out.splice(at, 0, `new ${random(5)}`);
    }
    return out;
  };

  it('is as short as diff --minimal and patch applies it, on 60 random pairs', () => {
    for (let round = 0; round < 60; round++) {
      const oldLines = randomText(random(40));
      const newLines = mutate(oldLines);
      const oldText = oldLines.join('\n') + (random(3) === 0 ? '' : '\n');
      const newText = newLines.join('\n') + (random(3) === 0 ? '' : '\n');
      const diff = diffFile(oldText, newText);
      const oldFile = join(dir, 'old');
      const newFile = join(dir, 'new');
      writeFileSync(oldFile, oldText);
      writeFileSync(newFile, newText);
      const gnu = spawnSync('diff', ['--minimal', '-U0', oldFile, newFile]).stdout.toString();
      const gnuEdits = gnu.split('\n').filter((l) => /^[-+]/.test(l) && !/^(---|\+\+\+) /.test(l)).length;
      if (diff.kind === 'identical') {
        expect(gnuEdits).toBe(0);
        continue;
      }
      expect(diff.kind).toBe('text');
      if (diff.kind !== 'text') return;
      expect(diff.added + diff.removed).toBe(gnuEdits);
      const patchFile = join(dir, 'patch');
      writeFileSync(patchFile, diff.unified);
      const patched = join(dir, 'patched');
      writeFileSync(patched, oldText);
      execFileSync('patch', ['-s', patched, patchFile]);
      expect(readFileSync(patched, 'utf8')).toBe(newText);
    }
  });

  it('stays quick and correct on two large unrelated files (search budget)', () => {
    const oldText = Array.from({ length: 60_000 }, (_, i) => `old ${i} ${i % 7}`).join('\n') + '\n';
    const newText = Array.from({ length: 60_000 }, (_, i) => (i % 1000 === 0 ? `old ${i} ${i % 7}` : `new ${i}`)).join('\n') + '\n';
    const started = performance.now();
    const diff = diffFile(oldText, newText);
    expect(performance.now() - started).toBeLessThan(10_000);
    expect(diff.kind).toBe('text');
    if (diff.kind !== 'text') return;
    const patchFile = join(dir, 'big.patch');
    const patched = join(dir, 'big');
    writeFileSync(patchFile, diff.unified);
    writeFileSync(patched, oldText);
    execFileSync('patch', ['-s', patched, patchFile]);
    expect(readFileSync(patched, 'utf8')).toBe(newText);
  });
});
