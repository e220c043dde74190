import { createHash } from 'node:crypto';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { createGzip } from 'node:zlib';
import { decompressLayer, type DetectedCompression } from './layer-compression.js';
import { MediaTypes, type Descriptor } from './oci-types.js';
import type { BlobWriter, Store } from './store.js';

/**
 * Put a layer into the store from a stream, learning its diff_id on the way.
 * `keep` stores the bytes as given (gzip or plain tar), so the blob digest of
 * the source survives; `gzip` compresses a plain tar (a gzip input is kept).
 */
export interface IngestedLayer {
  descriptor: Descriptor;
  diffId: string;
  uncompressedSize: number;
  compression: DetectedCompression;
}

export class NotATarError extends Error {
  readonly isUserError = true;
  readonly exitCode = 2;
  constructor(readonly what: string, problem: string) {
    super(`${what} is not a tar archive: ${problem}`);
    this.name = 'NotATarError';
  }
}

export async function ingestLayer(
  store: Store,
  source: AsyncIterable<Buffer>,
  options: { compression: 'keep' | 'gzip'; what: string },
): Promise<IngestedLayer> {
  const writer = await store.createBlobWriter();
  try {
    const diffHash = createHash('sha256');
    const check = new TarShapeCheck(options.what);
    let uncompressedSize = 0;
    let detected = 'none' as DetectedCompression;
    const raw: Buffer[] = [];
    // Set once we know the bytes will be recompressed: then the raw input is not kept.
    let discardRaw = false;
    const uncompressed = decompressLayer(
      source,
      options.what,
      (chunk) => {
        if (!discardRaw) raw.push(chunk);
      },
      (compression) => (detected = compression),
    );
    const hashed = (async function* () {
      for await (const chunk of uncompressed) {
        diffHash.update(chunk);
        uncompressedSize += chunk.length;
        check.feed(chunk);
        yield chunk;
      }
      check.end();
    })();

    // The compression is known once the first chunk is out.
    const first = await hashed.next();
    const rest = (async function* () {
      if (!first.done) yield first.value;
      yield* hashed;
    })();
    const gzipIt = options.compression === 'gzip' && detected === 'none';
    if (gzipIt) {
      discardRaw = true;
      raw.length = 0;
      await pipeline(Readable.from(rest), createGzip(), async (compressed: AsyncIterable<Buffer>) => {
        for await (const chunk of compressed) await writer.write(chunk);
      });
    } else {
      await drain(writer, raw);
      for await (const _chunk of rest) await drain(writer, raw);
      await drain(writer, raw);
    }
    const { digest, size } = await writer.commit();
    const gzip = gzipIt || detected === 'gzip';
    return {
      descriptor: { mediaType: gzip ? MediaTypes.ociLayerGzip : MediaTypes.ociLayer, digest, size },
      diffId: `sha256:${diffHash.digest('hex')}`,
      uncompressedSize,
      compression: gzip ? 'gzip' : 'none',
    };
  } catch (err) {
    await writer.abort();
    throw err;
  }
}

async function drain(writer: BlobWriter, raw: Buffer[]): Promise<void> {
  while (raw.length > 0) await writer.write(raw.shift()!);
}

/**
 * A cheap check that a stream is a tar: the first header's checksum is right
 * (or the archive is empty) and the length is whole 512-byte blocks. Full
 * parsing happens when the layer is applied.
 */
class TarShapeCheck {
  private head = Buffer.alloc(0);
  private size = 0;
  constructor(private readonly what: string) {}

  feed(chunk: Buffer): void {
    this.size += chunk.length;
    if (this.head.length < 512) this.head = Buffer.concat([this.head, chunk.subarray(0, 512 - this.head.length)]);
  }

  end(): void {
    if (this.size === 0) throw new NotATarError(this.what, 'it is empty');
    if (this.size % 512 !== 0) throw new NotATarError(this.what, `its length ${this.size} is not a multiple of 512`);
    if (this.head.every((b) => b === 0)) return;
    const stored = Number.parseInt(this.head.subarray(148, 156).toString('latin1').replace(/[\0 ]/g, ''), 8);
    let sum = 0;
    for (let i = 0; i < 512; i++) sum += i >= 148 && i < 156 ? 0x20 : this.head[i]!;
    if (stored !== sum) throw new NotATarError(this.what, 'the first header checksum is wrong');
  }
}
