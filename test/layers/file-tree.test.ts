import { describe, expect, it } from 'vitest';
import { findNode, layerTree, LayerStack, stack, walkTree, type TreeNode } from '../../src/layers/file-tree.js';
import { diffTrees, RangeDiffCache, type DiffNode } from '../../src/layers/tree-diff.js';
import { TreeRowList, visibleRows } from '../../src/layers/tree-rows.js';
import type { ChangeEntry } from '../../src/layers/types.js';
import { layer } from './entry-specs.js';

function paths(tree: TreeNode): string[] {
  return [...walkTree(tree)].map(({ path, node }) => (node.children ? `${path}/` : path));
}

function render(root: DiffNode): string[] {
  return visibleRows(root).map((row) => {
    const marker = { unmodified: ' ', added: '+', modified: '~', removed: '-' }[row.diff];
    return `${'  '.repeat(row.depth)}${marker} ${row.name}${row.children ? '/' : ''} ${row.totalSize}`;
  });
}

const LAYERS = [
  layer('+etc/', '+etc/passwd 10', '+etc/group 5', '+usr/', '+usr/bin/', '+usr/bin/sh 100', '+var/', '+var/cache/', '+var/cache/a 50', '+var/cache/b 70'),
  layer('~etc/', '~etc/passwd 12', '+etc/hosts 3', '~var/', '~var/cache/', '-var/cache/a'),
  layer('~usr/', '~usr/bin/!', '+usr/bin/busybox 300', '-var/cache', '+tmp/'),
  layer('+var/cache/', '+var/cache/c 1'),
];

describe('layer trees and stacking', () => {
  const trees = LAYERS.map((entries, i) => layerTree(entries, i));

  it('keeps whiteouts and opaque markers in a layer tree', () => {
    expect(findNode(trees[1]!, 'var/cache/a')?.whiteout).toBe(true);
    expect(findNode(trees[2]!, 'usr/bin')?.opaque).toBe(true);
  });

  it('applies whiteouts and opaque directories when stacking', () => {
    expect(paths(stack(trees.slice(0, 2)))).toEqual([
      'etc/',
      'etc/group',
      'etc/hosts',
      'etc/passwd',
      'usr/',
      'usr/bin/',
      'usr/bin/sh',
      'var/',
      'var/cache/',
      'var/cache/b',
    ]);
    expect(paths(stack(trees))).toEqual([
      'etc/',
      'etc/group',
      'etc/hosts',
      'etc/passwd',
      'tmp/',
      'usr/',
      'usr/bin/',
      'usr/bin/busybox',
      'var/',
      'var/cache/',
      'var/cache/c',
    ]);
    expect(findNode(stack(trees), 'etc/passwd')!.info).toMatchObject({ size: 12, layer: 1 });
  });

  it('shares untouched subtrees between stacked trees', () => {
    const layers = new LayerStack(trees);
    expect(findNode(layers.upTo(2), 'etc')).toBe(findNode(layers.upTo(1), 'etc'));
    expect(findNode(layers.upTo(1), 'etc')).not.toBe(findNode(layers.upTo(0), 'etc'));
    expect(layers.upTo(3)).toBe(layers.upTo(3));
  });

  it('diffs "this layer only" with roll-up counts and sizes', () => {
    const layers = new LayerStack(trees);
    const onlyLayer1 = diffTrees(layers.upTo(0), layers.upTo(1), { changedOnly: true });
    expect(render(onlyLayer1)).toEqual([
      '  etc/ 15',
      '  + hosts 3',
      '  ~ passwd 12',
      '  var/ 50',
      '    cache/ 50',
      '    - a 50',
    ]);
    expect(onlyLayer1.counts).toEqual({ added: 1, modified: 1, removed: 1, unmodified: 2 + 1 });
  });

  it('diffs everything up to a layer, and a range A..B', () => {
    const layers = new LayerStack(trees);
    const upTo2 = diffTrees(layers.upTo(1), layers.upTo(2));
    const byPath = new Map(visibleRows(upTo2).map((row) => [row.path, row.diff]));
    expect(byPath.get('usr/bin/sh')).toBe('removed');
    expect(byPath.get('usr/bin/busybox')).toBe('added');
    expect(byPath.get('var/cache')).toBe('removed');
    expect(byPath.get('var/cache/b')).toBe('removed');
    expect(byPath.get('etc/passwd')).toBe('unmodified');
    expect(byPath.get('tmp')).toBe('added');

    const cache = new RangeDiffCache(layers);
    const range = cache.range(1, 3);
    expect(cache.range(1, 3)).toBe(range);
    const rangeDiffs = new Map(visibleRows(range).map((row) => [row.path, row.diff]));
    expect(rangeDiffs.get('var/cache')).toBe('unmodified'); // deleted in 2, back in 3
    expect(rangeDiffs.get('var/cache/a')).toBe('removed');
    expect(rangeDiffs.get('var/cache/b')).toBe('removed');
    expect(rangeDiffs.get('var/cache/c')).toBe('added');
    expect(rangeDiffs.get('etc/passwd')).toBe('modified');
    expect(rangeDiffs.get('etc/group')).toBe('unmodified');
  });

  it('passes a metadata-only mark through for a single layer and not across a range', () => {
    const chmod: ChangeEntry = { ...layer('~etc/passwd 10')[0]!, mode: 0o600, metadataOnly: ['mode'] };
    const layers = new LayerStack([trees[0]!, layerTree([chmod], 1)]);
    const cache = new RangeDiffCache(layers);
    const single = visibleRows(cache.range(1, 1)).find((row) => row.path === 'etc/passwd')!;
    expect(single).toMatchObject({ diff: 'modified', metadataOnly: ['mode'] });
    const range = visibleRows(cache.range(0, 1)).find((row) => row.path === 'etc/passwd')!;
    expect(range.diff).toBe('added');
  });
});

