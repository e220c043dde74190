/**
 * ADD of a local tar archive: detected by content (plain, gzip, bzip2, xz,
 * zstd), extracted with the archive's owners, modes and links; --unpack=false
 * and COPY keep it a file; entries that would land outside are refused.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, lstatSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { ArchiveError, copyFiles, type CopyRequest } from '../../../src/engine/copy/index.js';
import { contextAndRootfsPerTest, makeTree, readTree, shape, tarOf, type TarEntry } from './tree-fixture.js';

const PACKAGE: TarEntry[] = [
  { name: 'pkg/', type: 'directory', mode: 0o750, uid: 1000, gid: 1000 },
  { name: 'pkg/bin/tool', type: 'file', mode: 0o4755, uid: 1000, gid: 1000, body: 'tool' },
  { name: 'pkg/link', type: 'symlink', linkname: 'bin/tool' },
  // A hardlink entry carries its file's metadata, as tar writes it.
  { name: 'pkg/hard', type: 'link', linkname: 'pkg/bin/tool', mode: 0o4755, uid: 1000, gid: 1000 },
  { name: './top.txt', type: 'file', mode: 0o600, body: 'top' },
];

const { context, rootfs } = contextAndRootfsPerTest();

function add(request: Partial<CopyRequest> & Pick<CopyRequest, 'sources' | 'dest'>) {
  return copyFiles({ source: { kind: 'context', root: context.path }, workdir: '/', destRoot: rootfs.path, isAdd: true, ...request });
}

function expectPackageAt(dir: string): void {
  const tree = readTree(rootfs.path);
  expect(tree[`${dir}/pkg`]).toMatchObject({ type: 'dir', mode: '0750', owner: '1000:1000' });
  // Implied parent directories (pkg/bin has no entry) are 0755 root.
  expect(tree[`${dir}/pkg/bin`]).toMatchObject({ type: 'dir', mode: '0755', owner: '0:0' });
  expect(tree[`${dir}/pkg/bin/tool`]).toMatchObject({ content: 'tool', mode: '4755', owner: '1000:1000' });
  expect(tree[`${dir}/pkg/link`]).toMatchObject({ type: 'symlink', target: 'bin/tool' });
  expect(statSync(join(rootfs.path, dir, 'pkg/hard')).ino).toBe(statSync(join(rootfs.path, dir, 'pkg/bin/tool')).ino);
  expect(tree[`${dir}/top.txt`]).toMatchObject({ content: 'top', mode: '0600' });
  expect(lstatSync(join(rootfs.path, dir, 'pkg/bin/tool')).mtimeMs).toBe(1_500_000_000_000);
}

describe('ADD of a local archive', () => {
  it('extracts a plain tar whatever its name', async () => {
    writeFileSync(join(context.path, 'package.data'), await tarOf(PACKAGE));
    const result = await add({ sources: ['package.data'], dest: '/opt' });
    expectPackageAt('opt');
    expect(result.copied).toContainEqual({ from: 'package.data:pkg/bin/tool', to: '/opt/pkg/bin/tool' });
  });

  it('extracts gzip, bzip2, xz and zstd archives, detected by content', async () => {
    const tar = await tarOf(PACKAGE);
    writeFileSync(join(context.path, 'a.bin'), gzipSync(tar));
    writeFileSync(join(context.path, 'b.bin'), execFileSync('bzip2', ['-c'], { input: tar }));
    writeFileSync(join(context.path, 'c.bin'), execFileSync('xz', ['-c'], { input: tar }));
    writeFileSync(join(context.path, 'd.bin'), execFileSync('zstd', ['-c', '-q'], { input: tar }));
    for (const [name, dir] of [['a.bin', 'gz'], ['b.bin', 'bz2'], ['c.bin', 'xz'], ['d.bin', 'zst']] as const) {
      await add({ sources: [name], dest: `/${dir}/` });
      expectPackageAt(dir);
    }
  });

  it('applies --chown to every extracted entry; --chmod does not apply', async () => {
    writeFileSync(join(context.path, 'p.tgz'), gzipSync(await tarOf(PACKAGE)));
    await add({ sources: ['p.tgz'], dest: '/o', chown: { uid: 7, gid: 8 }, chmod: '700' });
    const tree = readTree(rootfs.path);
    expect(tree['o']!.owner).toBe('7:8');
    expect(tree['o/pkg/bin/tool']).toMatchObject({ owner: '7:8', mode: '4755' });
  });

  it('keeps the file as it is with --unpack=false, with COPY, and when it is not a tar', async () => {
    const tgz = gzipSync(await tarOf(PACKAGE));
    writeFileSync(join(context.path, 'p.tgz'), tgz);
    writeFileSync(join(context.path, 'notes.gz'), gzipSync(Buffer.from('just text, not a tar')));
    makeTree(context.path, { 'fake.tar': 'not a tar at all' });
    await add({ sources: ['p.tgz'], dest: '/kept/', addOptions: { unpack: false } });
    await copyFiles({ source: { kind: 'context', root: context.path }, sources: ['p.tgz'], dest: '/copied/', workdir: '/', destRoot: rootfs.path });
    await add({ sources: ['notes.gz', 'fake.tar'], dest: '/plain/' });
    expect(Object.keys(shape(readTree(rootfs.path))).sort()).toEqual(
      ['copied', 'copied/p.tgz', 'kept', 'kept/p.tgz', 'plain', 'plain/fake.tar', 'plain/notes.gz'].sort(),
    );
  });

  it('refuses an entry that climbs out of the destination', async () => {
    writeFileSync(join(context.path, 'evil.tar'), await tarOf([{ name: '../../escaped.txt', type: 'file', body: 'x' }]));
    await expect(add({ sources: ['evil.tar'], dest: '/opt/' })).rejects.toThrow(ArchiveError);
    await expect(add({ sources: ['evil.tar'], dest: '/opt/' })).rejects.toThrow(/outside the extraction root/);
    expect(existsSync(join(rootfs.path, 'escaped.txt'))).toBe(false);
  });

  it('keeps later entries inside the destination even through the archive\'s own symlinks', async () => {
    const tar = await tarOf([
      { name: 'evil', type: 'symlink', linkname: '/etc' },
      { name: 'evil/pwned', type: 'file', body: 'x' },
      { name: 'up', type: 'symlink', linkname: '../../../..' },
      { name: 'up/also', type: 'file', body: 'y' },
    ]);
    writeFileSync(join(context.path, 'links.tar'), tar);
    await add({ sources: ['links.tar'], dest: '/opt/' });
    expect(existsSync('/etc/pwned')).toBe(false);
    const tree = shape(readTree(rootfs.path));
    expect(tree['opt/etc/pwned']).toBe('x');
    expect(tree['opt/also']).toBe('y');
  });
});
