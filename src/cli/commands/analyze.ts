/**
 * `layerlab analyze REF [--ci] [--json]`: how much of an image is wasted on
 * bytes that later layers overwrote or deleted, attributed to the layer that
 * wrote them and the one that hid them, each path counted once (like dive).
 * With --ci the exit status says whether the image passes the thresholds.
 */
import { getBool, getString, UsageError } from '../args.js';
import type { Command } from '../command.js';

export const analyzeCommand: Command = {
  name: 'analyze',
  summary: 'find bytes an image ships but never shows (overwritten or deleted later)',
  usage: 'analyze REF [--ci] [--lowest-efficiency R] [--highest-wasted-bytes N] [--json]',
  options: [
    { name: 'ci', kind: 'boolean', description: 'exit 1 when a threshold is not met' },
    { name: 'lowest-efficiency', kind: 'string', valueName: 'R', description: 'with --ci: lowest efficiency allowed, 0..1 (default 0.9)' },
    { name: 'highest-wasted-bytes', kind: 'string', valueName: 'N', description: 'with --ci: most wasted bytes allowed (default none)' },
    { name: 'json', kind: 'boolean', description: 'print JSON' },
  ],
  async run(args, globals, io) {
    if (args.positionals.length !== 1) throw new UsageError('analyze takes exactly one REF (see layerlab analyze --help)');
    const lowest = Number(getString(args, 'lowest-efficiency') ?? '0.9');
    if (!(lowest >= 0 && lowest <= 1)) throw new UsageError('--lowest-efficiency must be a number from 0 to 1');
    const highestText = getString(args, 'highest-wasted-bytes');
    const highest = highestText === undefined ? undefined : Number(highestText);
    if (highest !== undefined && !(Number.isInteger(highest) && highest >= 0)) {
      throw new UsageError('--highest-wasted-bytes must be a whole number of bytes');
    }
    const { Store } = await import('../../image/store.js');
    const { inspectImage } = await import('../../engine/image-inspect.js');
    const { layerTree } = await import('../../layers/file-tree.js');
    const { analyzeWaste } = await import('../../layers/waste.js');
    const { formatBytes } = await import('../../image/list-images.js');
    const inspected = await inspectImage(await Store.open(globals.root), args.positionals[0]!);
    const trees = [];
    for (const layer of inspected.layers) trees.push(layerTree(await layer.changes(), layer.index));
    const report = analyzeWaste(trees);
    const pass = report.efficiency >= lowest && (highest === undefined || report.wastedBytes <= highest);
    const describeLayer = (i: number) => `#${i} ${(inspected.layers[i]?.history?.created_by ?? '').replace(/\s+/g, ' ').slice(0, 50)}`;

    if (getBool(args, 'json')) {
      io.stdout.write(`${JSON.stringify({ id: inspected.image.id, ...report, pass }, null, 2)}\n`);
    } else {
      const out: string[] = [
        `image ${inspected.image.id.slice(7, 19)}: ${formatBytes(report.totalSize)} of file content in ${inspected.layers.length} layers`,
        `efficiency ${(report.efficiency * 100).toFixed(1)}%, wasted ${formatBytes(report.wastedBytes)}`,
      ];
      if (report.paths.length > 0) {
        out.push('', 'WASTED   PATH   (written by → hidden by)');
        for (const p of report.paths.slice(0, 30)) {
          const how = p.versions.map((v) => `${describeLayer(v.writtenBy)} → ${describeLayer(v.hiddenBy)}`).join('; ');
          out.push(`${formatBytes(p.wastedBytes).padStart(7)}  /${p.path}   (${how})`);
        }
        if (report.paths.length > 30) out.push(`... and ${report.paths.length - 30} more paths`);
        out.push(
          '',
          'Layers are only ever added: deleting or overwriting a file in a later step hides it,',
          'but its bytes still ship in the layer that wrote it. Remove files in the same RUN that',
          'creates them, or copy what you need into a fresh stage.',
        );
      }
      if (getBool(args, 'ci')) out.push('', pass ? 'PASS' : `FAIL: efficiency below ${lowest}${highest !== undefined ? ` or more than ${highest} bytes wasted` : ''}`);
      io.stdout.write(`${out.join('\n')}\n`);
    }
    return getBool(args, 'ci') && !pass ? 1 : 0;
  },
};
