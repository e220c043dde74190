/**
 * What a COPY takes from the context: .dockerignore (as a predicate and as
 * dockerfile's DockerignoreMatcher, with exceptions), --exclude, --parents,
 * and the TUI's view of which context paths a step takes.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { DockerignoreMatcher } from '../../../src/dockerfile/dockerignore.js';
import {
  copyFiles,
  resolveContextSources,
  SourceNotFoundError,
  type CopyRequest,
  type CopySource,
} from '../../../src/engine/copy/index.js';
import { makeTree, readTree, shape, tempDir } from './tree-fixture.js';

let context: ReturnType<typeof tempDir>;
let rootfs: ReturnType<typeof tempDir>;

beforeEach(() => {
  context = tempDir('ctx');
  rootfs = tempDir('rootfs');
  makeTree(context.path, {
    'app.js': 'js',
    'app.log': 'log',
    'logs/old.log': 'old',
    'logs/keep.log': 'keep',
    'src/main.ts': 'main',
    'src/main.test.ts': 'test',
    'src/deep/util.ts': 'util',
    'src/deep/notes.txt': 'notes',
    'homA.md': 'A',
    'homB.txt': 'B',
    'a/b/c.txt': 'c',
    'a/b/d.txt': 'd',
    'x/y.txt': 'y',
  });
});
afterEach(() => {
  context.cleanup();
  rootfs.cleanup();
});

function copy(source: CopySource, request: Partial<CopyRequest> & Pick<CopyRequest, 'sources' | 'dest'>) {
  return copyFiles({ source, workdir: '/', destRoot: rootfs.path, ...request });
}

describe('.dockerignore', () => {
  it('a predicate hides files from copies and globs; naming one is "not found"', async () => {
    const source: CopySource = { kind: 'context', root: context.path, exclude: (path) => path.endsWith('.log') };
    await copy(source, { sources: ['.'], dest: '/all/' });
    await copy(source, { sources: ['app.*'], dest: '/glob/' });
    const tree = shape(readTree(rootfs.path));
    expect(Object.keys(tree).filter((path) => path.endsWith('.log'))).toEqual([]);
    expect(tree['all/logs']).toBe('dir');
    expect(tree['glob/app.js']).toBe('js');
    await expect(copy(source, { sources: ['app.log'], dest: '/x' })).rejects.toThrow(SourceNotFoundError);
    await expect(copy(source, { sources: ['app.log'], dest: '/x' })).rejects.toThrow(/excluded by \.dockerignore/);
  });

  it('an excluded symlink is not in the context even when its target is', async () => {
    makeTree(context.path, { shortcut: { symlink: 'app.js' } });
    const source: CopySource = { kind: 'context', root: context.path, exclude: (path) => path === 'shortcut' };
    await expect(copy(source, { sources: ['shortcut'], dest: '/x' })).rejects.toThrow(SourceNotFoundError);
    await expect(copy(source, { sources: ['short*'], dest: '/x/' })).resolves.toEqual({ copied: [] });
  });

  it('an exception re-includes a file in an excluded directory, and the directory with it', async () => {
    const exclude = DockerignoreMatcher.fromText('logs\n!logs/keep.log\n*.log\nsrc/deep\n');
    const source: CopySource = { kind: 'context', root: context.path, exclude };
    await copy(source, { sources: ['.'], dest: '/app/' });
    const tree = shape(readTree(rootfs.path));
    expect(Object.keys(tree).sort()).toEqual(
      ['app', 'app/a', 'app/a/b', 'app/a/b/c.txt', 'app/a/b/d.txt', 'app/app.js', 'app/homA.md', 'app/homB.txt', 'app/logs', 'app/logs/keep.log', 'app/src', 'app/src/main.test.ts', 'app/src/main.ts', 'app/x', 'app/x/y.txt'].sort(),
    );
    // The excluded directory exists (an exception keeps something below it), so it can be named.
    await copy(source, { sources: ['logs'], dest: '/logs' });
    expect(shape(readTree(rootfs.path))['logs/keep.log']).toBe('keep');
    await expect(copy(source, { sources: ['src/deep'], dest: '/deep' })).rejects.toThrow(SourceNotFoundError);
  });
});

describe('--exclude', () => {
  const source = (): CopySource => ({ kind: 'context', root: context.path });

  it('matches paths below the copied directory', async () => {
    await copy(source(), { sources: ['src'], dest: '/top/', excludePatterns: ['*.test.ts'] });
    await copy(source(), { sources: ['src'], dest: '/any/', excludePatterns: ['**/*.txt', 'deep/util.ts'] });
    const tree = shape(readTree(rootfs.path));
    expect(Object.keys(tree).filter((p) => p.startsWith('top/')).sort()).toEqual(
      ['top/deep', 'top/deep/notes.txt', 'top/deep/util.ts', 'top/main.ts'].sort(),
    );
    expect(Object.keys(tree).filter((p) => p.startsWith('any/')).sort()).toEqual(
      ['any/deep', 'any/main.test.ts', 'any/main.ts'].sort(),
    );
  });

  it('filters the matches of a glob (ADD --exclude=*.txt hom* /mydir/)', async () => {
    await copy(source(), { sources: ['hom*'], dest: '/mydir/', excludePatterns: ['*.txt'], isAdd: true });
    expect(shape(readTree(rootfs.path))).toEqual({ mydir: 'dir', 'mydir/homA.md': 'A' });
  });

  it('honours ! exceptions', async () => {
    await copy(source(), { sources: ['logs'], dest: '/l/', excludePatterns: ['*.log', '!keep.log'] });
    expect(shape(readTree(rootfs.path))).toEqual({ l: 'dir', 'l/keep.log': 'keep' });
  });
});

