/**
 * COPY's file rules against real directories (run as root so owners can be
 * checked): destination shapes, globs, directory contents, symlinks,
 * hardlinks, owners, modes, mtimes and the errors that name their source.
 */
import { lchownSync, lstatSync, mkdirSync, statSync, symlinkSync, linkSync, utimesSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeEach, describe, expect, it } from 'vitest';
import {
  copyFiles,
  CopyOptionError,
  DestinationError,
  SourceNotFoundError,
  SourceOutsideContextError,
  type CopyRequest,
} from '../../../src/engine/copy/index.js';
import { contextAndRootfsPerTest, makeTree, readTree, shape, tempDir } from './tree-fixture.js';

const { context, rootfs } = contextAndRootfsPerTest();

function copy(request: Partial<CopyRequest> & Pick<CopyRequest, 'sources' | 'dest'>) {
  return copyFiles({
    source: { kind: 'context', root: context.path },
    workdir: '/',
    destRoot: rootfs.path,
    ...request,
  });
}

describe('destination rules', () => {
  beforeEach(() => makeTree(context.path, { 'a.txt': 'A', 'b.txt': 'B' }));

  it('writes a single file to a destination without a slash as that file, creating parents 0755 root', async () => {
    const result = await copy({ sources: ['a.txt'], dest: '/x/y' });
    const tree = readTree(rootfs.path);
    expect(shape(tree)).toEqual({ x: 'dir', 'x/y': 'A' });
    expect(tree['x']).toMatchObject({ mode: '0755', owner: '0:0' });
    expect(result.copied).toEqual([{ from: 'a.txt', to: '/x/y' }]);
  });

  it('treats a trailing slash as a directory', async () => {
    await copy({ sources: ['a.txt'], dest: '/x/' });
    expect(shape(readTree(rootfs.path))).toEqual({ x: 'dir', 'x/a.txt': 'A' });
  });

  it('puts a file into an existing directory named without a slash', async () => {
    makeTree(rootfs.path, { x: { dir: true, mode: 0o700 } });
    await copy({ sources: ['a.txt'], dest: '/x' });
    const tree = readTree(rootfs.path);
    expect(shape(tree)).toEqual({ x: 'dir', 'x/a.txt': 'A' });
    expect(tree['x']!.mode).toBe('0700');
  });

  it('resolves relative destinations against the workdir', async () => {
    await copy({ sources: ['a.txt'], dest: '.', workdir: '/app' });
    await copy({ sources: ['a.txt'], dest: 'sub/', workdir: '/app' });
    await copy({ sources: ['b.txt'], dest: 'named', workdir: '/app' });
    expect(shape(readTree(rootfs.path))).toEqual({
      app: 'dir',
      'app/a.txt': 'A',
      'app/named': 'B',
      'app/sub': 'dir',
      'app/sub/a.txt': 'A',
    });
  });

  it('refuses several sources into a destination without a slash', async () => {
    await expect(copy({ sources: ['a.txt', 'b.txt'], dest: '/x' })).rejects.toThrow(CopyOptionError);
    await expect(copy({ sources: ['a.txt', 'b.txt'], dest: '/x' })).rejects.toThrow(/must be a directory and end with a \//);
    await copy({ sources: ['a.txt', 'b.txt'], dest: '/x/' });
    expect(shape(readTree(rootfs.path))).toEqual({ x: 'dir', 'x/a.txt': 'A', 'x/b.txt': 'B' });
  });

  it('replaces an existing file, and a symlink in the file\'s place without following it', async () => {
    makeTree(rootfs.path, { 'etc/keep': 'keep', 'x/a.txt': 'old', 'x/b.txt': { symlink: '/etc/keep' } });
    await copy({ sources: ['a.txt', 'b.txt'], dest: '/x/' });
    expect(shape(readTree(rootfs.path))).toMatchObject({ 'etc/keep': 'keep', 'x/a.txt': 'A', 'x/b.txt': 'B' });
  });

  it('will not put a file where a directory is, nor a directory where a file is', async () => {
    makeTree(rootfs.path, { 'x/a.txt/inner': 'i', 'file': 'f' });
    makeTree(context.path, { 'd/one': '1' });
    await expect(copy({ sources: ['a.txt'], dest: '/x/' })).rejects.toThrow(DestinationError);
    await expect(copy({ sources: ['a.txt'], dest: '/x/' })).rejects.toThrow(/cannot replace directory \/x\/a\.txt with a file/);
    await expect(copy({ sources: ['d'], dest: '/file' })).rejects.toThrow(/cannot copy to non-directory: \/file/);
    await expect(copy({ sources: ['a.txt'], dest: '/file/' })).rejects.toThrow(/\/file exists and is not a directory/);
  });
});

describe('directory sources', () => {
  it('copies the contents, not the directory; the new destination is 0755 root; nested modes are kept', async () => {
    makeTree(context.path, { 'dir/a': 'a', 'dir/sub/b': 'b' });
    makeTree(context.path, { dir: { dir: true, mode: 0o700 }, 'dir/sub': { dir: true, mode: 0o750 } });
    await copy({ sources: ['dir'], dest: '/d' });
    const tree = readTree(rootfs.path);
    expect(shape(tree)).toEqual({ d: 'dir', 'd/a': 'a', 'd/sub': 'dir', 'd/sub/b': 'b' });
    expect(tree['d']!.mode).toBe('0755');
    expect(tree['d/sub']!.mode).toBe('0750');
  });

  it('merges into an existing directory, keeping its own mode and owner but taking nested directory metadata', async () => {
    makeTree(context.path, { 'dir/sub/new': 'n', 'dir/sub': { dir: true, mode: 0o711 } });
    makeTree(rootfs.path, { 'd/old': 'o', 'd/sub/older': 'o2', d: { dir: true, mode: 0o700, uid: 5, gid: 5 } });
    await copy({ sources: ['dir'], dest: '/d' });
    const tree = readTree(rootfs.path);
    expect(shape(tree)).toEqual({ d: 'dir', 'd/old': 'o', 'd/sub': 'dir', 'd/sub/new': 'n', 'd/sub/older': 'o2' });
    expect(tree['d']).toMatchObject({ mode: '0700', owner: '5:5' });
    expect(tree['d/sub']).toMatchObject({ mode: '0711', owner: '0:0' });
  });

  it('copies the whole context with "."', async () => {
    makeTree(context.path, { 'a': 'a', 'sub/b': 'b' });
    await copy({ sources: ['.'], dest: '/app/' });
    expect(shape(readTree(rootfs.path))).toEqual({ app: 'dir', 'app/a': 'a', 'app/sub': 'dir', 'app/sub/b': 'b' });
  });
});

describe('globs', () => {
  beforeEach(() =>
    makeTree(context.path, {
      'a.txt': 'a',
      'b.txt': 'b',
      'c.md': 'c',
      '.env.txt': 'dot',
      'sub/d.txt': 'd',
      'sub/e.md': 'e',
      'other/d.txt': 'd2',
    }),
  );

  it('matches names with * (dot files too, as filepath.Match does), ? and classes', async () => {
    await copy({ sources: ['*.txt'], dest: '/star/' });
    await copy({ sources: ['?.md'], dest: '/question/' });
    await copy({ sources: ['[ab].txt'], dest: '/class/' });
    await copy({ sources: ['[^a].txt'], dest: '/negated/' });
    expect(shape(readTree(rootfs.path))).toEqual({
      class: 'dir',
      'class/a.txt': 'a',
      'class/b.txt': 'b',
      negated: 'dir',
      'negated/b.txt': 'b',
      question: 'dir',
      'question/c.md': 'c',
      star: 'dir',
      'star/.env.txt': 'dot',
      'star/a.txt': 'a',
      'star/b.txt': 'b',
    });
  });

  it('matches in later path elements and copies matched directories\' contents', async () => {
    const result = await copy({ sources: ['*/d.txt'], dest: '/deep/' });
    // Both matches are named d.txt: the later one (sub/) wins, as in BuildKit.
    expect(result.copied.map((c) => c.from)).toEqual(['other/d.txt', 'sub/d.txt']);
    await copy({ sources: ['su*'], dest: '/dirs/' });
    expect(shape(readTree(rootfs.path))).toEqual({
      deep: 'dir',
      'deep/d.txt': 'd',
      dirs: 'dir',
      'dirs/d.txt': 'd',
      'dirs/e.md': 'e',
    });
  });

  it('copies nothing for a glob that matches nothing, but fails when the searched directory is missing', async () => {
    const result = await copy({ sources: ['*.nothing'], dest: '/empty/' });
    expect(result.copied).toEqual([]);
    expect(readTree(rootfs.path)).toEqual({});
    const failure = copy({ sources: ['nope/*.txt'], dest: '/x/' });
    await expect(failure).rejects.toThrow(SourceNotFoundError);
    await expect(copy({ sources: ['nope/*.txt'], dest: '/x/' })).rejects.toThrow(/"nope\/\*\.txt": "\/nope" not found in the build context/);
  });
});

describe('source errors', () => {
  it('names a missing source', async () => {
    const failure = copy({ sources: ['missing.txt'], dest: '/x' });
    await expect(failure).rejects.toThrow(SourceNotFoundError);
    await expect(copy({ sources: ['missing.txt'], dest: '/x' })).rejects.toThrow(
      'COPY failed: source "missing.txt" not found in the build context',
    );
    expect(readTree(rootfs.path)).toEqual({});
  });

  it('refuses .. that leaves the context, allows .. that stays inside', async () => {
    makeTree(context.path, { 'a.txt': 'a', 'sub/x': 'x' });
    await expect(copy({ sources: ['../etc/passwd'], dest: '/x' })).rejects.toThrow(SourceOutsideContextError);
    await expect(copy({ sources: ['sub/../../a.txt'], dest: '/x' })).rejects.toThrow(
      /forbidden path outside the build context: sub\/\.\.\/\.\.\/a\.txt/,
    );
    await copy({ sources: ['sub/../a.txt'], dest: '/x' });
    expect(shape(readTree(rootfs.path))).toEqual({ x: 'a' });
  });

  it('fails before writing anything when a later source is missing', async () => {
    makeTree(context.path, { 'a.txt': 'a' });
    await expect(copy({ sources: ['a.txt', 'missing'], dest: '/x/' })).rejects.toThrow(/"missing"/);
    expect(readTree(rootfs.path)).toEqual({});
  });
});

describe('symlinks and hardlinks', () => {
  beforeEach(() =>
    makeTree(context.path, {
      'target.txt': 'T',
      link: { symlink: 'target.txt' },
      'dir/inner': { symlink: '../target.txt' },
      'dir/file': 'f',
      dirlink: { symlink: 'dir' },
      abs: { symlink: '/target.txt' },
      hostlink: { symlink: '/etc/hostname' },
    }),
  );

  it('follows a source that is a symlink and keeps its name', async () => {
    await copy({ sources: ['link'], dest: '/out/' });
    await copy({ sources: ['dirlink'], dest: '/fromdirlink' });
    expect(shape(readTree(rootfs.path))).toEqual({
      out: 'dir',
      'out/link': 'T',
      fromdirlink: 'dir',
      'fromdirlink/file': 'f',
      'fromdirlink/inner': '-> ../target.txt',
    });
  });

  it('resolves absolute links inside the context, never on the host', async () => {
    await copy({ sources: ['abs'], dest: '/abs' });
    expect(shape(readTree(rootfs.path))).toEqual({ abs: 'T' });
    // The context has no etc/hostname: the host's must not be read.
    await expect(copy({ sources: ['hostlink'], dest: '/h' })).rejects.toThrow(SourceNotFoundError);
  });

  it('copies symlinks below a source as symlinks, and follows a symlink glob match', async () => {
    await copy({ sources: ['dir'], dest: '/d/' });
    await copy({ sources: ['lin?'], dest: '/g/' });
    expect(shape(readTree(rootfs.path))).toEqual({
      d: 'dir',
      'd/file': 'f',
      'd/inner': '-> ../target.txt',
      g: 'dir',
      'g/link': 'T',
    });
  });

  it('keeps hardlinks among files of one source', async () => {
    makeTree(context.path, { 'hl/one': 'same' });
    linkSync(join(context.path, 'hl/one'), join(context.path, 'hl/two'));
    await copy({ sources: ['hl'], dest: '/hl' });
    const one = statSync(join(rootfs.path, 'hl/one'));
    const two = statSync(join(rootfs.path, 'hl/two'));
    expect(one.ino).toBe(two.ino);
    expect(one.nlink).toBe(2);
  });
});

describe('metadata', () => {
  it('keeps source mtimes on files, links and nested directories', async () => {
    makeTree(context.path, { 'd/sub/f': 'f', 'd/l': { symlink: 'sub' } });
    utimesSync(join(context.path, 'd/sub/f'), 1_000_000_000, 1_000_000_000);
    utimesSync(join(context.path, 'd/sub'), 1_100_000_000, 1_100_000_000);
    utimesSync(join(context.path, 'd'), 1_200_000_000, 1_200_000_000);
    await copy({ sources: ['d'], dest: '/d' });
    expect(lstatSync(join(rootfs.path, 'd/sub/f')).mtimeMs).toBe(1_000_000_000_000);
    expect(lstatSync(join(rootfs.path, 'd/sub')).mtimeMs).toBe(1_100_000_000_000);
    // The destination of a directory source takes the source directory's times (fsutil restores them).
    expect(lstatSync(join(rootfs.path, 'd')).mtimeMs).toBe(1_200_000_000_000);
  });

  it('writes context files as 0:0 whatever their owner on the host', async () => {
    makeTree(context.path, { 'd/f': { file: 'f', uid: 1234, gid: 4321 }, d: { dir: true, uid: 1234, gid: 4321 } });
    makeTree(context.path, { 'd/sub': { dir: true, uid: 77 } });
    await copy({ sources: ['d'], dest: '/d' });
    const tree = readTree(rootfs.path);
    expect(tree['d/f']!.owner).toBe('0:0');
    expect(tree['d/sub']!.owner).toBe('0:0');
  });

  it('keeps owners from a stage rootfs, and resolves its .. at the root', async () => {
    const stage = tempDir('stage');
    try {
      makeTree(stage.path, { 'usr/bin/tool': { file: 't', uid: 1234, gid: 567, mode: 0o4755 }, 'etc/conf': 'c' });
      await copyFiles({
        source: { kind: 'rootfs', root: stage.path },
        sources: ['/usr/bin/tool', '../../etc/conf'],
        dest: '/out/',
        workdir: '/',
        destRoot: rootfs.path,
      });
      const tree = readTree(rootfs.path);
      expect(tree['out/tool']).toMatchObject({ owner: '1234:567', mode: '4755', content: 't' });
      expect(tree['out/conf']).toMatchObject({ owner: '0:0', content: 'c' });
    } finally {
      stage.cleanup();
    }
  });

  it('--chown sets copied entries and the directories made for the destination, not existing parents', async () => {
    makeTree(context.path, { 'd/f': 'f', 'd/sub/g': 'g' });
    makeTree(rootfs.path, { opt: { dir: true, mode: 0o755 } });
    await copy({ sources: ['d'], dest: '/opt/new/place', chown: { uid: 1000, gid: 1001 } });
    const tree = readTree(rootfs.path);
    expect(tree['opt']!.owner).toBe('0:0');
    for (const path of ['opt/new', 'opt/new/place', 'opt/new/place/f', 'opt/new/place/sub', 'opt/new/place/sub/g']) {
      expect(tree[path]!.owner, path).toBe('1000:1001');
    }
  });

  it('--chmod octal applies to files and copied directories, not to the created destination', async () => {
    makeTree(context.path, { 'd/f': { file: 'f', mode: 0o600 }, 'd/sub/g': 'g', 'd/l': { symlink: 'f' } });
    await copy({ sources: ['d'], dest: '/d', chmod: '751' });
    const tree = readTree(rootfs.path);
    expect(tree['d']!.mode).toBe('0755');
    expect(tree['d/f']!.mode).toBe('0751');
    expect(tree['d/sub']!.mode).toBe('0751');
    expect(tree['d/sub/g']!.mode).toBe('0751');
    expect(tree['d/l']!.type).toBe('symlink');
  });

  it('--chmod symbolic edits the source mode (X only for directories and executables)', async () => {
    makeTree(context.path, { 'd/plain': { file: 'p', mode: 0o644 }, 'd/exe': { file: 'e', mode: 0o744 }, 'd/sub': { dir: true, mode: 0o700 } });
    await copy({ sources: ['d'], dest: '/d', chmod: 'go+rX,u-w' });
    const tree = readTree(rootfs.path);
    expect(tree['d/plain']!.mode).toBe('0444');
    expect(tree['d/exe']!.mode).toBe('0555');
    expect(tree['d/sub']!.mode).toBe('0555');
  });

  it('rejects a malformed --chmod', async () => {
    makeTree(context.path, { f: 'f' });
    await expect(copy({ sources: ['f'], dest: '/f', chmod: '999' })).rejects.toThrow(
      "invalid chmod parameter: '999'. it should be octal string and between 0 and 07777",
    );
    await expect(copy({ sources: ['f'], dest: '/f', chmod: '17777' })).rejects.toThrow(CopyOptionError);
    await expect(copy({ sources: ['f'], dest: '/f', chmod: 'q+z' })).rejects.toThrow(CopyOptionError);
  });

  it('shifts every owner written through idMap (rootless)', async () => {
    makeTree(context.path, { 'd/f': 'f' });
    const idMap = (uid: number, gid: number) => ({ uid: uid + 100000, gid: gid + 100000 });
    await copy({ sources: ['d'], dest: '/a/b', idMap });
    await copy({ sources: ['d'], dest: '/c/', idMap, chown: { uid: 1000, gid: 1000 } });
    const tree = readTree(rootfs.path);
    expect(tree['a']!.owner).toBe('100000:100000');
    expect(tree['a/b/f']!.owner).toBe('100000:100000');
    expect(tree['c']!.owner).toBe('101000:101000');
    expect(tree['c/f']!.owner).toBe('101000:101000');
  });
});

describe('heredoc sources', () => {
  it('writes each heredoc as a 0644 file named after it', async () => {
    const result = await copy({ sources: [], inlineSources: [{ path: 'greeting', data: 'hello\n' }], dest: '/etc/' });
    const tree = readTree(rootfs.path);
    expect(tree['etc/greeting']).toMatchObject({ content: 'hello\n', mode: '0644', owner: '0:0' });
    expect(result.copied).toEqual([{ from: '<<greeting', to: '/etc/greeting' }]);
  });
});

describe('special files from a stage', () => {
  it('recreates fifos and devices', async () => {
    const stage = tempDir('stage');
    try {
      mkdirSync(join(stage.path, 'dev'));
      const { execFileSync } = await import('node:child_process');
      execFileSync('mknod', [join(stage.path, 'dev/null'), 'c', '1', '3']);
      execFileSync('mkfifo', [join(stage.path, 'dev/pipe')]);
      writeFileSync(join(stage.path, 'dev/plain'), 'x');
      lchownSync(join(stage.path, 'dev/pipe'), 7, 7);
      await copyFiles({ source: { kind: 'rootfs', root: stage.path }, sources: ['/dev'], dest: '/d', workdir: '/', destRoot: rootfs.path });
      const nullDev = lstatSync(join(rootfs.path, 'd/null'));
      expect(nullDev.isCharacterDevice()).toBe(true);
      expect(nullDev.rdev).toBe(lstatSync('/dev/null').rdev);
      const pipe = lstatSync(join(rootfs.path, 'd/pipe'));
      expect(pipe.isFIFO()).toBe(true);
      expect(`${pipe.uid}:${pipe.gid}`).toBe('7:7');
    } finally {
      stage.cleanup();
    }
  });
});

describe('a symlinked workdir', () => {
  it('is followed inside the rootfs', async () => {
    makeTree(context.path, { f: 'f' });
    mkdirSync(join(rootfs.path, 'real'));
    symlinkSync('/real', join(rootfs.path, 'w'));
    await copy({ sources: ['f'], dest: './', workdir: '/w' });
    expect(shape(readTree(rootfs.path))).toEqual({ real: 'dir', 'real/f': 'f', w: '-> /real' });
  });
});

describe('rootless id mapping with a stage source', () => {
  it('writes a stage\'s on-disk owners back unchanged, maps --chown', async () => {
    const stage = tempDir('stage');
    try {
      makeTree(stage.path, { 'app/f': { file: 'f', uid: 101000, gid: 101000 } });
      const idMap = (uid: number, gid: number) => ({ uid: uid + 100000, gid: gid + 100000 });
      const request = { source: { kind: 'rootfs' as const, root: stage.path }, sources: ['/app'], workdir: '/', destRoot: rootfs.path, idMap };
      await copyFiles({ ...request, dest: '/kept' });
      await copyFiles({ ...request, dest: '/chowned', chown: { uid: 5, gid: 5 } });
      const tree = readTree(rootfs.path);
      expect(tree['kept']!.owner).toBe('100000:100000');
      expect(tree['kept/f']!.owner).toBe('101000:101000');
      expect(tree['chowned/f']!.owner).toBe('100005:100005');
    } finally {
      stage.cleanup();
    }
  });
});

describe('file system failures', () => {
  it('become a CopyIoError that shows image paths, not host paths', async () => {
    makeTree(context.path, { 'd/f': 'f' });
    const { CopyIoError } = await import('../../../src/engine/copy/index.js');
    // Root is never denied, so make the kernel fail another way: a destRoot that is a file (ENOTDIR).
    makeTree(rootfs.path, { blocker: 'x' });
    const failure = copyFiles({
      source: { kind: 'context', root: context.path },
      sources: ['d'],
      dest: '/d',
      workdir: '/',
      destRoot: join(rootfs.path, 'blocker'),
    });
    await expect(failure).rejects.toThrow(CopyIoError);
    await expect(
      copyFiles({ source: { kind: 'context', root: context.path }, sources: ['d'], dest: '/d', workdir: '/', destRoot: join(rootfs.path, 'blocker') }),
    ).rejects.toThrow(/^COPY failed: \w+ .*not a directory/);
  });
});
