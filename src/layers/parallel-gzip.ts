/**
 * Gzip the way pigz does it, inside Node: 1 MiB blocks are deflated at the
 * same time on libuv's thread pool, each primed with the last 32 KiB of the
 * block before it and ended with a sync flush, and the blocks are written in
 * order as one gzip member. The CRC comes from zlib.crc32 over the raw data.
 * PERF-NOTES.md measured this at the speed of `tar | pigz -1`.
 *
 * It also takes the sha256 of the raw data (the layer's diff_id) and of the
 * blob (its digest) in the same pass, and writes the blob to a file.
 */
import { createHash, type Hash } from 'node:crypto';
import { closeSync, openSync, writeSync } from 'node:fs';
import zlib from 'node:zlib';

const DICTIONARY_BYTES = 32 * 1024;

export interface DigestedBlob {
  /** sha256 of the uncompressed data: the layer's diff_id. */
  diffId: string;
  /** sha256 of the bytes written to the file: the blob digest. */
  digest: string;
  /** Bytes written to the file. */
  size: number;
  uncompressedSize: number;
}

/** Where a tar writer sends its output, in order, in large chunks. */
export interface ChunkSink {
  /** May resolve later, to hold the writer back while blocks are in flight. */
  push(chunk: Buffer): Promise<void> | void;
  finish(): Promise<DigestedBlob>;
  /** Stops and releases the file after a failure. */
  abort(): void;
}

function deflateBlock(data: Buffer, level: number, dictionary: Buffer | undefined, final: boolean): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const options: zlib.ZlibOptions = {
      level,
      // One output buffer big enough for the whole block: with the default
      // 16 KiB, every block bounces between the thread pool and the main
      // thread dozens of times, and the main thread becomes the bottleneck.
      chunkSize: data.length + (data.length >>> 3) + 1024,
      finishFlush: final ? zlib.constants.Z_FINISH : zlib.constants.Z_SYNC_FLUSH,
    };
    if (dictionary) options.dictionary = dictionary;
    zlib.deflateRaw(data, options, (error, result) => (error ? reject(error) : resolve(result)));
  });
}

export interface ParallelGzipOptions {
  /** zlib level; 1 by default (level 6 is 9% smaller and 1.6× slower here). */
  level?: number;
  /** Blocks compressing at once; the thread pool has 4 threads by default. */
  maxInFlight?: number;
}

export class ParallelGzipFile implements ChunkSink {
  private readonly fd: number;
  private readonly rawHash: Hash = createHash('sha256');
  private readonly blobHash: Hash = createHash('sha256');
  private crc = 0;
  private rawSize = 0;
  private blobSize = 0;
  private previous: Buffer | undefined;
  private readonly inFlight: Promise<Buffer>[] = [];
  private readonly level: number;
  private readonly maxInFlight: number;
  private closed = false;

  constructor(path: string, options: ParallelGzipOptions = {}) {
    this.level = options.level ?? 1;
    this.maxInFlight = options.maxInFlight ?? 4;
    this.fd = openSync(path, 'w');
    // A fixed header (no name, mtime 0, OS unix) keeps the blob a function of the data.
    this.emit(Buffer.from([0x1f, 0x8b, 0x08, 0x00, 0, 0, 0, 0, 0x00, 0x03]));
  }

  async push(chunk: Buffer): Promise<void> {
    if (chunk.length === 0) return;
    this.rawHash.update(chunk);
    this.crc = zlib.crc32(chunk, this.crc);
    this.rawSize += chunk.length;
    const dictionary = this.previous
      ? this.previous.subarray(Math.max(0, this.previous.length - DICTIONARY_BYTES))
      : undefined;
    this.previous = chunk;
    const block = deflateBlock(chunk, this.level, dictionary, false);
    block.catch(() => undefined); // a failure is seen when the block's turn comes
    this.inFlight.push(block);
    while (this.inFlight.length >= this.maxInFlight) await this.writeOldest();
  }

  async finish(): Promise<DigestedBlob> {
    try {
      while (this.inFlight.length > 0) await this.writeOldest();
      // An empty final block closes the deflate stream.
      this.emit(await deflateBlock(Buffer.alloc(0), this.level, undefined, true));
      const trailer = Buffer.alloc(8);
      trailer.writeUInt32LE(this.crc >>> 0, 0);
      trailer.writeUInt32LE(this.rawSize % 2 ** 32, 4);
      this.emit(trailer);
    } finally {
      this.close();
    }
    return {
      diffId: `sha256:${this.rawHash.digest('hex')}`,
      digest: `sha256:${this.blobHash.digest('hex')}`,
      size: this.blobSize,
      uncompressedSize: this.rawSize,
    };
  }

  abort(): void {
    this.close();
  }

  private async writeOldest(): Promise<void> {
    const compressed = await this.inFlight.shift()!;
    this.emit(compressed);
  }

  private emit(bytes: Buffer): void {
    this.blobHash.update(bytes);
    let written = 0;
    while (written < bytes.length) written += writeSync(this.fd, bytes, written);
    this.blobSize += bytes.length;
  }

  private close(): void {
    if (this.closed) return;
    this.closed = true;
    closeSync(this.fd);
  }
}

/** The same interface for an uncompressed blob: diff_id and digest are then equal. */
export class PlainFile implements ChunkSink {
  private readonly fd: number;
  private readonly hash: Hash = createHash('sha256');
  private size = 0;
  private closed = false;

  constructor(path: string) {
    this.fd = openSync(path, 'w');
  }

  push(chunk: Buffer): void {
    this.hash.update(chunk);
    let written = 0;
    while (written < chunk.length) written += writeSync(this.fd, chunk, written);
    this.size += chunk.length;
  }

  async finish(): Promise<DigestedBlob> {
    this.abort();
    const digest = `sha256:${this.hash.digest('hex')}`;
    return { diffId: digest, digest, size: this.size, uncompressedSize: this.size };
  }

  abort(): void {
    if (this.closed) return;
    this.closed = true;
    closeSync(this.fd);
  }
}
