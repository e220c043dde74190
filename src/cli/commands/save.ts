import { getString, UsageError } from '../args.js';
import type { Command } from '../command.js';

export const saveCommand: Command = {
  name: 'save',
  summary: 'write an image as an OCI layout (dir, or tar if PATH ends in .tar) or a docker-archive',
  usage: 'save REF -o PATH [--format oci|docker]',
  options: [
    { name: 'output', short: 'o', kind: 'string', valueName: 'PATH', description: 'where to write the image' },
    { name: 'format', kind: 'string', valueName: 'oci|docker', description: 'oci (default): OCI image layout; docker: docker-archive tar' },
  ],
  async run(args, globals, io) {
    if (args.positionals.length !== 1) throw new UsageError('save takes exactly one image reference (see layerlab save --help)');
    const output = getString(args, 'output');
    if (!output) throw new UsageError('save needs -o PATH');
    const format = getString(args, 'format') ?? 'oci';
    if (format !== 'oci' && format !== 'docker') throw new UsageError(`save: --format must be oci or docker, not "${format}"`);
    const [{ Store }, { resolveImage }, { saveImage }] = await Promise.all([
      import('../../image/store.js'),
      import('../../image/image.js'),
      import('../../image/save.js'),
    ]);
    const store = await Store.open(globals.root);
    const image = await resolveImage(store, args.positionals[0]!);
    const result = await saveImage(store, image, output, format);
    io.stdout.write(`Saved ${image.ref ?? image.id} to ${result.path} (${format === 'oci' ? 'OCI image layout' : 'docker-archive'})\n`);
    return 0;
  },
};
