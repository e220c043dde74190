/**
 * `layerlab diff REF [--layer N | --range A..B] [--json]`: what each layer of
 * an image added (+), modified (~) and deleted (-). A metadata-only change is
 * marked `m` with the fields that changed. `--range` compares the image
 * before layer A with the image after layer B, each path once.
 */
import { getBool, getString, UsageError } from '../args.js';
import type { Command } from '../command.js';
import type { ChangeEntry } from '../../layers/types.js';

interface Row {
  /** In the layer only because something inside it changed. */
  parentOnly?: boolean;
  mark: '+' | '~' | '-' | 'm';
  path: string;
  type: string;
  size: number;
  mode: number;
  uid: number;
  gid: number;
  linkTarget?: string;
  metadata?: string[];
}

type RowFields = Pick<ChangeEntry, 'type' | 'size' | 'mode' | 'uid' | 'gid' | 'linkTarget'>;

/** One printed line, from a layer's change entry or a range's diff node alike. */
function rowFrom(path: string, change: 'added' | 'modified' | 'removed', info: RowFields, metadataOnly: string[] | undefined): Row {
  const metadata = metadataOnly && metadataOnly.length > 0 ? metadataOnly : undefined;
  return {
    mark: change === 'added' ? '+' : change === 'removed' ? '-' : metadata ? 'm' : '~',
    path: `/${path}`,
    type: info.type,
    size: info.size,
    mode: info.mode,
    uid: info.uid,
    gid: info.gid,
    linkTarget: info.linkTarget,
    metadata,
  };
}

function rowOf(c: ChangeEntry, isParentOnly: (c: ChangeEntry) => boolean): Row {
  const row = rowFrom(c.path, c.kind === 'deleted' ? 'removed' : c.kind, c, c.metadataOnly);
  if (isParentOnly(c)) row.parentOnly = true;
  return row;
}

export function parseRange(text: string, count: number): [number, number] {
  const m = /^(\d+)\.\.(\d+)$/.exec(text);
  if (!m) throw new UsageError(`--range ${text}: expected A..B, layer numbers as \`layerlab history\` shows them`);
  const a = Number(m[1]);
  const b = Number(m[2]);
  if (a > b || b >= count) throw new UsageError(`--range ${text}: the image has layers 0..${count - 1}`);
  return [a, b];
}

export const diffCommand: Command = {
  name: 'diff',
  summary: 'show what each layer of an image added, changed and deleted',
  usage: 'diff REF [--layer N | --range A..B] [--json]',
  options: [
    { name: 'layer', kind: 'string', valueName: 'N', description: 'only layer N (0 is the bottom layer)' },
    { name: 'range', kind: 'string', valueName: 'A..B', description: 'layers A to B together, as one change' },
    { name: 'json', kind: 'boolean', description: 'print JSON' },
  ],
  async run(args, globals, io) {
    if (args.positionals.length !== 1) throw new UsageError('diff takes exactly one REF (see layerlab diff --help)');
    const layerText = getString(args, 'layer');
    const rangeText = getString(args, 'range');
    if (layerText !== undefined && rangeText !== undefined) throw new UsageError('use --layer or --range, not both');
    const { Store } = await import('../../image/store.js');
    const { inspectImage } = await import('../../engine/image-inspect.js');
    const { isParentOnly } = await import('../../engine/layer-commit.js');
    const { formatBytes } = await import('../../image/list-images.js');
    const { formatMode, formatOwner } = await import('../../tui/format.js');
    const inspected = await inspectImage(await Store.open(globals.root), args.positionals[0]!);
    const count = inspected.layers.length;
    const json = getBool(args, 'json');

    const sections: Array<{ title: string; layers: number[]; rows: Row[] }> = [];
    if (rangeText !== undefined) {
      const [a, b] = parseRange(rangeText, count);
      const rows = await rangeRows(inspected.layers.map((l) => l.changes), a, b);
      sections.push({ title: `layers ${a}..${b}`, layers: range(a, b), rows });
    } else {
      let indexes = range(0, count - 1);
      if (layerText !== undefined) {
        const n = Number(layerText);
        if (!/^\d+$/.test(layerText) || n >= count) throw new UsageError(`--layer ${layerText}: the image has layers 0..${count - 1}`);
        indexes = [n];
      }
      for (const i of indexes) {
        const layer = inspected.layers[i]!;
        sections.push({
          title: `layer ${i}  ${layer.diffId.slice(7, 19)}  ${formatBytes(layer.size)}  ${layer.history?.created_by ?? ''}`,
          layers: [i],
          rows: (await layer.changes()).map((c) => rowOf(c, isParentOnly)),
        });
      }
    }

    if (json) {
      io.stdout.write(`${JSON.stringify({ id: inspected.image.id, sections }, null, 2)}\n`);
      return 0;
    }
    for (const s of sections) {
      const counts = { '+': 0, '~': 0, '-': 0, m: 0 };
      for (const r of s.rows) if (!r.parentOnly) counts[r.mark]++;
      io.stdout.write(`${s.title}\n  +${counts['+']} ~${counts['~'] + counts.m} -${counts['-']}\n`);
      for (const r of s.rows) {
        const detail =
          r.mark === '-'
            ? ''
            : `  ${formatMode(r.type as ChangeEntry['type'], r.mode)} ${formatOwner(r.uid, r.gid)} ${r.type === 'file' ? formatBytes(r.size) : ''}`;
        const link = r.linkTarget !== undefined ? ` -> ${r.linkTarget}` : '';
        const meta = r.metadata ? `  (${r.metadata.join(', ')} changed)` : r.parentOnly ? '  (parent of a change)' : '';
        io.stdout.write(`  ${r.mark} ${r.path}${link}${detail.trimEnd()}${meta}\n`);
      }
    }
    return 0;
  },
};

function range(a: number, b: number): number[] {
  const out: number[] = [];
  for (let i = a; i <= b; i++) out.push(i);
  return out;
}

/** The range's net change, from stacked trees: each path once, against what was below layer a. */
async function rangeRows(changesOf: Array<() => Promise<ChangeEntry[]>>, a: number, b: number): Promise<Row[]> {
  const { layerTree, LayerStack } = await import('../../layers/file-tree.js');
  const { diffTrees } = await import('../../layers/tree-diff.js');
  const trees = [];
  for (let i = 0; i <= b; i++) trees.push(layerTree(await changesOf[i]!(), i));
  const stack = new LayerStack(trees);
  const diff = diffTrees(stack.upTo(a - 1), stack.upTo(b), { changedOnly: true, singleLayer: a === b });
  const rows: Row[] = [];
  const visit = (node: typeof diff): void => {
    for (const child of node.children ?? []) {
      if (child.diff !== 'unmodified') {
        const info = child.info ?? child.before;
        if (info) {
          rows.push(rowFrom(child.path, child.diff, info, child.metadataOnly));
        }
      }
      if (child.diff !== 'removed') visit(child);
    }
  };
  visit(diff);
  return rows;
}
