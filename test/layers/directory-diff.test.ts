import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { diffDirectories } from '../../src/layers/directory-diff.js';
import { isRoot } from './overlay-fixture.js';

describe.skipIf(!isRoot)('diffDirectories', () => {
  const root = mkdtempSync(join(tmpdir(), 'layerlab-dirdiff-'));
  afterAll(() => rmSync(root, { recursive: true, force: true }));

  it('lists added, modified, metadata-only and deleted entries with parents', async () => {
    const before = join(root, 'before');
    const after = join(root, 'after');
    mkdirSync(before);
    execFileSync('sh', ['-euc', `
      mkdir -p app/lib etc old/deep
      echo a > app/main.js; echo l > app/lib/x.js; echo p > etc/passwd; echo o > old/deep/f
      echo same > same.txt; touch -d 2001-01-01 same.txt app app/lib etc old old/deep .
    `], { cwd: before });
    execFileSync('cp', ['-a', before, after]);
    execFileSync('sh', ['-euc', `
      echo b > app/main.js
      chmod 600 etc/passwd; touch -d 2001-01-01 etc
      rm -rf old
      echo n > app/lib/new.js; ln app/lib/new.js app/lib/new-link.js
      setfattr -n user.k -v v same.txt
      touch -d 2001-01-01 app/lib app .
    `], { cwd: after });
    const entries = await diffDirectories(before, after);
    expect(entries.map((e) => [e.kind, e.type, e.path, e.metadataOnly, e.linkTarget])).toEqual([
      ['modified', 'dir', 'app', undefined, undefined],
      ['modified', 'dir', 'app/lib', undefined, undefined],
      ['added', 'file', 'app/lib/new-link.js', undefined, undefined],
      ['added', 'hardlink', 'app/lib/new.js', undefined, 'app/lib/new-link.js'],
      ['modified', 'file', 'app/main.js', undefined, undefined],
      ['modified', 'dir', 'etc', undefined, undefined],
      ['modified', 'file', 'etc/passwd', ['mode'], undefined],
      ['deleted', 'dir', 'old', undefined, undefined],
      ['modified', 'file', 'same.txt', ['xattrs'], undefined],
    ]);
    expect(entries.find((e) => e.path === 'same.txt')!.xattrs).toEqual({ 'user.k': Buffer.from('v') });
  });

  it('finds nothing between a tree and its copy, and honours the ignore list', async () => {
    const a = join(root, 'a');
    mkdirSync(a);
    execFileSync('sh', ['-euc', 'mkdir -p x/y; echo 1 > x/y/z; ln -s x l; touch -d 2001-01-01 x/y x .'], { cwd: a });
    const b = join(root, 'b');
    execFileSync('cp', ['-a', a, b]);
    expect(await diffDirectories(a, b)).toEqual([]);
    execFileSync('sh', ['-euc', 'echo 2 > x/y/z; touch -d 2001-01-01 x/y x .'], { cwd: b });
    expect(await diffDirectories(a, b, { ignore: ['/x/y/z'] })).toEqual([]);
    expect((await diffDirectories(a, b)).map((e) => e.path)).toEqual(['x', 'x/y', 'x/y/z']);
  });
});
