import { getString, UsageError } from '../args.js';
import type { Command } from '../command.js';

/** "16MiB", "512k", "1048576" → bytes. */
function parseSize(text: string): number {
  const m = /^(\d+)\s*([kmg]i?b?|b)?$/i.exec(text.trim());
  if (!m) throw new UsageError(`--chunk-size ${text}: expected a size such as 5MiB, 512k or 1048576`);
  const unit = (m[2] ?? 'b').toLowerCase()[0]!;
  const factor = unit === 'k' ? 1024 : unit === 'm' ? 1024 ** 2 : unit === 'g' ? 1024 ** 3 : 1;
  const bytes = Number(m[1]) * factor;
  if (bytes < 1) throw new UsageError(`--chunk-size ${text}: must be at least 1 byte`);
  return bytes;
}

export const pushCommand: Command = {
  name: 'push',
  summary: 'upload an image from the store to a registry',
  usage: 'push [--chunk-size SIZE] REF [DEST]',
  options: [
    {
      name: 'chunk-size',
      kind: 'string',
      valueName: 'SIZE',
      description: 'upload blobs larger than SIZE in chunks of SIZE (default 16MiB)',
    },
  ],
  async run(args, globals, io) {
    if (args.positionals.length < 1 || args.positionals.length > 2) {
      throw new UsageError('push takes an image reference and optionally a destination (see layerlab push --help)');
    }
    const [source, destination] = args.positionals as [string, string | undefined];
    const chunkText = getString(args, 'chunk-size');
    const chunkSize = chunkText !== undefined ? parseSize(chunkText) : undefined;
    const [{ Store }, { parseReference }, registry] = await Promise.all([
      import('../../image/store.js'),
      import('../../image/reference.js'),
      import('../../image/registry/index.js'),
    ]);
    // Validate both references before touching the store or the network.
    parseReference(source);
    if (destination !== undefined) parseReference(destination);
    const store = await Store.open(globals.root);
    const live = (io.stdout as { isTTY?: boolean }).isTTY === true;
    const printer = new registry.TransferProgressPrinter(io.stdout, live);
    let result;
    try {
      result = await registry.pushImage(store, source, destination, {
        insecureRegistries: globals.insecureRegistries,
        ...(chunkSize !== undefined ? { chunkSize } : {}),
        onProgress: printer.listener,
      });
    } finally {
      printer.finish();
    }
    // docker's last line, which scripts grep for the digest.
    io.stdout.write(`${result.tag ?? result.digest}: digest: ${result.digest} size: ${result.size}\n`);
    return 0;
  },
};
