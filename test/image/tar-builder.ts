import { gzipSync } from 'node:zlib';
import type tarStream from 'tar-stream';
import { packTar } from '../helpers/tar.js';

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
  return packTar(
    entries.map((spec) => {
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
      return { header, body: type === 'file' ? (spec.content ?? '') : undefined };
    }),
  );
}

export async function buildGzipTar(entries: TarEntrySpec[]): Promise<Buffer> {
  return gzipSync(await buildTar(entries));
}
