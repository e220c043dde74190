/**
 * Writes a change list as an OCI layer tar, and commits it: tar, gzip and both
 * sha256 digests in one pass to a blob file.
 *
 * The tar is assembled in 1 MiB chunks by our own header writer; small pieces
 * (headers, padding) never reach zlib or the hashes one by one, which is what
 * makes a naive tar-stream → gzip pipe 4× slower (PERF-NOTES.md).
 */
import { closeSync, openSync, readSync } from 'node:fs';
import { join } from 'node:path';
import { FileChangedDuringCommitError, UnrepresentableEntryError } from './errors.js';
import { BLOCK_SIZE as CHUNK_SIZE, ParallelGzipFile, PlainFile, type ChunkSink, type DigestedBlob } from './parallel-gzip.js';
import { BLOCK_SIZE, encodeTarHeader, paddingFor, type TarHeaderFields, type TarTypeFlag } from './tar-header.js';
import { OPAQUE_WHITEOUT_NAME, WHITEOUT_PREFIX, type ChangeEntry } from './types.js';


/** Fills 1 MiB buffers; full ones wait in `ready` until the writer drains them. */
class ChunkBuffer {
  private buffer: Buffer = Buffer.allocUnsafe(CHUNK_SIZE);
  private position = 0;
  private readonly ready: Buffer[] = [];

  constructor(private readonly sink: ChunkSink) {}

  write(bytes: Buffer): void {
    let offset = 0;
    while (offset < bytes.length) {
      const copied = bytes.copy(this.buffer, this.position, offset);
      this.position += copied;
      offset += copied;
      if (this.position === CHUNK_SIZE) this.rotate();
    }
  }

  zeros(count: number): void {
    while (count > 0) {
      const n = Math.min(count, CHUNK_SIZE - this.position);
      this.buffer.fill(0, this.position, this.position + n);
      this.position += n;
      count -= n;
      if (this.position === CHUNK_SIZE) this.rotate();
    }
  }

  /** Reads `size` bytes of a file straight into the chunks, no copy in between. */
  async file(absPath: string, size: number, layerPath: string): Promise<void> {
    const fd = openSync(absPath, 'r');
    try {
      let done = 0;
      while (done < size) {
        const want = Math.min(size - done, CHUNK_SIZE - this.position);
        const got = readSync(fd, this.buffer, this.position, want, done);
        if (got === 0) throw new FileChangedDuringCommitError(layerPath, size, done);
        this.position += got;
        done += got;
        if (this.position === CHUNK_SIZE) {
          this.rotate();
          await this.drain();
        }
      }
    } finally {
      closeSync(fd);
    }
  }

  async drain(): Promise<void> {
    while (this.ready.length > 0) await this.sink.push(this.ready.shift()!);
  }

  /** Pushes everything, including the last partial chunk. */
  async end(): Promise<void> {
    if (this.position > 0) {
      this.ready.push(this.buffer.subarray(0, this.position));
      this.buffer = Buffer.allocUnsafe(0);
      this.position = 0;
    }
    await this.drain();
  }

  private rotate(): void {
    this.ready.push(this.buffer);
    this.buffer = this.sink.reusableBuffer() ?? Buffer.allocUnsafe(CHUNK_SIZE);
    this.position = 0;
  }
}

export interface LayerTarOptions {
  /**
   * Maps ids found on disk to ids in the layer. A rootless upper dir holds
   * shifted ids (100999 for uid 1000 inside); map them back here.
   */
  mapUid?: (uid: number) => number;
  mapGid?: (gid: number) => number;
}

const TYPE_FLAGS: Record<string, TarTypeFlag> = {
  file: '0',
  hardlink: '1',
  symlink: '2',
  char: '3',
  block: '4',
  dir: '5',
  fifo: '6',
};

/** Component-wise path order: every directory comes right before its own subtree. */
function tarOrderKey(path: string): string {
  return path.replaceAll('/', '\u0000');
}

export function sortForTar(entries: readonly ChangeEntry[]): ChangeEntry[] {
  const keyed = entries.map((entry) => ({ entry, key: tarOrderKey(entry.path) }));
  // Change lists arrive in this order already; checking is cheaper than sorting.
  let sorted = true;
  for (let i = 1; i < keyed.length && sorted; i++) if (keyed[i - 1]!.key > keyed[i]!.key) sorted = false;
  if (sorted) return [...entries];
  keyed.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
  return keyed.map((k) => k.entry);
}

