import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { createReadStream, lstatSync, mkdirSync, readFileSync, readlinkSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readLayerTarEntries } from '../../src/layers/layer-tar-reader.js';
import { commitLayer, type CommittedLayer } from '../../src/layers/layer-tar-writer.js';
import { changesFromUpperDir } from '../../src/layers/upper-dir-changes.js';
import type { ChangeEntry } from '../../src/layers/types.js';
import { isRoot, makeOverlay, type OverlayFixture } from './overlay-fixture.js';
import { BOTTOM_LAYER, LONG_PATH_300, STEP, TOP_LAYER } from './step-scenario.js';

// Enough data to span many 1 MiB blocks, both incompressible and compressible,
// and a name that is not ASCII.
const EXTRA = `
  head -c 3500000 /dev/urandom > big.bin
  yes 'a compressible line of text' | head -c 2600000 > text.log
  echo utf > 'héllo wörld.txt'
  setfattr -n user.bin -v 0x00ff0a0d big.bin
`;

function sha256File(path: string): string {
  return `sha256:${createHash('sha256').update(readFileSync(path)).digest('hex')}`;
}

function getfattrDump(path: string): string {
  return execFileSync('getfattr', ['-h', '-d', '-m', '^user\\.', '-e', 'hex', '--absolute-names', path])
    .toString()
    .split('\n')
    .slice(1)
    .join('\n');
}

