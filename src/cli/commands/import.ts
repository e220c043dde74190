import { getList, UsageError } from '../args.js';
import type { Command } from '../command.js';

export const importCommand: Command = {
  name: 'import',
  summary: 'make a one-layer image from a filesystem tarball, like docker import',
  usage: 'import [-c "CMD [\\"sh\\"]"]... ROOTFS.tar REF',
  options: [
    { name: 'change', short: 'c', kind: 'list', valueName: 'INSTRUCTION', description: 'apply a CMD, ENTRYPOINT, ENV, LABEL, WORKDIR, USER, EXPOSE, STOPSIGNAL or VOLUME to the config' },
  ],
  async run(args, globals, io) {
    if (args.positionals.length !== 2) throw new UsageError('import takes a rootfs tarball and an image reference (see layerlab import --help)');
    const [tarPath, ref] = args.positionals as [string, string];
    const { stat } = await import('node:fs/promises');
    const info = await stat(tarPath).catch(() => undefined);
    if (!info?.isFile()) throw new UsageError(`import: ${tarPath} is not a file`);
    const [{ Store }, { importRootfs }, { normalizeReference }] = await Promise.all([
      import('../../image/store.js'),
      import('../../image/import-rootfs.js'),
      import('../../image/reference.js'),
    ]);
    normalizeReference(ref);
    const image = await importRootfs(await Store.open(globals.root), tarPath, ref, { changes: getList(args, 'change') });
    io.stdout.write(`${image.id}\n`);
    return 0;
  },
};
