import { getBool, UsageError } from '../args.js';
import type { Command } from '../command.js';

export const imagesCommand: Command = {
  name: 'images',
  summary: 'list the images in the store',
  usage: 'images [--json]',
  options: [{ name: 'json', kind: 'boolean', description: 'print a JSON array instead of a table' }],
  async run(args, globals, io) {
    if (args.positionals.length > 0) throw new UsageError('images takes no arguments (see layerlab images --help)');
    const { listImages, formatImageTable } = await import('../../image/list-images.js');
    const { Store } = await import('../../image/store.js');
    const rows = await listImages(await Store.open(globals.root));
    io.stdout.write(getBool(args, 'json') ? `${JSON.stringify(rows, null, 2)}\n` : formatImageTable(rows, new Date()));
    return 0;
  },
};
