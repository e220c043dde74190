import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { lstat, mkdir, mkdtemp, readFile, readdir, readlink, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { applyLayer, type ApplyLayerOptions } from '../../src/image/layer-apply.js';
import { UnsupportedLayerCompressionError } from '../../src/image/layer-compression.js';
import { buildTar, type TarEntrySpec } from './tar-builder.js';

let base: string;
beforeEach(async () => {
  base = await mkdtemp(join(tmpdir(), 'layerlab-apply-'));
});
afterEach(async () => {
  await rm(base, { recursive: true, force: true });
});

async function* once(data: Buffer): AsyncGenerator<Buffer> {
  yield data;
}

async function applyEntries(target: string, entries: TarEntrySpec[], options: Partial<ApplyLayerOptions> = {}) {
  return applyLayer(once(await buildTar(entries)), target, { whiteouts: 'delete', ...options });
}

function getfattr(path: string): string {
  return execFileSync('getfattr', ['-h', '-d', '-m', '-', '-e', 'hex', path], { encoding: 'utf8' });
}

describe('applyLayer', () => {
  it('extracts files, dirs, symlinks and hard links with mode, owner and mtime', async () => {
    const target = join(base, 't');
    const mtime = new Date('2021-05-06T07:08:09Z');
    await applyEntries(target, [
      { name: 'bin/', type: 'directory', mode: 0o555, mtime },
      { name: 'bin/tool', content: '#!/bin/sh\n', mode: 0o4755, uid: 1000, gid: 50, mtime },
      { name: 'bin/again', type: 'link', linkname: 'bin/tool' },
      { name: 'lib', type: 'symlink', linkname: 'usr/lib', mtime },
      { name: 'abs', type: 'symlink', linkname: '/etc/passwd' },
    ]);
    const tool = await stat(join(target, 'bin/tool'));
    expect(tool.mode & 0o7777).toBe(0o4755);
    expect([tool.uid, tool.gid]).toEqual([1000, 50]);
    expect(tool.mtime.toISOString()).toBe(mtime.toISOString());
    expect(tool.nlink).toBe(2);
    expect((await stat(join(target, 'bin/again'))).ino).toBe(tool.ino);
    const bin = await stat(join(target, 'bin'));
    expect(bin.mode & 0o7777).toBe(0o555);
    expect(bin.mtime.toISOString()).toBe(mtime.toISOString());
    expect(await readlink(join(target, 'lib'))).toBe('usr/lib');
    expect((await lstat(join(target, 'lib'))).mtime.toISOString()).toBe(mtime.toISOString());
    expect(await readlink(join(target, 'abs'))).toBe('/etc/passwd');
  });

  it('creates device nodes and fifos as root', async () => {
    const target = join(base, 't');
    await applyEntries(target, [
      { name: 'dev/null', type: 'character-device', devmajor: 1, devminor: 3, mode: 0o666 },
      { name: 'dev/loop0', type: 'block-device', devmajor: 7, devminor: 0, mode: 0o660, gid: 6 },
      { name: 'run/pipe', type: 'fifo', mode: 0o620 },
    ]);
    const nul = await stat(join(target, 'dev/null'));
    expect(nul.isCharacterDevice()).toBe(true);
    expect(nul.rdev).toBe((1 << 8) | 3);
    expect(nul.mode & 0o777).toBe(0o666);
    const loop = await stat(join(target, 'dev/loop0'));
    expect(loop.isBlockDevice()).toBe(true);
    expect(loop.gid).toBe(6);
    const fifo = await stat(join(target, 'run/pipe'));
    expect(fifo.isFIFO()).toBe(true);
    expect(fifo.mode & 0o777).toBe(0o620);
  });

  it('keeps PAX long names and long link targets', async () => {
    const target = join(base, 't');
    const longDir = Array.from({ length: 12 }, (_, i) => `directory-${i}`).join('/');
    const longName = `${longDir}/${'f'.repeat(120)}`;
    const longLink = `/${'x'.repeat(150)}/target`;
    await applyEntries(target, [
      { name: longName, content: 'deep\n' },
      { name: 'linky', type: 'symlink', linkname: longLink },
    ]);
    expect(longName.length).toBeGreaterThan(255);
    expect(await readFile(join(target, longName), 'utf8')).toBe('deep\n');
    expect(await readlink(join(target, 'linky'))).toBe(longLink);
  });

  it('restores xattrs from a GNU tar --xattrs archive, binary values intact', async () => {
    const src = join(base, 'src');
    await mkdir(join(src, 'd'), { recursive: true });
    await writeFile(join(src, 'd/f'), 'hi\n');
    execFileSync('setfattr', ['-n', 'user.bin', '-v', '0xff00fe80', join(src, 'd/f')]);
    execFileSync('setfattr', ['-n', 'security.capability', '-v', '0x0100000200200000000000000000000000000000', join(src, 'd/f')]);
    const tarPath = join(base, 'x.tar');
    execFileSync('tar', ['--xattrs', '--xattrs-include=*', '-C', src, '-cf', tarPath, 'd']);
    const target = join(base, 't');
    await applyLayer(once(await readFile(tarPath)), target, { whiteouts: 'delete' });
    const dump = getfattr(join(target, 'd/f'));
    expect(dump).toContain('user.bin=0xff00fe80');
    expect(dump).toContain('security.capability=0x0100000200200000000000000000000000000000');
  });

  it('hashes the blob and the uncompressed tar (diff_id), sniffing gzip from the bytes', async () => {
    const tar = await buildTar([{ name: 'a', content: 'a' }]);
    const gz = gzipSync(tar);
    const sha = (b: Buffer) => `sha256:${createHash('sha256').update(b).digest('hex')}`;
    const result = await applyLayer(once(gz), join(base, 't'), { whiteouts: 'delete', mediaType: 'application/vnd.oci.image.layer.v1.tar' });
    expect(result).toMatchObject({ diffId: sha(tar), compressedDigest: sha(gz), compression: 'gzip', uncompressedSize: tar.length, compressedSize: gz.length });
    const plain = await applyLayer(once(tar), join(base, 't2'), { whiteouts: 'delete' });
    expect(plain).toMatchObject({ diffId: sha(tar), compressedDigest: sha(tar), compression: 'none' });
  });

  it('refuses zstd layers with a clear error', async () => {
    const zstdFrame = Buffer.from([0x28, 0xb5, 0x2f, 0xfd, 0, 0, 0, 0]);
    await expect(applyLayer(once(zstdFrame), join(base, 't'), { whiteouts: 'delete', description: 'layer sha256:abc' })).rejects.toBeInstanceOf(
      UnsupportedLayerCompressionError,
    );
  });

  it('maps owners through mapIds (rootless stores hold shifted ids)', async () => {
    const target = join(base, 't');
    await applyEntries(target, [{ name: 'f', content: 'x', uid: 1000, gid: 1000 }], {
      mapIds: (uid, gid) => ({ uid: uid + 100000, gid: gid + 100000 }),
    });
    const info = await stat(join(target, 'f'));
    expect([info.uid, info.gid]).toEqual([101000, 101000]);
  });

  it('rejects a truncated tar', async () => {
    const tar = await buildTar([{ name: 'big', content: Buffer.alloc(10_000, 1) }]);
    await expect(applyLayer(once(tar.subarray(0, 3000)), join(base, 't'), { whiteouts: 'delete' })).rejects.toThrow();
  });
});

describe('whiteouts, flat rootfs (delete mode)', () => {
  it('a whiteout deletes lower content, an opaque dir empties it, but this layer\'s own files stay', async () => {
    const root = join(base, 'rootfs');
    await applyEntries(root, [
      { name: 'etc/keep', content: 'k' },
      { name: 'etc/old', content: 'o' },
      { name: 'var/cache/a', content: 'a' },
      { name: 'var/cache/sub/b', content: 'b' },
      { name: 'same', content: 'lower' },
    ]);
    await applyEntries(root, [
      { name: 'etc/.wh.old', content: '' },
      { name: 'var/cache/new', content: 'n' },
      { name: 'var/cache/.wh..wh..opq', content: '' },
      { name: 'same', content: 'upper' },
      { name: '.wh.same', content: '' },
      { name: 'nothing/.wh.here', content: '' },
    ]);
    expect((await readdir(join(root, 'etc'))).sort()).toEqual(['keep']);
    expect(await readdir(join(root, 'var/cache'))).toEqual(['new']);
    expect(await readFile(join(root, 'same'), 'utf8')).toBe('upper');
    await expect(stat(join(root, 'nothing'))).rejects.toThrow(/ENOENT/);
  });
});

describe('whiteouts, overlay lower dirs (overlay mode)', () => {
  it('become 0/0 char devices and trusted.overlay.opaque, and overlayfs stacks them into the right view', async () => {
    const lower = join(base, 'l1');
    const upper = join(base, 'l2');
    await applyEntries(lower, [
      { name: 'etc/keep', content: 'k' },
      { name: 'etc/old', content: 'o' },
      { name: 'var/cache/a', content: 'a' },
    ], { whiteouts: 'overlay' });
    await applyEntries(upper, [
      { name: 'etc/.wh.old', content: '' },
      { name: 'var/cache/.wh..wh..opq', content: '' },
      { name: 'var/cache/new', content: 'n' },
    ], { whiteouts: 'overlay' });
    const whiteout = await stat(join(upper, 'etc/old'));
    expect(whiteout.isCharacterDevice()).toBe(true);
    expect(whiteout.rdev).toBe(0);
    expect(getfattr(join(upper, 'var/cache'))).toContain('trusted.overlay.opaque=0x79');

    const merged = join(base, 'merged');
    await mkdir(merged);
    execFileSync('mount', ['-t', 'overlay', 'overlay', '-o', `lowerdir=${upper}:${lower}`, merged]);
    try {
      expect((await readdir(join(merged, 'etc'))).sort()).toEqual(['keep']);
      expect(await readdir(join(merged, 'var/cache'))).toEqual(['new']);
    } finally {
      execFileSync('umount', [merged]);
    }
  });

  it('uses user.overlay.opaque when asked (overlay mounted with userxattr)', async () => {
    const dir = join(base, 'l');
    await applyEntries(dir, [{ name: 'd/.wh..wh..opq', content: '' }], { whiteouts: 'overlay', overlayXattrNamespace: 'user' });
    expect(getfattr(join(dir, 'd'))).toContain('user.overlay.opaque=0x79');
  });
});