describe('visible rows', () => {
  const trees = LAYERS.map((entries, i) => layerTree(entries, i));
  const layers = new LayerStack(trees);
  const root = diffTrees(layers.upTo(1), layers.upTo(2));

  it('hides the children of collapsed directories and splices on toggle', () => {
    const list = new TreeRowList(root);
    const all = list.rows.map((row) => row.path);
    const usrIndex = list.indexOf('usr');
    list.toggle(usrIndex);
    expect(list.rows.map((row) => row.path)).toEqual(all.filter((p) => !p.startsWith('usr/')));
    list.toggle(usrIndex);
    expect(list.rows.map((row) => row.path)).toEqual(all);
    list.setAllCollapsed(true);
    expect(list.rows.map((row) => row.path)).toEqual(['etc', 'tmp', 'usr', 'var']);
  });

  it('filters by diff type and find, keeping the directories that lead there', () => {
    expect(visibleRows(root, { diffTypes: new Set(['added']) }).map((row) => row.path)).toEqual([
      'tmp',
      'usr',
      'usr/bin',
      'usr/bin/busybox',
    ]);
    expect(visibleRows(root, { find: /passwd$/ }).map((row) => row.path)).toEqual(['etc', 'etc/passwd']);
    expect(visibleRows(root, { find: 'cache/b' }).map((row) => row.path)).toEqual(['var', 'var/cache', 'var/cache/b']);
  });

  it('sorts by size, largest first', () => {
    const rows = visibleRows(root, { sortBy: 'size', collapsed: new Set(['etc', 'usr', 'var']) });
    expect(rows.map((row) => `${row.path} ${row.totalSize}`)).toEqual(['usr 400', 'var 70', 'etc 20', 'tmp 0']);
  });

  it('flattens a 100k-file tree and toggles a directory quickly', () => {
    const entries: ChangeEntry[] = [];
    for (let d = 0; d < 100; d++) {
      entries.push(...layer(`+dir${d}/`));
      for (let f = 0; f < 1000; f++) entries.push(...layer(`+dir${d}/file${f} ${f}`));
    }
    const big = diffTrees(stack([]), stack([layerTree(entries, 0)]));
    let started = performance.now();
    const list = new TreeRowList(big);
    const buildMs = performance.now() - started;
    expect(list.rows.length).toBe(100_100);
    started = performance.now();
    list.toggle(list.indexOf('dir50'));
    const toggleMs = performance.now() - started;
    expect(list.rows.length).toBe(99_100);
    // Generous bounds: a shared 2-core machine; the point is "not seconds".
    expect(buildMs).toBeLessThan(500);
    expect(toggleMs).toBeLessThan(50);
  });
});
