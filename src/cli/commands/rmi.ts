import { UsageError } from '../args.js';
import type { Command } from '../command.js';

export const rmiCommand: Command = {
  name: 'rmi',
  summary: 'remove an image reference from the store (its data goes at the next prune)',
  usage: 'rmi REF...',
  options: [],
  async run(args, globals, io) {
    if (args.positionals.length === 0) throw new UsageError('rmi needs at least one image reference (see layerlab rmi --help)');
    const [{ Store }, { removeImageRef }] = await Promise.all([import('../../image/store.js'), import('../../image/list-images.js')]);
    const store = await Store.open(globals.root);
    for (const input of args.positionals) {
      for (const name of await removeImageRef(store, input)) io.stdout.write(`Untagged: ${name}\n`);
    }
    return 0;
  },
};