function whiteoutName(path: string, baseName: string): string {
  const slash = path.lastIndexOf('/');
  return slash < 0 ? baseName : `${path.slice(0, slash + 1)}${baseName}`;
}

/** OCI whiteouts and opaque markers are empty regular files with mode 0, owned by 0:0. */
function markerHeader(name: string, mtime: number): Buffer {
  return encodeTarHeader({ name, typeFlag: '0', mode: 0, uid: 0, gid: 0, size: 0, mtime });
}

/**
 * Streams the layer tar of `entries` (content read from `sourceDir`) into a
 * sink. Order: component-wise sorted paths, so parents precede children and
 * an opaque marker precedes what the layer puts into that directory.
 */
export async function writeLayerTar(
  entries: readonly ChangeEntry[],
  sourceDir: string,
  sink: ChunkSink,
  options: LayerTarOptions = {},
): Promise<void> {
  const out = new ChunkBuffer(sink);
  const mapUid = options.mapUid ?? ((id: number) => id);
  const mapGid = options.mapGid ?? ((id: number) => id);

  for (const entry of sortForTar(entries)) {
    if (entry.path === '' || entry.path.startsWith('/') || entry.path.split('/').includes('..')) {
      throw new UnrepresentableEntryError(entry.path, 'layer paths are relative and stay inside the layer');
    }
    const mtime = Math.floor(entry.mtime / 1000);

    if (entry.kind === 'deleted') {
      const base = entry.path.slice(entry.path.lastIndexOf('/') + 1);
      out.write(markerHeader(whiteoutName(entry.path, WHITEOUT_PREFIX + base), mtime));
      continue;
    }
    if (entry.type === 'socket') continue; // tar cannot hold sockets; docker leaves them out too

    const typeFlag = TYPE_FLAGS[entry.type];
    if (!typeFlag) throw new UnrepresentableEntryError(entry.path, `unknown entry type ${entry.type}`);
    const header: TarHeaderFields = {
      name: entry.type === 'dir' ? `${entry.path}/` : entry.path,
      typeFlag,
      mode: entry.mode,
      uid: mapUid(entry.uid),
      gid: mapGid(entry.gid),
      size: entry.type === 'file' ? entry.size : 0,
      mtime,
    };
    if (entry.linkTarget !== undefined && (entry.type === 'symlink' || entry.type === 'hardlink')) {
      header.linkName = entry.linkTarget;
    }
    if (entry.type === 'char' || entry.type === 'block') {
      header.devMajor = entry.devMajor ?? 0;
      header.devMinor = entry.devMinor ?? 0;
    }
    if (entry.xattrs && Object.keys(entry.xattrs).length > 0) header.xattrs = entry.xattrs;
    out.write(encodeTarHeader(header));

    if (entry.type === 'file' && entry.size > 0) {
      await out.file(join(sourceDir, entry.path), entry.size, entry.path);
      out.zeros(paddingFor(entry.size));
    }
    if (entry.type === 'dir' && entry.opaque) {
      out.write(markerHeader(`${entry.path}/${OPAQUE_WHITEOUT_NAME}`, mtime));
    }
    await out.drain();
  }
  out.zeros(2 * BLOCK_SIZE); // end-of-archive marker
  await out.end();
}

export interface CommitLayerOptions extends LayerTarOptions {
  /** 'gzip' (default) or 'none' for an uncompressed tar blob. */
  compression?: 'gzip' | 'none';
  /** gzip level, 1 by default. */
  level?: number;
  /**
   * gzip blocks compressing at once (4 by default, libuv's default thread
   * pool size; raising it only helps with UV_THREADPOOL_SIZE raised too).
   */
  maxInFlight?: number;
}

export interface CommittedLayer extends DigestedBlob {}

/**
 * Writes the layer blob of `entries` to `blobPath` and returns its diff_id
 * (sha256 of the tar), digest (sha256 of the blob) and sizes, all from one pass.
 * Write to a temporary name and rename it into a store: this writes in place.
 */
export async function commitLayer(
  entries: readonly ChangeEntry[],
  sourceDir: string,
  blobPath: string,
  options: CommitLayerOptions = {},
): Promise<CommittedLayer> {
  const sink: ChunkSink =
    options.compression === 'none' ? new PlainFile(blobPath) : new ParallelGzipFile(blobPath, { level: options.level, maxInFlight: options.maxInFlight });
  try {
    await writeLayerTar(entries, sourceDir, sink, options);
  } catch (err) {
    sink.abort();
    throw err;
  }
  return sink.finish();
}
