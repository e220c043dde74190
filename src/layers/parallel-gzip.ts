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
 *
 * A block that looks incompressible (random or already compressed data:
 * order-0 entropy of slices of it near 8 bits a byte) is written as deflate
 * stored blocks instead. zlib level 1 spends ~20 ms a MiB on such data here
 * to make it 0.03% larger; stored, it costs a copy and grows by 5 bytes in
 * 64 KiB. Go's klauspost/compress, which BuildKit uses, skips such data too.
 */
import { createHash, type Hash } from 'node:crypto';
import { closeSync, openSync, writeSync, writevSync } from 'node:fs';
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

/** The entropy estimate samples 8 slices of 4 KiB spread over a block. */
const SAMPLE_SLICES = 8;
const SAMPLE_SLICE = 4096;
/**
 * Random 4 KiB slices measure ~7.955 bits a byte, and gzip, zstd and xz
 * output 7.86-7.96, where level-1 deflate gains 0.2-0.3%. Text measures near
 * 5 and executables near 6. Above this, Huffman coding alone could gain ~1%.
 */
const HIGH_ENTROPY_BITS = 7.85;
/** One slice may fall on a tar header (mostly zeros) and still count. */
const HIGH_ENTROPY_SLICES_NEEDED = SAMPLE_SLICES - 1;

/** Whether deflate would gain next to nothing on `block`, from the byte entropy of slices of it. */
export function looksIncompressible(block: Buffer): boolean {
  if (block.length < SAMPLE_SLICES * SAMPLE_SLICE) return false; // small: compressing it is cheap
  const counts = new Uint32Array(256);
  const step = Math.floor((block.length - SAMPLE_SLICE) / (SAMPLE_SLICES - 1));
  let highEntropySlices = 0;
  for (let slice = 0; slice < SAMPLE_SLICES; slice++) {
    counts.fill(0);
    const start = slice * step;
    for (let i = start; i < start + SAMPLE_SLICE; i++) counts[block[i]!]!++;
    let bits = 0;
    for (const count of counts) {
      if (count > 0) {
        const p = count / SAMPLE_SLICE;
        bits -= p * Math.log2(p);
      }
    }
    if (bits >= HIGH_ENTROPY_BITS) highEntropySlices++;
    // Give up as soon as the rest cannot reach the count.
    if (highEntropySlices + (SAMPLE_SLICES - 1 - slice) < HIGH_ENTROPY_SLICES_NEEDED) return false;
  }
  return true;
}

/**
 * Below this a block is deflated on the main thread: a 1 MiB output buffer
 * and zlib state per stream cost 2-10 ms to set up for a layer of a few
 * small files, which deflates in well under a millisecond.
 */
const SMALL_BLOCK = 256 * 1024;

/** Largest length of one deflate stored block. */
const STORED_MAX = 65535;

/**
 * `raw` as non-final deflate stored blocks. Every block before it ended on a
 * byte boundary (full flush), and these end on one too, so they slot in
 * between compressed blocks. The data parts are views of `raw`: copying them
 * into one buffer took a third of a 4 MB layer's commit.
 */
export function storedDeflateBlocks(raw: Buffer): Buffer[] {
  const pieces = Math.max(1, Math.ceil(raw.length / STORED_MAX));
  const headers = Buffer.allocUnsafe(pieces * 5);
  const parts: Buffer[] = [];
  for (let piece = 0; piece < pieces; piece++) {
    const from = piece * STORED_MAX;
    const length = Math.min(STORED_MAX, raw.length - from);
    const at = piece * 5;
    headers[at] = 0x00; // BFINAL 0, BTYPE 00 (stored), then padding to the byte
    headers.writeUInt16LE(length, at + 1);
    headers.writeUInt16LE(~length & 0xffff, at + 3);
    parts.push(headers.subarray(at, at + 5), raw.subarray(from, from + length));
  }
  return parts;
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
  compressed: Promise<Buffer | Buffer[]>;
}

export class ParallelGzipFile implements ChunkSink {
  private readonly fd: number;
  private readonly rawHash: Hash = createHash('sha256');
  private readonly blobHash: Hash = createHash('sha256');
  private crc = 0;
  private rawSize = 0;
  private blobSize = 0;
  /** Made as blocks need them: a small layer uses none. */
  private readonly deflaters: Array<BlockDeflater | undefined>;
  private readonly level: number;
  private nextDeflater = 0;
  private readonly inFlight: BlockInFlight[] = [];
  private readonly spare: Buffer[] = [];
  private readonly maxInFlight: number;
  private closed = false;

  constructor(path: string, options: ParallelGzipOptions = {}) {
    this.maxInFlight = options.maxInFlight ?? 4;
    this.fd = openSync(path, 'w');
    this.level = options.level ?? 1;
    this.deflaters = new Array<BlockDeflater | undefined>(this.maxInFlight).fill(undefined);
    // A fixed header (no name, mtime 0, OS unix) keeps the blob a function of the data.
    this.emit(Buffer.from([0x1f, 0x8b, 0x08, 0x00, 0, 0, 0, 0, 0x00, 0x03]));
  }

  async push(chunk: Buffer): Promise<void> {
    if (chunk.length === 0) return;
    this.rawHash.update(chunk);
    this.crc = zlib.crc32(chunk, this.crc);
    this.rawSize += chunk.length;
    let compressed: Promise<Buffer | Buffer[]>;
    if (looksIncompressible(chunk)) {
      compressed = Promise.resolve(storedDeflateBlocks(chunk));
    } else if (chunk.length < SMALL_BLOCK) {
      // A small layer (or the tail of one): on this thread, with no stream to
      // set up, which cost more than the compression here.
      compressed = Promise.resolve(zlib.deflateRawSync(chunk, { level: this.level, finishFlush: zlib.constants.Z_FULL_FLUSH }));
    } else {
      // Streams take blocks in turn, so each has finished its previous block
      // (at most maxInFlight back) before it gets the next.
      const slot = this.nextDeflater;
      this.nextDeflater = (slot + 1) % this.deflaters.length;
      const deflater = (this.deflaters[slot] ??= new BlockDeflater(this.level));
      compressed = deflater.compress(chunk);
    }
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

  private emit(bytes: Buffer | Buffer[]): void {
    if (!Array.isArray(bytes)) bytes = [bytes];
    let total = 0;
    for (const part of bytes) {
      this.blobHash.update(part);
      total += part.length;
    }
    let written = writevSync(this.fd, bytes);
    // A short write (rare for a file) goes on part by part from where it stopped.
    for (const part of bytes) {
      if (written >= part.length) {
        written -= part.length;
        continue;
      }
      while (written < part.length) written += writeSync(this.fd, part, written);
      written = 0;
    }
    this.blobSize += total;
  }

  private close(): void {
    if (this.closed) return;
    this.closed = true;
    for (const deflater of this.deflaters) deflater?.close();
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
