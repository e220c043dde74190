/**
 * push against the real registry, checked by skopeo (an independent client)
 * and by pulling back by digest. A pass-through server in front of the
 * registry records which upload protocol was used.
 */
import { execFileSync } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MediaTypes } from '../../../src/image/oci-types.js';
import { LocalImageNotFoundError, pullImage, pushImage, type TransferEvent } from '../../../src/image/registry/index.js';
import { Store } from '../../../src/image/store.js';
import { ensureRegistry, registryAddress } from '../../helpers/registry.js';
import { startFaultServer } from './fault-server.js';
import { uniqueRepository, writeSyntheticImage } from './test-images.js';

let release: () => Promise<void>;
let registry: string;
let work: string;

beforeAll(async () => {
  release = await ensureRegistry();
  registry = registryAddress();
  work = await mkdtemp(join(tmpdir(), 'layerlab-push-test-'));
});
afterAll(async () => {
  await rm(work, { recursive: true, force: true });
  await release();
});

let storeCount = 0;
function freshStore(): Promise<Store> {
  return Store.open(join(work, `store-${storeCount++}`));
}

function skopeoInspect(ref: string): { Digest: string; Layers: string[] } {
  return JSON.parse(execFileSync('skopeo', ['inspect', '--tls-verify=false', `docker://${ref}`], { encoding: 'utf8' }));
}

describe('push', () => {
  it('uploads monolithically below the chunk size; skopeo sees the same digest; pull by digest gets it back', async () => {
    const proxy = await startFaultServer({ upstream: `http://${registry}` });
    try {
      const store = await freshStore();
      const image = await writeSyntheticImage(store, { layers: 2, layerSize: 32 * 1024 }, 'local/app:v1');
      const dest = `${proxy.host}/${uniqueRepository('mono')}:v1`;
      const events: TransferEvent[] = [];
      const result = await pushImage(store, 'local/app:v1', dest, { insecureRegistries: [proxy.host], onProgress: (e) => events.push(e) });

      expect(result.digest).toBe(image.manifestDigest);
      expect(result.blobs.map((b) => b.status)).toEqual(['pushed', 'pushed', 'pushed']);
      expect(proxy.requests.filter((r) => r.method === 'PATCH')).toEqual([]);
      expect(proxy.requests.filter((r) => r.method === 'PUT' && r.url.includes('/blobs/uploads/'))).toHaveLength(3);
      expect(events.filter((e) => e.type === 'blob-done')).toHaveLength(3);

      const inspected = skopeoInspect(dest.replace(proxy.host, registry));
      expect(inspected.Digest).toBe(image.manifestDigest);
      expect(inspected.Layers).toEqual(image.layers.map((l) => l.digest));

      const byDigest = `${registry}/${dest.slice(proxy.host.length + 1).split(':')[0]}@${image.manifestDigest}`;
      const pulled = await pullImage(await freshStore(), byDigest, { insecureRegistries: [registry] });
      expect(pulled.digest).toBe(image.manifestDigest);
    } finally {
      await proxy.close();
    }
  });

  it('uploads in PATCH chunks with Content-Range above the chunk size', async () => {
    const proxy = await startFaultServer({ upstream: `http://${registry}` });
    try {
      const store = await freshStore();
      const image = await writeSyntheticImage(store, { layers: 1, layerSize: 300 * 1024 }, 'local/big:v1');
      const layer = image.layers[0]!;
      const dest = `${proxy.host}/${uniqueRepository('chunked')}:v1`;
      const chunkSize = 100 * 1024;
      await pushImage(store, 'local/big:v1', dest, { insecureRegistries: [proxy.host], chunkSize });

      const patches = proxy.requests.filter((r) => r.method === 'PATCH');
      expect(patches).toHaveLength(Math.ceil(layer.size / chunkSize));
      expect(patches.map((p) => p.headers['content-range'])).toEqual(
        patches.map((_, i) => `${i * chunkSize}-${Math.min((i + 1) * chunkSize, layer.size) - 1}`),
      );
      const inspected = skopeoInspect(dest.replace(proxy.host, registry));
      expect(inspected.Digest).toBe(image.manifestDigest);
      expect(inspected.Layers).toEqual([layer.digest]);
    } finally {
      await proxy.close();
    }
  });

  it('skips blobs the registry has (HEAD) and mounts across repositories of the same registry', async () => {
    const store = await freshStore();
    const source = `${registry}/${uniqueRepository('mount-src')}:v1`;
    await writeSyntheticImage(store, { layers: 2 }, source);
    const first = await pushImage(store, source, undefined, { insecureRegistries: [registry] });
    expect(first.blobs.every((b) => b.status === 'pushed')).toBe(true);

    const again = await pushImage(store, source, undefined, { insecureRegistries: [registry] });
    expect(again.blobs.map((b) => b.status)).toEqual(['already-exists', 'already-exists', 'already-exists']);
    expect(again.bytesUploaded).toBe(0);

    const other = `${registry}/${uniqueRepository('mount-dst')}:v2`;
    const mounted = await pushImage(store, source, other, { insecureRegistries: [registry] });
    expect(mounted.blobs.map((b) => b.status)).toEqual(['mounted', 'mounted', 'mounted']);
    expect(skopeoInspect(other).Digest).toBe(first.digest);
  });

  it('keeps Docker schema2 media types, byte for byte', async () => {
    const store = await freshStore();
    const dest = `${registry}/${uniqueRepository('schema2')}:v1`;
    const image = await writeSyntheticImage(store, { format: 'docker' }, dest);
    const result = await pushImage(store, dest, undefined, { insecureRegistries: [registry] });
    expect(result.mediaType).toBe(MediaTypes.dockerManifest);
    const raw = execFileSync('skopeo', ['inspect', '--raw', '--tls-verify=false', `docker://${dest}`]);
    expect(raw.equals(image.manifestBytes)).toBe(true);
  });

  it('pushes under a digest-only destination', async () => {
    const store = await freshStore();
    const image = await writeSyntheticImage(store, { layers: 1 }, 'local/pinned:v1');
    const dest = `${registry}/${uniqueRepository('by-digest')}@${image.manifestDigest}`;
    const result = await pushImage(store, 'local/pinned:v1', dest, { insecureRegistries: [registry] });
    expect(result.tag).toBeUndefined();
    // --no-tags: the repository has no tag to list.
    const inspected = JSON.parse(execFileSync('skopeo', ['inspect', '--no-tags', '--tls-verify=false', `docker://${dest}`], { encoding: 'utf8' }));
    expect(inspected.Digest).toBe(image.manifestDigest);
  });

  it('says when the image is not in the store', async () => {
    const store = await freshStore();
    await expect(pushImage(store, 'nothing/here:v1', `${registry}/x/y:z`, { insecureRegistries: [registry] })).rejects.toThrow(
      LocalImageNotFoundError,
    );
    await expect(pushImage(store, 'nothing/here:v1', undefined, {})).rejects.toThrow(
      'no such image in the store: docker.io/nothing/here:v1',
    );
  });
});
