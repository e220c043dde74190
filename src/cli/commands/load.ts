import { getString, UsageError } from '../args.js';
import type { Command } from '../command.js';

export const loadCommand: Command = {
  name: 'load',
  summary: 'load images from a docker-archive or an OCI image layout (directory or tar)',
  usage: 'load FILE|DIR\nload -i FILE|DIR',
  options: [{ name: 'input', short: 'i', kind: 'string', valueName: 'FILE|DIR', description: 'archive to read (same as the argument)' }],
  async run(args, globals, io) {
    const input = getString(args, 'input') ?? args.positionals[0];
    if (!input || args.positionals.length > (getString(args, 'input') ? 0 : 1)) {
      throw new UsageError('load takes one archive: a docker-archive tar or an OCI layout (see layerlab load --help)');
    }
    const [{ Store }, { loadArchive }, { familiarReference }] = await Promise.all([
      import('../../image/store.js'),
      import('../../image/load.js'),
      import('../../image/reference.js'),
    ]);
    const { stat } = await import('node:fs/promises');
    if (!(await stat(input).catch(() => undefined))) throw new UsageError(`load: ${input} does not exist`);
    const store = await Store.open(globals.root);
    const loaded = await loadArchive(store, input, (message) => io.stderr.write(`warning: ${message}\n`));
    for (const image of loaded) {
      if (image.refs.length === 0) {
        io.stdout.write(`Loaded image ID: ${image.configDigest} (untagged: \`layerlab prune\` will remove it)\n`);
      }
      for (const ref of image.refs) io.stdout.write(`Loaded image: ${familiarReference(ref)}\n`);
    }
    return 0;
  },
};
