/**
 * A tar archive in memory, for tests that make their own layers and
 * archives (no binary fixtures): the entries in order, each a tar-stream
 * header and, for a file, its content.
 */
import { pack, type Header } from 'tar-stream';

export interface PackedEntry {
  /** What tar-stream's pack.entry takes: a name, the rest defaulted. */
  header: Partial<Header> & Pick<Header, 'name'>;
  body?: string | Buffer;
}

export async function packTar(entries: Iterable<PackedEntry>): Promise<Buffer> {
  const archive = pack();
  const collected = (async () => {
    const chunks: Buffer[] = [];
    for await (const chunk of archive) chunks.push(chunk as Buffer);
    return Buffer.concat(chunks);
  })();
  for (const { header, body } of entries) {
    await new Promise<void>((resolve, reject) => archive.entry(header, body ?? '', (err) => (err ? reject(err) : resolve())));
  }
  archive.finalize();
  return collected;
}
