import { createGunzip } from 'node:zlib';

/**
 * Turn a layer blob's bytes into its uncompressed tar bytes. The compression
 * is read from the data (magic numbers), not trusted from the media type:
 * archives in the wild label plain tars as gzip and the other way round.
 */
export type DetectedCompression = 'gzip' | 'none';

export class UnsupportedLayerCompressionError extends Error {
  readonly isUserError = true;
  readonly exitCode = 2;
  constructor(readonly compression: string, readonly what: string) {
    super(`${what} is compressed with ${compression}, which layerlab does not support (only gzip and uncompressed tar layers)`);
    this.name = 'UnsupportedLayerCompressionError';
  }
}

const magics: Array<{ name: string; bytes: number[] }> = [
  { name: 'zstd', bytes: [0x28, 0xb5, 0x2f, 0xfd] },
  { name: 'xz', bytes: [0xfd, 0x37, 0x7a, 0x58, 0x5a, 0x00] },
  { name: 'bzip2', bytes: [0x42, 0x5a, 0x68] },
];

export function detectCompression(head: Buffer, what: string): DetectedCompression {
  if (head.length >= 2 && head[0] === 0x1f && head[1] === 0x8b) return 'gzip';
  for (const magic of magics) {
    if (head.length >= magic.bytes.length && magic.bytes.every((b, i) => head[i] === b)) {
      throw new UnsupportedLayerCompressionError(magic.name, what);
    }
  }
  return 'none';
}

/**
 * Yields the uncompressed bytes of `source`. `onCompressedChunk` sees every
 * input byte (for the blob digest); `onDetected` is told the compression.
 */
export async function* decompressLayer(
  source: AsyncIterable<Buffer>,
  what: string,
  onCompressedChunk?: (chunk: Buffer) => void,
  onDetected?: (compression: DetectedCompression) => void,
): AsyncGenerator<Buffer> {
  const iterator = source[Symbol.asyncIterator]();
  const head: Buffer[] = [];
  let headLength = 0;
  let ended = false;
  while (headLength < 6) {
    const next = await iterator.next();
    if (next.done) {
      ended = true;
      break;
    }
    onCompressedChunk?.(next.value);
    head.push(next.value);
    headLength += next.value.length;
  }
  const compression = detectCompression(Buffer.concat(head), what);
  onDetected?.(compression);

  async function* rest(): AsyncGenerator<Buffer> {
    yield* head;
    if (ended) return;
    for (;;) {
      const next = await iterator.next();
      if (next.done) return;
      onCompressedChunk?.(next.value);
      yield next.value;
    }
  }

  if (compression === 'none') {
    yield* rest();
    return;
  }
  const gunzip = createGunzip();
  const feeding = (async () => {
    try {
      for await (const chunk of rest()) {
        if (gunzip.destroyed) return;
        // 'close' too: a consumer that stops early destroys gunzip, and 'drain' never comes.
        if (!gunzip.write(chunk)) await drainOrClose(gunzip);
      }
      if (!gunzip.destroyed) gunzip.end();
    } catch (err) {
      gunzip.destroy(err as Error);
    }
  })();
  try {
    for await (const chunk of gunzip) yield chunk as Buffer;
  } finally {
    gunzip.destroy();
    await feeding;
    await iterator.return?.();
  }
}

/** Wait until a writable wants more data or is gone, leaving no listener behind. */
export function drainOrClose(stream: { on(event: string, fn: () => void): unknown; off(event: string, fn: () => void): unknown }): Promise<void> {
  return new Promise((resolve) => {
    const done = () => {
      stream.off('drain', done);
      stream.off('close', done);
      resolve();
    };
    stream.on('drain', done);
    stream.on('close', done);
  });
}
