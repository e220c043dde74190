/**
 * Regression tests for layer entries that try to write outside the target
 * directory, one case per attack, named after it. Every case runs with a
 * sentinel directory beside the target and checks the sentinel is untouched.
 */
import { mkdtemp, mkdir, readFile, readdir, rm, stat, writeFile, lstat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  applyLayer,
  HardlinkEscapeError,
  LayerFormatError,
  LayerPathTraversalError,
  SymlinkEscapeError,
  type WhiteoutMode,
} from '../../src/image/layer-apply.js';
import { SymlinkLoopError } from '../../src/image/safe-path.js';
import { buildTar, type TarEntrySpec } from './tar-builder.js';

let base: string;
let target: string;
let sentinel: string;

beforeEach(async () => {
  base = await mkdtemp(join(tmpdir(), 'layerlab-attack-'));
  target = join(base, 'target');
  sentinel = join(base, 'sentinel');
  await mkdir(target);
  await mkdir(sentinel);
  await writeFile(join(sentinel, 'file'), 'original\n');
});

afterEach(async () => {
  await expectSentinelUntouched();
  await rm(base, { recursive: true, force: true });
});

async function expectSentinelUntouched(): Promise<void> {
  expect((await readdir(base)).sort()).toEqual(['sentinel', 'target']);
  expect(await readdir(sentinel)).toEqual(['file']);
  expect(await readFile(join(sentinel, 'file'), 'utf8')).toBe('original\n');
}

async function apply(entries: TarEntrySpec[], whiteouts: WhiteoutMode = 'delete') {
  return applyLayer(
    (async function* () {
      yield await buildTar(entries);
    })(),
    target,
    { whiteouts },
  );
}

