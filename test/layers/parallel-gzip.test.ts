/**
 * The pigz-style gzip writer: blocks deflated in parallel, incompressible
 * blocks stored, one valid gzip member with both digests.
 */
import { execFileSync } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import zlib from 'node:zlib';
import { afterAll, describe, expect, it } from 'vitest';
import { BLOCK_SIZE, looksIncompressible, ParallelGzipFile, storedDeflateBlocks } from '../../src/layers/parallel-gzip.js';

const dir = mkdtempSync(join(tmpdir(), 'll-pgzip-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** Text that deflate shrinks to about a third. */
function textBlock(size: number): Buffer {
  const words = ['layer', 'overlay', 'whiteout', 'digest', 'manifest', 'config', 'RUN', 'COPY', '\n'];
  let text = '';
  for (let i = 0; text.length < size; i++) text += `${words[(i * 7919) % words.length]} ${i % 1000} `;
  return Buffer.from(text.slice(0, size));
}

/** A tar-like block: random file data with a mostly-zero 512-byte header every 100 KiB. */
function randomWithHeaders(size: number): Buffer {
  const block = randomBytes(size);
  for (let at = 0; at + 512 <= size; at += 100 * 1024) block.fill(0, at + 100, at + 512);
  return block;
}

describe('looksIncompressible', () => {
  it('stores random data and data compressed already, tar headers and all', () => {
    expect(looksIncompressible(randomBytes(BLOCK_SIZE))).toBe(true);
    expect(looksIncompressible(randomWithHeaders(BLOCK_SIZE))).toBe(true);
    const executable = readFileSync(process.execPath).subarray(0, 8 * BLOCK_SIZE);
    for (const level of [1, 6, 9]) expect(looksIncompressible(zlib.gzipSync(executable, { level }).subarray(0, BLOCK_SIZE))).toBe(true);
  });

  it('compresses text, executables, mixed blocks and small blocks', () => {
    expect(looksIncompressible(textBlock(BLOCK_SIZE))).toBe(false);
    expect(looksIncompressible(readFileSync(process.execPath).subarray(BLOCK_SIZE, 2 * BLOCK_SIZE))).toBe(false);
    expect(looksIncompressible(Buffer.concat([randomBytes(BLOCK_SIZE / 2), textBlock(BLOCK_SIZE / 2)]))).toBe(false);
    expect(looksIncompressible(randomBytes(16 * 1024))).toBe(false);
  });
});

describe('storedDeflateBlocks', () => {
  it('inflates back to the input at every size around the 64 KiB limit', () => {
    for (const size of [0, 1, 65534, 65535, 65536, 3 * 65535, 3 * 65535 + 7]) {
      const raw = randomBytes(size);
      const stream = Buffer.concat([...storedDeflateBlocks(raw), Buffer.from([0x03, 0x00])]);
      expect(zlib.inflateRawSync(stream).equals(raw)).toBe(true);
    }
  });
});

describe('ParallelGzipFile', () => {
  it('writes a small layer in one member too', async () => {
    const input = textBlock(50_000);
    const path = join(dir, 'small.gz');
    const sink = new ParallelGzipFile(path);
    await sink.push(Buffer.from(input));
    const blob = await sink.finish();
    expect(zlib.gunzipSync(readFileSync(path)).equals(input)).toBe(true);
    expect(execFileSync('gzip', ['-t', path]).length).toBe(0);
    expect(blob.size).toBeLessThan(input.length / 2);
  });


  it('writes one gzip member of stored and compressed blocks, with both digests', async () => {
    const parts = [
      randomBytes(BLOCK_SIZE),
      textBlock(BLOCK_SIZE),
      randomWithHeaders(BLOCK_SIZE),
      textBlock(100_000), // small: deflated on the main thread, between stream blocks
      textBlock(BLOCK_SIZE),
      randomBytes(300_000),
    ];
    const input = Buffer.concat(parts);
    const path = join(dir, 'mixed.gz');
    const sink = new ParallelGzipFile(path);
    for (const part of parts) await sink.push(Buffer.from(part));
    const blob = await sink.finish();
    const written = readFileSync(path);
    expect(execFileSync('gzip', ['-t', path]).length).toBe(0);
    expect(zlib.gunzipSync(written).equals(input)).toBe(true);
    expect(blob.diffId).toBe(`sha256:${createHash('sha256').update(input).digest('hex')}`);
    expect(blob.digest).toBe(`sha256:${createHash('sha256').update(written).digest('hex')}`);
    expect(blob.size).toBe(written.length);
    expect(blob.uncompressedSize).toBe(input.length);
    // The random blocks are stored (5 bytes per 64 KiB), the text ones to under 40%.
    const randomTotal = 2 * BLOCK_SIZE + 300_000;
    expect(written.length).toBeGreaterThan(randomTotal);
    expect(written.length).toBeLessThan(randomTotal * 1.001 + 0.4 * (2 * BLOCK_SIZE + 100_000));
  });
});