describe.skipIf(!isRoot)('commitLayer on a real overlay step', () => {
  let overlay: OverlayFixture;
  let entries: ChangeEntry[];
  let blobPath: string;
  let committed: CommittedLayer;

  beforeAll(async () => {
    overlay = makeOverlay([BOTTOM_LAYER, TOP_LAYER]);
    overlay.sh(STEP + EXTRA);
    entries = await changesFromUpperDir(overlay.upperDir, { lowerDirs: overlay.lowerDirs, ignore: ['etc/hosts'] });
    blobPath = join(overlay.root, 'layer.tar.gz');
    committed = await commitLayer(entries, overlay.upperDir, blobPath);
  });
  afterAll(() => overlay?.cleanup());

  it('writes a gzip that gzip -t accepts, with digests sha256sum agrees with', () => {
    execFileSync('gzip', ['-t', blobPath]);
    expect(committed.digest).toBe(sha256File(blobPath));
    const tar = execFileSync('gzip', ['-dc', blobPath], { maxBuffer: 1 << 30 });
    expect(committed.diffId).toBe(`sha256:${createHash('sha256').update(tar).digest('hex')}`);
    expect(committed.uncompressedSize).toBe(tar.length);
    expect(committed.size).toBe(lstatSync(blobPath).size);
    expect(committed.size).toBeLessThan(committed.uncompressedSize);
  });

  it('lists in GNU tar with OCI whiteouts, opaque markers and parents first', () => {
    const names = execFileSync('tar', ['-tzf', blobPath], { maxBuffer: 1 << 26 })
      .toString()
      .split('\n')
      .filter((line) => line !== '');
    expect(names).toContain('dir/.wh.gone');
    expect(names).toContain('.wh.rmdir');
    expect(names[names.indexOf('opq/') + 1]).toBe('opq/.wh..wh..opq');
    expect(names).toContain(`${LONG_PATH_300}/f`);
    expect(names).toContain('héllo wörld.txt');
    expect(names).not.toContain('etc/hosts');
    for (const [i, name] of names.entries()) {
      const trimmed = name.endsWith('/') ? name.slice(0, -1) : name;
      const slash = trimmed.lastIndexOf('/');
      if (slash > 0) expect(names.slice(0, i)).toContain(`${trimmed.slice(0, slash)}/`);
    }
    const verbose = execFileSync('tar', ['-tvzf', blobPath], { maxBuffer: 1 << 26 }).toString();
    expect(verbose).toMatch(/^hrw-r--r-- 0\/0 +0 .* link-src link to hl2$/m);
    expect(verbose).toMatch(/^-rwsr-xr-x 0\/0 +5 .* bin\/tool$/m);
    expect(verbose).toMatch(/^drwxrwxrwt 0\/0 .* sticky\/$/m);
    expect(verbose).toMatch(/^crw-r--r-- 0\/0 +1,3 .* nulldev$/m);
    expect(verbose).toMatch(/^prw-r--r-- 0\/0 .* fifo$/m);
    expect(verbose).toMatch(/^-rw-r--r-- 1000\/1001 .* chown.txt$/m);
  });

  it('extracts with GNU tar to the same files the upper dir holds', () => {
    const out = join(overlay.root, 'extracted');
    mkdirSync(out);
    execFileSync('tar', ['--xattrs', '--xattrs-include=*', '--numeric-owner', '-xpzf', blobPath, '-C', out]);
    for (const entry of entries) {
      if (entry.kind === 'deleted') {
        const slash = entry.path.lastIndexOf('/');
        const whiteout = `${entry.path.slice(0, slash + 1)}.wh.${entry.path.slice(slash + 1)}`;
        expect(lstatSync(join(out, whiteout)).size).toBe(0);
        continue;
      }
      const source = join(overlay.upperDir, entry.path);
      const copy = join(out, entry.path);
      const a = lstatSync(source);
      const b = lstatSync(copy);
      expect({ path: entry.path, mode: b.mode, uid: b.uid, gid: b.gid, rdev: b.rdev }).toEqual({
        path: entry.path,
        mode: a.mode,
        uid: a.uid,
        gid: a.gid,
        rdev: a.rdev,
      });
      if (!a.isDirectory()) expect(Math.floor(b.mtimeMs / 1000)).toBe(Math.floor(a.mtimeMs / 1000));
      if (a.isFile()) expect(readFileSync(copy).equals(readFileSync(source))).toBe(true);
      if (a.isSymbolicLink()) expect(readlinkSync(copy)).toBe(readlinkSync(source));
      if (entry.type === 'hardlink') expect(b.ino).toBe(lstatSync(join(out, entry.linkTarget!)).ino);
      if (entry.xattrs) expect(getfattrDump(copy)).toBe(getfattrDump(source));
      if (entry.opaque) expect(lstatSync(join(copy, '.wh..wh..opq')).isFile()).toBe(true);
    }
    expect(getfattrDump(join(out, 'big.bin'))).toContain('user.bin=0x00ff0a0d');
  });

  it('gives the same diff_id for the same change list (reproducible tar)', async () => {
    const again = await commitLayer(entries, overlay.upperDir, join(overlay.root, 'again.tar.gz'));
    expect(again.diffId).toBe(committed.diffId);
  });

  it('writes an uncompressed tar with shifted ids mapped back', async () => {
    const plainPath = join(overlay.root, 'layer.tar');
    const shifted = entries.map((e) => ({ ...e, uid: e.uid + 100000, gid: e.gid + 100000 }));
    const plain = await commitLayer(shifted, overlay.upperDir, plainPath, {
      compression: 'none',
      mapUid: (id) => id - 100000,
      mapGid: (id) => id - 100000,
    });
    expect(plain.digest).toBe(plain.diffId);
    expect(plain.digest).toBe(sha256File(plainPath));
    expect(plain.diffId).toBe(committed.diffId);
    expect(execFileSync('tar', ['-tvf', plainPath]).toString()).toMatch(/1000\/1001 .* chown.txt/);
  });

  it('reads its own layer back: the same entries, whiteouts and opaque dirs', async () => {
    const read = await readLayerTarEntries(createReadStream(blobPath), blobPath);
    const shape = (e: ChangeEntry) => ({
      path: e.path,
      deleted: e.kind === 'deleted',
      type: e.kind === 'deleted' ? undefined : e.type,
      size: e.kind === 'deleted' ? 0 : e.size,
      mode: e.kind === 'deleted' ? 0 : e.mode,
      uid: e.kind === 'deleted' ? 0 : e.uid,
      gid: e.kind === 'deleted' ? 0 : e.gid,
      mtime: Math.floor(e.mtime / 1000),
      linkTarget: e.kind === 'deleted' ? undefined : e.linkTarget,
      opaque: e.opaque ?? false,
      xattrs: Object.keys(e.xattrs ?? {}),
    });
    const sorted = (list: ChangeEntry[]) => list.map(shape).sort((a, b) => (a.path < b.path ? -1 : 1));
    expect(sorted(read)).toEqual(sorted(entries.filter((e) => e.type !== 'socket')));
    expect(read.filter((e) => e.kind === 'added').length).toBe(entries.filter((e) => e.kind !== 'deleted').length);
  });

  it('reads an uncompressed tar written by GNU tar with long names', async () => {
    const tarPath = join(overlay.root, 'gnu.tar');
    execFileSync('tar', ['--format=gnu', '-cf', tarPath, '-C', overlay.upperDir, 'p'.repeat(100)]);
    const read = await readLayerTarEntries(createReadStream(tarPath), tarPath);
    expect(read.map((e) => e.path)).toContain(`${LONG_PATH_300}/f`);
  });

  it('rejects a file that is not a tar with a user error naming it', async () => {
    const junk = join(overlay.root, 'junk.bin');
    await expect(readLayerTarEntries(createReadStream('/etc/os-release'), junk)).rejects.toMatchObject({
      isUserError: true,
      message: expect.stringContaining(junk),
    });
  });
});
