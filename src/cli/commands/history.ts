/**
 * `layerlab history REF [--json]`: the image's history, newest first, with
 * the layer each non-empty entry made, like `docker history`.
 */
import { getBool, UsageError } from '../args.js';
import type { Command } from '../command.js';

export const historyCommand: Command = {
  name: 'history',
  summary: "show an image's history: which instruction made which layer",
  usage: 'history REF [--json]',
  options: [{ name: 'json', kind: 'boolean', description: 'print JSON, oldest entry first' }],
  async run(args, globals, io) {
    if (args.positionals.length !== 1) throw new UsageError('history takes exactly one REF (see layerlab history --help)');
    const { Store } = await import('../../image/store.js');
    const { inspectImage } = await import('../../engine/image-inspect.js');
    const { formatBytes: formatSize, timeAgo } = await import('../../image/list-images.js');
    const inspected = await inspectImage(await Store.open(globals.root), args.positionals[0]!);
    const rows = [];
    for (const h of inspected.history) {
      const layer = h.layer !== undefined ? inspected.layers[h.layer] : undefined;
      const changes = layer ? await layer.changes() : [];
      rows.push({
        layer: h.layer,
        diffId: layer?.diffId,
        digest: layer?.digest,
        created: h.entry.created,
        createdBy: h.entry.created_by ?? '',
        comment: h.entry.comment ?? '',
        emptyLayer: layer === undefined,
        size: changes.reduce((sum, c) => sum + (c.kind === 'deleted' ? 0 : c.size), 0),
        compressedSize: layer?.size ?? 0,
      });
    }
    if (getBool(args, 'json')) {
      io.stdout.write(`${JSON.stringify({ id: inspected.image.id, history: rows }, null, 2)}\n`);
      return 0;
    }
    const now = new Date();
    const table = [...rows].reverse().map((r) => [
      r.layer !== undefined ? `#${r.layer} ${r.diffId!.slice(7, 19)}` : '<empty>',
      r.created ? timeAgo(new Date(r.created), now) : 'N/A',
      oneLine(r.createdBy, 60),
      r.layer !== undefined ? formatSize(r.size) : '0B',
      r.comment,
    ]);
    const header = ['LAYER', 'CREATED', 'CREATED BY', 'SIZE', 'COMMENT'];
    const widths = header.map((h, i) => Math.max(h.length, ...table.map((row) => row[i]!.length)));
    const line = (cells: string[]) => cells.map((c, i) => (i === cells.length - 1 ? c : c.padEnd(widths[i]!))).join('   ').trimEnd();
    io.stdout.write(`${[line(header), ...table.map(line)].join('\n')}\n`);
    return 0;
  },
};

function oneLine(s: string, max: number): string {
  const flat = s.replace(/\s+/g, ' ');
  return flat.length > max ? `${flat.slice(0, max - 3)}...` : flat;
}