describe('layer apply refuses writes outside the target', () => {
  it('dotdot-traversal: "../sentinel/pwned" is refused', async () => {
    await expect(apply([{ name: '../sentinel/pwned', content: 'x' }])).rejects.toBeInstanceOf(LayerPathTraversalError);
  });

  it('dotdot-traversal-nested: "a/b/../../../sentinel/pwned" is refused', async () => {
    await expect(apply([{ name: 'a/b/../../../sentinel/pwned', content: 'x' }])).rejects.toBeInstanceOf(LayerPathTraversalError);
  });

  it('dotdot-traversal-in-pax-path: a PAX path with ".." overrides an innocent ustar name and is refused', async () => {
    await expect(apply([{ name: 'innocent', content: 'x', pax: { path: '../sentinel/pwned' } }])).rejects.toBeInstanceOf(LayerPathTraversalError);
  });

  it('absolute-path: "/<sentinel>/file" is stripped to a path inside the target', async () => {
    await apply([{ name: `${sentinel}/file`, content: 'pwned\n' }]);
    expect(await readFile(join(target, sentinel, 'file'), 'utf8')).toBe('pwned\n');
  });

  it('symlink-escape-relative: a file written through "link -> ../sentinel" is refused', async () => {
    const attempt = apply([
      { name: 'link', type: 'symlink', linkname: '../sentinel' },
      { name: 'link/pwned', content: 'x' },
    ]);
    await expect(attempt).rejects.toBeInstanceOf(SymlinkEscapeError);
  });

  it('symlink-escape-deep-relative: "a/b/up -> ../../../sentinel" then "a/b/up/file" is refused', async () => {
    const attempt = apply([
      { name: 'a/b/', type: 'directory' },
      { name: 'a/b/up', type: 'symlink', linkname: '../../../sentinel' },
      { name: 'a/b/up/file', content: 'x' },
    ]);
    await expect(attempt).rejects.toBeInstanceOf(SymlinkEscapeError);
  });

  it('symlink-escape-chain: a chain of links ending outside is refused', async () => {
    const attempt = apply([
      { name: 'one', type: 'symlink', linkname: 'two' },
      { name: 'two', type: 'symlink', linkname: 'three/..' },
      { name: 'three', type: 'symlink', linkname: '../sentinel' },
      { name: 'one/file', content: 'x' },
    ]);
    await expect(attempt).rejects.toBeInstanceOf(SymlinkEscapeError);
  });

  it('symlink-escape-absolute: "link -> /<sentinel>" resolves inside the target, as in the container', async () => {
    await apply([
      { name: 'link', type: 'symlink', linkname: sentinel },
      { name: 'link/file', content: 'pwned\n' },
    ]);
    expect(await readFile(join(target, sentinel, 'file'), 'utf8')).toBe('pwned\n');
  });

  it('symlink-then-file-same-name: a file entry replaces a symlink to the outside instead of writing through it', async () => {
    await apply([
      { name: 'evil', type: 'symlink', linkname: '../sentinel/file' },
      { name: 'evil', content: 'pwned\n' },
    ]);
    expect((await lstat(join(target, 'evil'))).isFile()).toBe(true);
  });

  it('symlink-then-directory-same-name: a directory entry replaces a symlink to the outside', async () => {
    await apply([
      { name: 'evil', type: 'symlink', linkname: '../sentinel' },
      { name: 'evil/', type: 'directory' },
      { name: 'evil/file', content: 'pwned\n' },
    ]);
    expect((await lstat(join(target, 'evil'))).isDirectory()).toBe(true);
  });

  it('symlink-loop: "a -> b, b -> a" then "a/x" is refused', async () => {
    const attempt = apply([
      { name: 'a', type: 'symlink', linkname: 'b' },
      { name: 'b', type: 'symlink', linkname: 'a' },
      { name: 'a/x', content: 'x' },
    ]);
    await expect(attempt).rejects.toBeInstanceOf(SymlinkLoopError);
  });

  it('hardlink-escape-dotdot: a hard link to "../sentinel/file" is refused', async () => {
    await expect(apply([{ name: 'h', type: 'link', linkname: '../sentinel/file' }])).rejects.toBeInstanceOf(HardlinkEscapeError);
  });

  it('hardlink-escape-via-symlink: a hard link to "s/file" where "s -> ../sentinel" is refused', async () => {
    const attempt = apply([
      { name: 's', type: 'symlink', linkname: '../sentinel' },
      { name: 'h', type: 'link', linkname: 's/file' },
    ]);
    await expect(attempt).rejects.toBeInstanceOf(HardlinkEscapeError);
  });

  it('hardlink-escape-absolute: a hard link to "/<sentinel>/file" looks inside the target and finds nothing', async () => {
    await expect(apply([{ name: 'h', type: 'link', linkname: `${sentinel}/file` }])).rejects.toBeInstanceOf(LayerFormatError);
  });

  it('hardlink-then-write: a file entry at a hard link\'s name replaces the link, not the shared inode', async () => {
    await apply([
      { name: 'orig', content: 'orig\n' },
      { name: 'h', type: 'link', linkname: 'orig' },
      { name: 'h', content: 'new\n' },
    ]);
    expect(await readFile(join(target, 'orig'), 'utf8')).toBe('orig\n');
    expect(await readFile(join(target, 'h'), 'utf8')).toBe('new\n');
  });

  it('whiteout-escape-via-symlink: "s/.wh.file" where "s -> ../sentinel" deletes nothing outside', async () => {
    const attempt = apply([
      { name: 's', type: 'symlink', linkname: '../sentinel' },
      { name: 's/.wh.file', content: '' },
    ]);
    await expect(attempt).rejects.toBeInstanceOf(SymlinkEscapeError);
  });

  it('opaque-escape-via-symlink: "s/.wh..wh..opq" where "s -> ../sentinel" empties nothing outside', async () => {
    const attempt = apply([
      { name: 's', type: 'symlink', linkname: '../sentinel' },
      { name: 's/.wh..wh..opq', content: '' },
    ]);
    await expect(attempt).rejects.toBeInstanceOf(SymlinkEscapeError);
  });

  it('whiteout-dotdot-name: ".wh..." (whiting out "..") is refused', async () => {
    await expect(apply([{ name: 'dir/.wh...', content: '' }])).rejects.toBeInstanceOf(LayerPathTraversalError);
  });

  it('whiteout-escape-in-overlay-mode: "s/.wh.file" through an escaping link makes no device outside', async () => {
    const attempt = apply(
      [
        { name: 's', type: 'symlink', linkname: '../sentinel' },
        { name: 's/.wh.pwned', content: '' },
      ],
      'overlay',
    );
    await expect(attempt).rejects.toBeInstanceOf(SymlinkEscapeError);
  });

  it('device-node-as-non-root: device nodes are skipped with a warning when not privileged', async () => {
    const result = await applyLayer(
      (async function* () {
        yield await buildTar([{ name: 'dev/sda', type: 'block-device', devmajor: 8, devminor: 0, mode: 0o660 }]);
      })(),
      target,
      { whiteouts: 'delete', privileged: false },
    );
    expect(result.warnings.map((w) => w.code)).toEqual(['device-skipped']);
    await expect(stat(join(target, 'dev/sda'))).rejects.toThrow(/ENOENT/);
  });
});