describe('--parents', () => {
  const source = (): CopySource => ({ kind: 'context', root: context.path });

  it('keeps the whole source path', async () => {
    makeTree(context.path, { a: { dir: true, mode: 0o750 } });
    await copy(source(), { sources: ['a/b/c.txt', 'x/y.txt'], dest: '/dest/', parents: true });
    const tree = readTree(rootfs.path);
    expect(shape(tree)).toEqual({
      dest: 'dir',
      'dest/a': 'dir',
      'dest/a/b': 'dir',
      'dest/a/b/c.txt': 'c',
      'dest/x': 'dir',
      'dest/x/y.txt': 'y',
    });
    // Parent directories are copies of the source's.
    expect(tree['dest/a']!.mode).toBe('0750');
  });

  it('keeps only the part after a ./ pivot', async () => {
    await copy(source(), { sources: ['./a/./b/c.txt'], dest: '/dest/', parents: true });
    expect(shape(readTree(rootfs.path))).toEqual({ dest: 'dir', 'dest/b': 'dir', 'dest/b/c.txt': 'c' });
  });

  it('keeps paths of glob matches and whole matched directories', async () => {
    await copy(source(), { sources: ['a/*/c.txt', 'src/de*'], dest: '/g/', parents: true });
    expect(shape(readTree(rootfs.path))).toEqual({
      g: 'dir',
      'g/a': 'dir',
      'g/a/b': 'dir',
      'g/a/b/c.txt': 'c',
      'g/src': 'dir',
      'g/src/deep': 'dir',
      'g/src/deep/notes.txt': 'notes',
      'g/src/deep/util.ts': 'util',
    });
  });

  it('fails for a missing path without wildcards', async () => {
    await expect(copy(source(), { sources: ['a/b/nope.txt'], dest: '/d/', parents: true })).rejects.toThrow(SourceNotFoundError);
  });
});

describe('resolveContextSources', () => {
  it('lists the context paths a step takes (the sources themselves too), after every filter', async () => {
    const exclude = DockerignoreMatcher.fromText('*.log\n');
    const source: CopySource = { kind: 'context', root: context.path, exclude };
    expect(await resolveContextSources(source, ['src', 'app.*'], { excludePatterns: ['**/*.txt'] })).toEqual([
      'src',
      'src/deep',
      'src/deep/util.ts',
      'src/main.test.ts',
      'src/main.ts',
      'app.js',
    ]);
    expect(await resolveContextSources(source, ['a/./b/c.txt'], { parents: true })).toEqual(['a', 'a/b', 'a/b/c.txt']);
  });
});
