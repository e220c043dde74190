import { gzipSync } from 'node:zlib';
import tarStream from 'tar-stream';

/** One tar entry for building test layers in memory (tests build their own layers, no binary fixtures). */
export interface TarEntrySpec {
  name: string;
  type?: tarStream.Header['type'];
  content?: string | Buffer;
  mode?: number;
  uid?: number;
  gid?: number;
  mtime?: Date;
  linkname?: string;
  devmajor?: number;
  devminor?: number;
  pax?: Record<string, string>;
}

export async function buildTar(entries: TarEntrySpec[]): Promise<Buffer> {
  const pack = tarStream.pack();
  const chunks: Buffer[] = [];
  const collected = (async () => {
    for await (const chunk of pack) chunks.push(chunk as Buffer);
  })();
  for (const spec of entries) {
    const type = spec.type ?? 'file';
    const header = {
      name: spec.name,
      type,
      mode: spec.mode ?? (type === 'directory' ? 0o755 : 0o644),
      uid: spec.uid ?? 0,
      gid: spec.gid ?? 0,
      mtime: spec.mtime ?? new Date('2024-01-02T03:04:05Z'),
      linkname: spec.linkname,
      devmajor: spec.devmajor,
      devminor: spec.devminor,
      pax: spec.pax,
    };
    await new Promise<void>((resolve, reject) => {
      const body = type === 'file' ? Buffer.from(spec.content ?? '') : undefined;
      if (body) pack.entry(header, body, (err) => (err ? reject(err) : resolve()));
      else pack.entry(header, (err) => (err ? reject(err) : resolve())).end(undefined);
    });
  }
  pack.finalize();
  await collected;
  return Buffer.concat(chunks);
}

export async function buildGzipTar(entries: TarEntrySpec[]): Promise<Buffer> {
  return gzipSync(await buildTar(entries));
}