describe('malicious layer corpus', () => {
  const corpus: Array<{ name: string; entries: TarEntrySpec[] }> = [
    { name: 'dotdot', entries: [{ name: '../sentinel/file', content: 'pwned' }] },
    { name: 'dotdot-dir', entries: [{ name: '../sentinel/', type: 'directory', mode: 0o777 }] },
    { name: 'dotdot-symlink-name', entries: [{ name: '../sentinel/l', type: 'symlink', linkname: '/' }] },
    { name: 'symlink-rel', entries: [{ name: 'l', type: 'symlink', linkname: '../sentinel' }, { name: 'l/file', content: 'pwned' }] },
    { name: 'symlink-rel-dir', entries: [{ name: 'l', type: 'symlink', linkname: '..' }, { name: 'l/sentinel/file', content: 'pwned' }] },
    { name: 'symlink-dot-dot-slash', entries: [{ name: 'l', type: 'symlink', linkname: './../sentinel' }, { name: 'l/new', content: 'pwned' }] },
    { name: 'symlink-abs', entries: [{ name: 'l', type: 'symlink', linkname: sentinelPlaceholder() }, { name: 'l/file', content: 'pwned' }] },
    { name: 'hardlink-rel', entries: [{ name: 'h', type: 'link', linkname: '../sentinel/file' }, { name: 'h', content: 'pwned' }] },
    { name: 'hardlink-via-symlink', entries: [{ name: 's', type: 'symlink', linkname: '..' }, { name: 'h', type: 'link', linkname: 's/sentinel/file' }] },
    { name: 'whiteout-rel', entries: [{ name: 's', type: 'symlink', linkname: '../sentinel' }, { name: 's/.wh.file', content: '' }] },
    { name: 'opaque-rel', entries: [{ name: 's', type: 'symlink', linkname: '../sentinel' }, { name: 's/.wh..wh..opq', content: '' }] },
    { name: 'fifo-through-symlink', entries: [{ name: 's', type: 'symlink', linkname: '../sentinel' }, { name: 's/fifo', type: 'fifo' }] },
    { name: 'device-through-symlink', entries: [{ name: 's', type: 'symlink', linkname: '../sentinel' }, { name: 's/null', type: 'character-device', devmajor: 1, devminor: 3 }] },
    { name: 'pax-linkpath', entries: [{ name: 'h', type: 'link', linkname: 'x', pax: { linkpath: '../sentinel/file' } }] },
  ];

  function sentinelPlaceholder(): string {
    return '/SENTINEL';
  }

  for (const mode of ['delete', 'overlay'] as const) {
    for (const sample of corpus) {
      it(`${sample.name} (${mode} mode) writes nothing outside the target`, async () => {
        const entries = sample.entries.map((e) => ({ ...e, linkname: e.linkname === '/SENTINEL' ? sentinel : e.linkname }));
        await apply(entries, mode).catch((err: Error) => {
          expect(err).toHaveProperty('isUserError', true);
        });
      });
    }
  }
});
