import { createHash } from 'node:crypto';
import { mkdtemp, readFile, readdir, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { BlobNotFoundError, CorruptBlobError, DigestMismatchError, SizeMismatchError, Store } from '../../src/image/store.js';
import { MediaTypes } from '../../src/image/oci-types.js';
import { buildGzipTar } from './tar-builder.js';

const sha = (data: Buffer | string) => `sha256:${createHash('sha256').update(data).digest('hex')}`;

let root: string;
let store: Store;
beforeEach(async () => {
  root = await mkdtemp(join(tmpdir(), 'layerlab-store-'));
  store = await Store.open(root);
});
afterEach(async () => {
  await rm(root, { recursive: true, force: true });
});

describe('Store blobs', () => {
  it('writes a blob under blobs/sha256/<hex> and reads it back verified', async () => {
    const { digest, size } = await store.writeBlob('hello');
    expect(digest).toBe(sha('hello'));
    expect(size).toBe(5);
    expect(store.blobPath(digest)).toBe(join(root, 'blobs', 'sha256', digest.slice(7)));
    expect(await store.hasBlob(digest)).toBe(true);
    expect(await store.blobSize(digest)).toBe(5);
    expect((await store.readBlob(digest)).toString()).toBe('hello');
  });

  it('refuses content that does not match the expected digest and stores nothing', async () => {
    await expect(store.writeBlob('hello', sha('other'))).rejects.toBeInstanceOf(DigestMismatchError);
    expect(await store.hasBlob(sha('hello'))).toBe(false);
    expect(await store.hasBlob(sha('other'))).toBe(false);
    expect(await readdir(join(root, 'tmp'))).toEqual([]);
  });

  it('detects a blob damaged on disk when it is read', async () => {
    const { digest } = await store.writeBlob('{"a":1}');
    await writeFile(store.blobPath(digest), '{"a":2}');
    await expect(store.readBlob(digest)).rejects.toBeInstanceOf(CorruptBlobError);
    await expect(store.verifyBlob(digest)).rejects.toBeInstanceOf(CorruptBlobError);
  });

  it('reports a missing blob clearly', async () => {
    await expect(store.readBlob(sha('missing'))).rejects.toBeInstanceOf(BlobNotFoundError);
    expect(await store.blobSize(sha('missing'))).toBeUndefined();
  });

  it('streams a blob in with a writer that verifies size and digest on commit', async () => {
    const data = Buffer.alloc(300_000, 7);
    const writer = await store.createBlobWriter({ digest: sha(data), size: data.length });
    await writer.write(data.subarray(0, 100_000));
    await writer.write(data.subarray(100_000));
    expect(writer.written).toBe(data.length);
    expect(await store.hasBlob(sha(data))).toBe(false);
    expect(await writer.commit()).toEqual({ digest: sha(data), size: data.length });
    expect(await store.hasBlob(sha(data))).toBe(true);
  });

  it('a writer with a truncated body or wrong digest leaves nothing behind', async () => {
    const data = Buffer.from('abcdef');
    const short = await store.createBlobWriter({ digest: sha(data), size: 6 });
    await short.write(data.subarray(0, 3));
    await expect(short.commit()).rejects.toBeInstanceOf(SizeMismatchError);
    const wrong = await store.createBlobWriter({ digest: sha('xyz') });
    await wrong.write(data);
    await expect(wrong.commit()).rejects.toBeInstanceOf(DigestMismatchError);
    const aborted = await store.createBlobWriter();
    await aborted.write(data);
    await aborted.abort();
    expect(await readdir(join(root, 'tmp'))).toEqual([]);
    expect(await readdir(join(root, 'blobs', 'sha256'))).toEqual([]);
  });
});

describe('Store refs', () => {
  it('sets, lists, gets and deletes refs', async () => {
    const manifest = await store.writeBlob('{}');
    await store.setRef('docker.io/library/b:1', { digest: manifest.digest, mediaType: MediaTypes.ociManifest });
    await store.setRef('docker.io/library/a:1', { digest: manifest.digest, mediaType: MediaTypes.ociManifest });
    expect((await store.listRefs()).map((r) => r.name)).toEqual(['docker.io/library/a:1', 'docker.io/library/b:1']);
    expect(await store.getRef('docker.io/library/a:1')).toEqual({ digest: manifest.digest, mediaType: MediaTypes.ociManifest });
    expect(await store.getRef('toString')).toBeUndefined();
    expect(await store.deleteRef('docker.io/library/a:1')).toBe(true);
    expect(await store.deleteRef('docker.io/library/a:1')).toBe(false);
    expect(await store.getRef('docker.io/library/a:1')).toBeUndefined();
  });

  it('keeps every ref when many are set concurrently', async () => {
    const { digest } = await store.writeBlob('{}');
    await Promise.all(Array.from({ length: 20 }, (_, i) => store.setRef(`r/${i}:t`, { digest, mediaType: MediaTypes.ociManifest })));
    expect(await store.listRefs()).toHaveLength(20);
  });
});

describe('Store unpacked layers', () => {
  it('unpacks a layer by diff_id after checking both digests, as an overlay lower dir', async () => {
    const layer = await buildGzipTar([
      { name: 'etc/', type: 'directory' },
      { name: 'etc/hello', content: 'hi\n' },
      { name: 'gone/.wh.old' },
    ]);
    const { gunzipSync } = await import('node:zlib');
    const diffId = sha(gunzipSync(layer));
    const blob = await store.writeBlob(layer);
    const dir = await store.ensureUnpackedLayer(diffId, blob.digest, MediaTypes.ociLayerGzip);
    expect(dir).toBe(store.unpackedLayerPath(diffId));
    expect(await readFile(join(dir, 'etc/hello'), 'utf8')).toBe('hi\n');
    const whiteout = await stat(join(dir, 'gone/old'));
    expect(whiteout.isCharacterDevice()).toBe(true);
    expect(whiteout.rdev).toBe(0);
    expect(await store.hasUnpackedLayer(diffId)).toBe(true);
    expect(await readdir(join(root, 'tmp'))).toEqual([]);
  });

  it('refuses a blob whose content does not give the diff_id and leaves no layer dir', async () => {
    const layer = await buildGzipTar([{ name: 'a', content: 'a' }]);
    const blob = await store.writeBlob(layer);
    const wrongDiffId = sha('not the tar');
    await expect(store.ensureUnpackedLayer(wrongDiffId, blob.digest, MediaTypes.ociLayerGzip)).rejects.toThrow(/diff_id/);
    expect(await store.hasUnpackedLayer(wrongDiffId)).toBe(false);
    expect(await readdir(join(root, 'layers'))).toEqual([]);
    expect(await readdir(join(root, 'tmp'))).toEqual([]);
  });

  it('refuses a stored layer blob damaged on disk', async () => {
    const layer = await buildGzipTar([{ name: 'a', content: 'a' }]);
    const { gunzipSync, gzipSync } = await import('node:zlib');
    const diffId = sha(gunzipSync(layer));
    const blob = await store.writeBlob(layer);
    // Same tar, different gzip bytes: the diff_id still matches but the blob digest does not.
    await writeFile(store.blobPath(blob.digest), gzipSync(gunzipSync(layer), { level: 1 }));
    await expect(store.ensureUnpackedLayer(diffId, blob.digest, MediaTypes.ociLayerGzip)).rejects.toBeInstanceOf(CorruptBlobError);
    expect(await store.hasUnpackedLayer(diffId)).toBe(false);
  });
});
