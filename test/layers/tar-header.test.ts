import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { commitLayer } from '../../src/layers/layer-tar-writer.js';
import { encodeTarHeader } from '../../src/layers/tar-header.js';
import type { ChangeEntry } from '../../src/layers/types.js';

const MTIME = Date.UTC(2024, 0, 2, 3, 4, 5);

function entry(path: string, type: ChangeEntry['type'], extra: Partial<ChangeEntry> = {}): ChangeEntry {
  return { path, kind: 'added', type, size: 0, mode: type === 'dir' ? 0o755 : 0o644, uid: 0, gid: 0, mtime: MTIME, ...extra };
}

describe('tar headers as GNU tar reads them', () => {
  const dir = mkdtempSync(join(tmpdir(), 'layerlab-tarhdr-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('splits long names into ustar prefix+name, and falls back to PAX beyond that', async () => {
    const name100 = 'n'.repeat(100);
    const split = `${'a'.repeat(120)}/${'b'.repeat(90)}`; // fits prefix (≤155) + name (≤100)
    const pax = `${'c'.repeat(200)}/${'d'.repeat(120)}`; // does not
    const source = join(dir, 'src');
    mkdirSync(join(source, 'a'.repeat(120)), { recursive: true });
    mkdirSync(join(source, 'c'.repeat(200)), { recursive: true });
    writeFileSync(join(source, name100), 'x');
    const entries: ChangeEntry[] = [
      entry(name100, 'file', { size: 1 }),
      entry('a'.repeat(120), 'dir'),
      entry(split, 'symlink', { linkTarget: 'l'.repeat(150), mode: 0o777 }),
      entry('c'.repeat(200), 'dir'),
      entry(pax, 'fifo'),
      entry('ünïcödé', 'dir', { uid: 3_000_000, gid: 70_000 }),
      entry('ünïcödé/x', 'deleted' as never, { kind: 'deleted' }),
    ];
    entries[6]!.type = 'file';
    const out = join(dir, 'names.tar');
    await commitLayer(entries, source, out, { compression: 'none' });
    const listing = execFileSync('tar', ['--numeric-owner', '-tvf', out]).toString().trim().split('\n');
    expect(listing.map((line) => line.replace(/^(\S+) (\S+) +\d+ \S+ \S+ /, '$1 $2 '))).toEqual([
      `drwxr-xr-x 0/0 ${'a'.repeat(120)}/`,
      `lrwxrwxrwx 0/0 ${split} -> ${'l'.repeat(150)}`,
      `drwxr-xr-x 0/0 ${'c'.repeat(200)}/`,
      `prw-r--r-- 0/0 ${pax}`,
      `-rw-r--r-- 0/0 ${name100}`,
      'drwxr-xr-x 3000000/70000 ünïcödé/',
      '---------- 0/0 ünïcödé/.wh.x',
    ]);
    expect(execFileSync('tar', ['--full-time', '-tvf', out]).toString()).toContain('2024-01-02 03:04:05');
  });

  it('writes an empty layer that gzip and tar accept', async () => {
    const out = join(dir, 'empty.tar.gz');
    const result = await commitLayer([], dir, out);
    execFileSync('gzip', ['-t', out]);
    expect(execFileSync('tar', ['-tzf', out]).toString()).toBe('');
    expect(result.uncompressedSize).toBe(1024);
    // The well-known diff_id of an empty tar of two zero blocks.
    expect(result.diffId).toBe('sha256:5f70bf18a086007016e948b04aed3b82103a36bea41755b6cddfaf10ace3c6ef');
  });

  it('keeps header checksums valid (sum of the block with the field as spaces)', () => {
    const block = encodeTarHeader({ name: 'f', typeFlag: '0', mode: 0o644, uid: 1, gid: 2, size: 3, mtime: 4 });
    expect(block.length).toBe(512);
    const stored = parseInt(block.subarray(148, 154).toString('latin1'), 8);
    const copy = Buffer.from(block);
    copy.fill(0x20, 148, 156);
    expect(stored).toBe(copy.reduce((sum, byte) => sum + byte, 0));
  });
});
