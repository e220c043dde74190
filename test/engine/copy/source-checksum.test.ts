/**
 * The COPY/ADD cache-key checksum: stable across runs and mtime changes,
 * different when anything the copy would write changes, blind to what the
 * copy would not take.
 */
import { chmodSync, lchownSync, rmSync, symlinkSync, unlinkSync, utimesSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { checksumSources, SourceNotFoundError, type CopySource } from '../../../src/engine/copy/index.js';
import { makeTree, tempDir } from './tree-fixture.js';

let context: ReturnType<typeof tempDir>;
let source: CopySource;

beforeEach(() => {
  context = tempDir('ctx');
  makeTree(context.path, {
    'app/main.js': 'main',
    'app/lib/util.js': 'util',
    'app/link': { symlink: 'main.js' },
    'app/debug.log': 'log',
    'other.txt': 'other',
  });
  source = { kind: 'context', root: context.path, exclude: (path) => path.endsWith('.log') };
});
afterEach(() => context.cleanup());

const sum = (sources = ['app'], selection = {}) => checksumSources(source, sources, selection);

describe('checksumSources', () => {
  it('is a stable sha256 digest', async () => {
    const first = await sum();
    expect(first).toMatch(/^sha256:[0-9a-f]{64}$/);
    expect(await sum()).toBe(first);
  });

  it('ignores mtimes and, for the context, owners', async () => {
    const before = await sum();
    utimesSync(join(context.path, 'app/main.js'), 1, 1);
    utimesSync(join(context.path, 'app/lib'), 2, 2);
    lchownSync(join(context.path, 'app/main.js'), 1234, 1234);
    expect(await sum()).toBe(before);
  });

  it('changes with content, mode, names, symlink targets and structure', async () => {
    const seen = new Set([await sum()]);
    const expectNew = async (what: string) => {
      const value = await sum();
      expect(seen.has(value), what).toBe(false);
      seen.add(value);
    };
    writeFileSync(join(context.path, 'app/main.js'), 'main2');
    await expectNew('content');
    chmodSync(join(context.path, 'app/main.js'), 0o755);
    await expectNew('file mode');
    chmodSync(join(context.path, 'app/lib'), 0o700);
    await expectNew('directory mode');
    unlinkSync(join(context.path, 'app/link'));
    symlinkSync('lib/util.js', join(context.path, 'app/link'));
    await expectNew('symlink target');
    writeFileSync(join(context.path, 'app/new.js'), '');
    await expectNew('new empty file');
    rmSync(join(context.path, 'app/lib'), { recursive: true });
    await expectNew('removed directory');
  });

  it('does not change for what the copy would not take', async () => {
    const before = await sum();
    writeFileSync(join(context.path, 'app/debug.log'), 'more log');
    writeFileSync(join(context.path, 'other.txt'), 'changed');
    expect(await sum()).toBe(before);
    const excluded = await sum(['app'], { excludePatterns: ['lib'] });
    writeFileSync(join(context.path, 'app/lib/util.js'), 'util2');
    expect(await sum(['app'], { excludePatterns: ['lib'] })).toBe(excluded);
    expect(await sum()).not.toBe(before);
  });

  it('depends on which sources and how they are selected', async () => {
    const values = new Set([
      await sum(['app']),
      await sum(['app/*']),
      await sum(['app', 'other.txt']),
      await sum(['app/lib/util.js'], { parents: true }),
      await sum(['app/lib/util.js']),
    ]);
    expect(values.size).toBe(5);
  });

  it('covers owners from a stage rootfs', async () => {
    const stage: CopySource = { kind: 'rootfs', root: context.path };
    const before = await checksumSources(stage, ['/app']);
    lchownSync(join(context.path, 'app/main.js'), 1234, 1234);
    expect(await checksumSources(stage, ['/app'])).not.toBe(before);
  });

  it('fails like the copy for a missing source', async () => {
    await expect(sum(['nope'])).rejects.toThrow(SourceNotFoundError);
    await expect(sum(['app/debug.log'])).rejects.toThrow(/excluded by \.dockerignore/);
  });
});
