/**
 * Gzip the way pigz does it, inside Node: 1 MiB blocks are deflated at the
 * same time on libuv's thread pool, each ending in a full flush, and written
 * in order as one gzip member whose CRC comes from zlib.crc32 over the raw
 * data. It also takes the sha256 of the raw data (the layer's diff_id) and of
 * the blob (its digest) in the same pass, and writes the blob to a file.
 *
 * PERF-NOTES.md primes each block with the previous block's last 32 KiB as a
 * dictionary. Node can only set a dictionary when it creates a zlib context,
 * and a context per block (plus its output buffer) churned enough native
 * memory to cost ~2 s of full garbage collections per 450 MB on the main
 * thread. So blocks go through a few long-lived streams instead, each block
 * independent of the others (pigz -i): the blob is ~0.2% larger, and the main
 * thread is free to feed the compressors.
 */
import { createHash, type Hash } from 'node:crypto';
import { closeSync, openSync, writeSync } from 'node:fs';
import zlib from 'node:zlib';

export const BLOCK_SIZE = 1024 * 1024;

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
  /**
   * Takes a chunk; the sink owns it from then on. May resolve later, to hold
   * the writer back while blocks are in flight.
   */
  push(chunk: Buffer): Promise<void> | void;
  /** A BLOCK_SIZE buffer the sink is done with, to fill again (saves allocations). */
  reusableBuffer(): Buffer | undefined;
  finish(): Promise<DigestedBlob>;
  /** Stops and releases the file after a failure. */
  abort(): void;
}

/**
 * A long-lived raw deflate stream that compresses one block at a time and
 * ends it with a full flush: the output is byte-aligned and refers to nothing
 * before it, so blocks from different streams concatenate into one valid
 * deflate stream.
 */
class BlockDeflater {
  private readonly stream: zlib.DeflateRaw;
  private failure: Error | undefined;

  constructor(level: number) {
    // The output is read after the flush; a high readable mark keeps
    // backpressure from stalling the stream before that (zlib passes stream
    // options through). One output buffer holds a whole block.
    const options: zlib.ZlibOptions & { readableHighWaterMark: number } = {
      level,
      chunkSize: BLOCK_SIZE + (BLOCK_SIZE >>> 3) + 1024,
      readableHighWaterMark: 4 * BLOCK_SIZE,
    };
    this.stream = zlib.createDeflateRaw(options);
    this.stream.on('error', (error) => (this.failure = error));
  }

  compress(block: Buffer): Promise<Buffer> {
    return new Promise((resolve, reject) => {
      this.stream.write(block);
      this.stream.flush(zlib.constants.Z_FULL_FLUSH, () => {
        if (this.failure) return reject(this.failure);
        const parts: Buffer[] = [];
        for (let part: Buffer | null = this.stream.read(); part !== null; part = this.stream.read()) parts.push(part);
        resolve(parts.length === 1 ? parts[0]! : Buffer.concat(parts));
      });
    });
  }

  close(): void {
    this.stream.destroy();
  }
}

/** The end of a deflate stream: an empty final fixed-Huffman block. */
const FINAL_DEFLATE_BLOCK = Buffer.from([0x03, 0x00]);

export interface ParallelGzipOptions {
  /** zlib level; 1 by default (level 6 is 9% smaller and 1.6× slower here). */
  level?: number;
  /** Blocks compressing at once; libuv's thread pool has 4 threads by default. */
  maxInFlight?: number;
}

interface BlockInFlight {
  raw: Buffer;
  compressed: Promise<Buffer>;
}

export class ParallelGzipFile implements ChunkSink {
  private readonly fd: number;
  private readonly rawHash: Hash = createHash('sha256');
  private readonly blobHash: Hash = createHash('sha256');
  private crc = 0;
  private rawSize = 0;
  private blobSize = 0;
  private readonly deflaters: BlockDeflater[];
  private nextDeflater = 0;
  private readonly inFlight: BlockInFlight[] = [];
  private readonly spare: Buffer[] = [];
  private readonly maxInFlight: number;
  private closed = false;

  constructor(path: string, options: ParallelGzipOptions = {}) {
    this.maxInFlight = options.maxInFlight ?? 4;
    this.fd = openSync(path, 'w');
    this.deflaters = Array.from({ length: this.maxInFlight }, () => new BlockDeflater(options.level ?? 1));
    // A fixed header (no name, mtime 0, OS unix) keeps the blob a function of the data.
    this.emit(Buffer.from([0x1f, 0x8b, 0x08, 0x00, 0, 0, 0, 0, 0x00, 0x03]));
  }

  async push(chunk: Buffer): Promise<void> {
    if (chunk.length === 0) return;
    this.rawHash.update(chunk);
    this.crc = zlib.crc32(chunk, this.crc);
    this.rawSize += chunk.length;
    // Streams take blocks in turn, so each has finished its previous block
    // (at most maxInFlight back) before it gets the next.
    const deflater = this.deflaters[this.nextDeflater]!;
    this.nextDeflater = (this.nextDeflater + 1) % this.deflaters.length;
    const compressed = deflater.compress(chunk);
    compressed.catch(() => undefined); // seen when the block's turn comes
    this.inFlight.push({ raw: chunk, compressed });
    while (this.inFlight.length >= this.maxInFlight) await this.writeOldest();
  }

  reusableBuffer(): Buffer | undefined {
    return this.spare.pop();
  }

  async finish(): Promise<DigestedBlob> {
    try {
      while (this.inFlight.length > 0) await this.writeOldest();
      this.emit(FINAL_DEFLATE_BLOCK);
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
    const block = this.inFlight.shift()!;
    this.emit(await block.compressed);
    if (block.raw.length === BLOCK_SIZE && this.spare.length < 2) this.spare.push(block.raw);
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
    for (const deflater of this.deflaters) deflater.close();
    closeSync(this.fd);
  }
}

/** The same interface for an uncompressed blob: diff_id and digest are then equal. */
export class PlainFile implements ChunkSink {
  private readonly fd: number;
  private readonly hash: Hash = createHash('sha256');
  private size = 0;
  private spare: Buffer | undefined;
  private closed = false;

  constructor(path: string) {
    this.fd = openSync(path, 'w');
  }

  push(chunk: Buffer): void {
    this.hash.update(chunk);
    let written = 0;
    while (written < chunk.length) written += writeSync(this.fd, chunk, written);
    this.size += chunk.length;
    if (chunk.length === BLOCK_SIZE) this.spare = chunk;
  }

  reusableBuffer(): Buffer | undefined {
    const buffer = this.spare;
    this.spare = undefined;
    return buffer;
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
