/**
 * Lists the entries of a layer tar (plain or gzip), turning OCI whiteouts back
 * into deleted entries and opaque markers into opaque directories, so a layer
 * read from an image builds the same tree as a change list does.
 */
import { Readable } from 'node:stream';
import { createGunzip } from 'node:zlib';
import tarStream from 'tar-stream';
import { LayerTarFormatError } from './errors.js';
import { normalizeLayerPath } from './layer-path.js';
import { OPAQUE_WHITEOUT_NAME, WHITEOUT_PREFIX, type ChangeEntry, type EntryType } from './types.js';

const TAR_TYPES: Record<string, EntryType> = {
  file: 'file',
  'contiguous-file': 'file',
  link: 'hardlink',
  symlink: 'symlink',
  'character-device': 'char',
  'block-device': 'block',
  directory: 'dir',
  fifo: 'fifo',
};

/** Sniffs the gzip magic so callers need not say what they hand in. */
async function* maybeGunzip(source: AsyncIterable<Buffer>): AsyncGenerator<Buffer> {
  const iterator = source[Symbol.asyncIterator]();
  const first = await iterator.next();
  if (first.done) return;
  const rest = (async function* () {
    yield first.value;
    for (let next = await iterator.next(); !next.done; next = await iterator.next()) yield next.value;
  })();
  if (first.value.length >= 2 && first.value[0] === 0x1f && first.value[1] === 0x8b) {
    yield* Readable.from(rest).pipe(createGunzip());
  } else {
    yield* rest;
  }
}

function paxNumber(pax: Record<string, string> | null | undefined, key: string): number | undefined {
  const value = pax?.[key];
  if (value === undefined) return undefined;
  const number = Number(value);
  return Number.isFinite(number) ? number : undefined;
}

/**
 * Reads the entries of a layer tar. Every entry the layer writes is reported
 * as 'added' (what it replaces is only known once layers are stacked);
 * whiteouts are 'deleted' with type 'file' and size 0 (the tar does not say
 * what they removed). `source` names the tar in errors.
 */
export async function readLayerTarEntries(input: AsyncIterable<Buffer> | Readable, source = 'layer'): Promise<ChangeEntry[]> {
  const extract = tarStream.extract();
  const entries: ChangeEntry[] = [];
  const byPath = new Map<string, ChangeEntry>();
  const opaqueDirs: { path: string; mtime: number }[] = [];

  const feeding = (async () => {
    try {
      for await (const chunk of maybeGunzip(input as AsyncIterable<Buffer>)) {
        if (!extract.write(chunk)) await new Promise<void>((resolve) => extract.once('drain', () => resolve()));
      }
      extract.end(undefined);
    } catch (err) {
      extract.destroy(err as Error);
      throw err;
    }
  })();

  try {
    for await (const entry of extract) {
      const header = entry.header as Omit<tarStream.Header, 'pax'> & { pax?: Record<string, string> | null };
      entry.resume();
      const path = normalizeLayerPath(header.name);
      if (path === '') continue;
      const slash = path.lastIndexOf('/');
      const base = path.slice(slash + 1);
      const dir = slash < 0 ? '' : path.slice(0, slash);
      const mtime = (paxNumber(header.pax, 'mtime') ?? header.mtime.getTime() / 1000) * 1000;
      if (base === OPAQUE_WHITEOUT_NAME) {
        opaqueDirs.push({ path: dir, mtime });
        continue;
      }
      const common = {
        mode: (header.mode ?? 0) & 0o7777,
        uid: paxNumber(header.pax, 'uid') ?? header.uid ?? 0,
        gid: paxNumber(header.pax, 'gid') ?? header.gid ?? 0,
        mtime,
      };
      if (base.startsWith(WHITEOUT_PREFIX)) {
        const deletedPath = dir === '' ? base.slice(WHITEOUT_PREFIX.length) : `${dir}/${base.slice(WHITEOUT_PREFIX.length)}`;
        const deleted: ChangeEntry = { path: deletedPath, kind: 'deleted', type: 'file', size: 0, ...common };
        entries.push(deleted);
        byPath.set(deletedPath, deleted);
        continue;
      }
      const type = TAR_TYPES[header.type ?? 'file'];
      if (!type) continue; // pax globals and GNU extensions tar-stream already applied
      const result: ChangeEntry = {
        path,
        kind: 'added',
        type,
        size: type === 'file' ? (header.size ?? 0) : 0,
        ...common,
      };
      if (type === 'symlink') result.linkTarget = header.linkname ?? '';
      if (type === 'hardlink') result.linkTarget = normalizeLayerPath(header.linkname ?? '');
      if (type === 'char' || type === 'block') {
        result.devMajor = header.devmajor ?? 0;
        result.devMinor = header.devminor ?? 0;
      }
      for (const [key, value] of Object.entries(header.pax ?? {})) {
        if (key.startsWith('SCHILY.xattr.')) (result.xattrs ??= {})[key.slice(13)] = Buffer.from(value, 'utf8');
      }
      entries.push(result);
      byPath.set(path, result);
    }
    await feeding;
  } catch (err) {
    throw new LayerTarFormatError(source, (err as Error).message);
  }

  for (const { path, mtime } of opaqueDirs) {
    const dir = byPath.get(path);
    if (dir && dir.type === 'dir') dir.opaque = true;
    else entries.push({ path, kind: 'added', type: 'dir', size: 0, mode: 0o755, uid: 0, gid: 0, mtime, opaque: true });
  }
  return entries;
}
