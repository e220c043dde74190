import { UsageError } from '../args.js';
import type { Command } from '../command.js';

export const pruneCommand: Command = {
  name: 'prune',
  summary: 'delete blobs and unpacked layers no image or cache entry uses',
  usage: 'prune',
  options: [],
  async run(args, globals, io) {
    if (args.positionals.length > 0) throw new UsageError('prune takes no arguments (see layerlab prune --help)');
    const [{ Store }, { pruneStore }, { formatBytes }] = await Promise.all([
      import('../../image/store.js'),
      import('../../image/prune.js'),
      import('../../image/list-images.js'),
    ]);
    const result = await pruneStore(await Store.open(globals.root));
    io.stdout.write(
      `Deleted ${result.blobsRemoved} blob${result.blobsRemoved === 1 ? '' : 's'}, ${result.layersRemoved} unpacked layer${result.layersRemoved === 1 ? '' : 's'}` +
        `${result.tmpRemoved ? ` and ${result.tmpRemoved} stale temp file${result.tmpRemoved === 1 ? '' : 's'}` : ''}\n` +
        `Total reclaimed space: ${formatBytes(result.bytesFreed)}\n`,
    );
    return 0;
  },
};
