import { getBool, getString, UsageError } from '../args.js';
import type { Command } from '../command.js';

export const pullCommand: Command = {
  name: 'pull',
  summary: 'download an image from a registry into the store',
  usage: 'pull [--platform OS/ARCH[/VARIANT]] [-q] REF',
  options: [
    { name: 'platform', kind: 'string', valueName: 'OS/ARCH[/VARIANT]', description: 'platform to pick from a multi-platform image (default: this host)' },
    { name: 'quiet', short: 'q', kind: 'boolean', description: 'print only the pulled reference' },
  ],
  async run(args, globals, io) {
    if (args.positionals.length !== 1) throw new UsageError('pull takes exactly one image reference (see layerlab pull --help)');
    const [{ Store }, { parseReference, familiarReference }, registry] = await Promise.all([
      import('../../image/store.js'),
      import('../../image/reference.js'),
      import('../../image/registry/index.js'),
    ]);
    const reference = parseReference(args.positionals[0]!);
    const platformText = getString(args, 'platform');
    const quiet = getBool(args, 'quiet');
    const store = await Store.open(globals.root);
    const live = !quiet && (io.stdout as { isTTY?: boolean }).isTTY === true;
    const printer = quiet ? undefined : new registry.TransferProgressPrinter(io.stdout, live);
    let result;
    try {
      result = await registry.pullImage(store, args.positionals[0]!, {
        insecureRegistries: globals.insecureRegistries,
        registryMirrors: globals.registryMirrors,
        ...(platformText ? { platform: registry.parsePlatform(platformText) } : {}),
        ...(printer ? { onProgress: printer.listener } : {}),
      });
    } finally {
      printer?.finish();
    }
    const shown = familiarReference(reference);
    if (!quiet) {
      io.stdout.write(`Digest: ${result.digest}\n`);
      io.stdout.write(
        result.upToDate ? `Status: Image is up to date for ${shown}\n` : `Status: Downloaded newer image for ${shown}\n`,
      );
    }
    io.stdout.write(`${result.reference}\n`);
    return 0;
  },
};
