import { execFileSync } from 'node:child_process';
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MediaTypes } from '../../../src/image/oci-types.js';
import {
  ManifestUnknownError,
  NoMatchingPlatformError,
  pullImage,
  pushImage,
  RegistryServerError,
  RegistryUnreachableError,
  UnsupportedMediaTypeError,
  type TransferEvent,
} from '../../../src/image/registry/index.js';
import { hostPlatform } from '../../../src/image/registry/platform.js';
import { Store } from '../../../src/image/store.js';
import { testBaseImage, type TestBaseImage } from '../../helpers/busybox-image.js';
import { ensureRegistry, registryAddress } from '../../helpers/registry.js';
import { registryError, startFaultServer } from './fault-server.js';
import { putManifest, sha256, uniqueRepository, writeSyntheticImage, type SyntheticOptions } from './test-images.js';

let release: () => Promise<void>;
let base: TestBaseImage;
let registry: string;
const scratch: string[] = [];

beforeAll(async () => {
  release = await ensureRegistry();
  base = await testBaseImage();
  registry = registryAddress();
});
afterAll(async () => {
  for (const dir of scratch) await rm(dir, { recursive: true, force: true });
  await release();
});

async function freshStore(): Promise<Store> {
  const dir = await mkdtemp(join(tmpdir(), 'layerlab-pull-test-'));
  scratch.push(dir);
  return Store.open(dir);
}

async function blobsIn(store: Store): Promise<string[]> {
  return (await readdir(join(store.root, 'blobs', 'sha256'))).map((hex) => `sha256:${hex}`).sort();
}

/** Builds a synthetic image in a scratch store and pushes it to the test registry. */
async function publish(options: SyntheticOptions, repository = uniqueRepository('pull')) {
  const store = await freshStore();
  const source = `${registry}/${repository}:v1`;
  const image = await writeSyntheticImage(store, options, source);
  await pushImage(store, source, undefined, { insecureRegistries: [registry] });
  return { ...image, ref: source, repository };
}

describe('pull from the test registry', () => {
  it('stores manifest, config and layers, sets the ref and reports progress', async () => {
    const store = await freshStore();
    const events: TransferEvent[] = [];
    const result = await pullImage(store, base.ref, { insecureRegistries: [registry], onProgress: (e) => events.push(e) });

    expect(result.reference).toBe(base.ref);
    expect(result.digest).toBe(base.digest);
    expect(result.configDigest).toBe(base.configDigest);
    expect(result.layers.map((l) => l.digest)).toEqual([base.layerDigest]);
    expect(result.upToDate).toBe(false);
    expect(await store.getRef(base.ref)).toEqual({ digest: base.digest, mediaType: MediaTypes.ociManifest });
    expect(await blobsIn(store)).toEqual([base.digest, base.configDigest, base.layerDigest].sort());
    await store.verifyBlob(base.layerDigest);

    const types = events.map((e) => e.type);
    expect(types[0]).toBe('start');
    expect(types).toContain('resolved');
    expect(types.at(-1)).toBe('done');
    const layerDone = events.find((e) => e.type === 'blob-done' && e.kind === 'layer');
    expect(layerDone).toMatchObject({ digest: base.layerDigest, status: 'downloaded', size: base.layerSize });
    const progress = events.filter((e) => e.type === 'blob-progress');
    expect(progress.at(-1)).toMatchObject({ transferred: base.layerSize });
  });

  it('a second pull fetches no layer again and says the image is up to date', async () => {
    const store = await freshStore();
    const proxy = await startFaultServer({ upstream: `http://${registry}` });
    try {
      const ref = `${proxy.host}/${base.repository}:${base.tag}`;
      await pullImage(store, ref, { insecureRegistries: [proxy.host] });
      proxy.requests.length = 0;
      const again = await pullImage(store, ref, { insecureRegistries: [proxy.host] });
      expect(again.upToDate).toBe(true);
      expect(again.layersReused).toBe(1);
      expect(proxy.requests.filter((r) => r.url.includes(base.layerDigest))).toEqual([]);
    } finally {
      await proxy.close();
    }
  });

  it('resumes an interrupted pull without fetching the layers it already has', async () => {
    const image = await publish({ layers: 3, layerSize: 64 * 1024 });
    const failing = image.layers[2]!.digest;
    const proxy = await startFaultServer({
      upstream: `http://${registry}`,
      handle: (req, res) => (req.url?.includes(failing) ? registryError(res, 503, 'UNAVAILABLE', 'storage backend down') : 'proxy'),
    });
    const store = await freshStore();
    const ref = `${proxy.host}/${image.repository}:v1`;
    try {
      await expect(pullImage(store, ref, { insecureRegistries: [proxy.host], retryDelayMs: 5, concurrency: 1 })).rejects.toThrow(
        RegistryServerError,
      );
      // The two verified layers stay (that is what resuming reuses); no config, manifest or ref.
      expect(await blobsIn(store)).toEqual([image.layers[0]!.digest, image.layers[1]!.digest].sort());
      expect(await store.getRef(ref)).toBeUndefined();
      expect(await readdir(join(store.root, 'tmp'))).toEqual([]);

      proxy.handle = () => 'proxy';
      proxy.requests.length = 0;
      const result = await pullImage(store, ref, { insecureRegistries: [proxy.host] });
      expect(result.layersReused).toBe(2);
      const layerGets = proxy.requests.filter((r) => r.method === 'GET' && r.url.includes('/blobs/')).map((r) => r.url);
      expect(layerGets.some((u) => u.includes(image.layers[0]!.digest))).toBe(false);
      expect(layerGets.some((u) => u.includes(image.layers[1]!.digest))).toBe(false);
      expect(layerGets.some((u) => u.includes(failing))).toBe(true);
      expect(await store.getRef(ref)).toEqual({ digest: image.manifestDigest, mediaType: MediaTypes.ociManifest });
    } finally {
      await proxy.close();
    }
  });

  it('downloads at most three layers at a time', async () => {
    const image = await publish({ layers: 6, layerSize: 16 * 1024 });
    let inFlight = 0;
    let peak = 0;
    const proxy = await startFaultServer({
      upstream: `http://${registry}`,
      handle: async (req, res, ctx) => {
        if (!image.layers.some((l) => req.url?.endsWith(l.digest))) return 'proxy';
        inFlight++;
        peak = Math.max(peak, inFlight);
        const answer = await ctx.upstream();
        await new Promise((r) => setTimeout(r, 100));
        inFlight--;
        res.writeHead(answer.status, answer.headers);
        res.end(answer.body);
      },
    });
    try {
      const store = await freshStore();
      await pullImage(store, `${proxy.host}/${image.repository}:v1`, { insecureRegistries: [proxy.host] });
      expect(peak).toBe(3);
      for (const layer of image.layers) expect(await store.hasBlob(layer.digest)).toBe(true);
    } finally {
      await proxy.close();
    }
  });

  it('pulls by digest and stores the ref under the digest', async () => {
    const store = await freshStore();
    const result = await pullImage(store, base.refByDigest, { insecureRegistries: [registry] });
    expect(result.digest).toBe(base.digest);
    expect(result.reference).toBe(base.refByDigest);
    expect((await store.getRef(base.refByDigest))?.digest).toBe(base.digest);
  });

  it('pulls Docker schema2 images and uncompressed OCI layers', async () => {
    for (const options of [{ format: 'docker' as const }, { format: 'oci' as const, compression: 'none' as const }]) {
      const image = await publish(options);
      const store = await freshStore();
      const result = await pullImage(store, image.ref, { insecureRegistries: [registry] });
      expect(result.mediaType).toBe(image.mediaType);
      expect(result.digest).toBe(image.manifestDigest);
      for (const layer of image.layers) expect(await store.hasBlob(layer.digest)).toBe(true);
    }
  });

  describe('multi-platform images', () => {
    let repository: string;
    const digests: Record<string, string> = {};

    beforeAll(async () => {
      repository = uniqueRepository('multi');
      const store = await freshStore();
      const platforms = [
        { architecture: 'amd64' },
        { architecture: 'arm64', variant: 'v8' },
        { architecture: 'arm', variant: 'v7' },
      ];
      const entries = [];
      for (const p of platforms) {
        const image = await writeSyntheticImage(store, { layers: 1, ...p }, `${registry}/${repository}:${p.architecture}`);
        await pushImage(store, `${registry}/${repository}:${p.architecture}`, undefined, { insecureRegistries: [registry] });
        digests[p.architecture] = image.manifestDigest;
        entries.push({ mediaType: image.mediaType, digest: image.manifestDigest, size: image.manifestBytes.length, platform: { os: 'linux', ...p } });
      }
      // An attestation entry, as BuildKit adds, must never be chosen.
      entries.push({
        mediaType: MediaTypes.ociManifest,
        digest: digests.amd64!,
        size: 1,
        platform: { os: 'unknown', architecture: 'unknown' },
        annotations: { 'vnd.docker.reference.type': 'attestation-manifest' },
      } as never);
      const index = Buffer.from(JSON.stringify({ schemaVersion: 2, mediaType: MediaTypes.ociIndex, manifests: entries }));
      await putManifest(registry, repository, 'oci', MediaTypes.ociIndex, index);
      const list = Buffer.from(
        JSON.stringify({ schemaVersion: 2, mediaType: MediaTypes.dockerManifestList, manifests: entries.slice(0, 3) }),
      );
      await putManifest(registry, repository, 'list', MediaTypes.dockerManifestList, list);
      digests.index = sha256(index);
    });

    it('chooses the host platform from an OCI index and keeps the index blob', async () => {
      const store = await freshStore();
      const ref = `${registry}/${repository}:oci`;
      const result = await pullImage(store, ref, { insecureRegistries: [registry] });
      const host = hostPlatform().architecture;
      expect(result.digest).toBe(digests[host]);
      expect(result.indexDigest).toBe(digests.index);
      expect(await store.hasBlob(digests.index!)).toBe(true);
      expect((await store.getRef(ref))?.digest).toBe(digests[host]);
    });

    it('chooses a named platform from a Docker manifest list, variant included', async () => {
      const store = await freshStore();
      const ref = `${registry}/${repository}:list`;
      const arm64 = await pullImage(store, ref, { insecureRegistries: [registry], platform: { os: 'linux', architecture: 'arm64' } });
      expect(arm64.digest).toBe(digests.arm64);
      const arm = await pullImage(store, ref, { insecureRegistries: [registry], platform: { os: 'linux', architecture: 'arm', variant: 'v7' } });
      expect(arm.digest).toBe(digests.arm);
    });

    it('says which platforms exist when none matches', async () => {
      const store = await freshStore();
      const pull = pullImage(store, `${registry}/${repository}:oci`, {
        insecureRegistries: [registry],
        platform: { os: 'linux', architecture: 's390x' },
      });
      await expect(pull).rejects.toThrow(NoMatchingPlatformError);
      await expect(pull).rejects.toThrow(/has no image for linux\/s390x; it offers linux\/amd64, linux\/arm64\/v8, linux\/arm\/v7/);
      expect(await blobsIn(store)).toEqual([]);
    });
  });

  it('refuses zstd layers before downloading anything, naming the media type', async () => {
    const image = await publish({ layers: 1, layerMediaType: MediaTypes.ociLayerZstd });
    const store = await freshStore();
    const pull = pullImage(store, image.ref, { insecureRegistries: [registry] });
    await expect(pull).rejects.toThrow(UnsupportedMediaTypeError);
    await expect(pull).rejects.toThrow(/application\/vnd\.oci\.image\.layer\.v1\.tar\+zstd/);
    expect(await blobsIn(store)).toEqual([]);
  });

  it('says "manifest unknown" for a tag the registry does not have', async () => {
    const store = await freshStore();
    const ref = `${registry}/${base.repository}:no-such-tag`;
    await expect(pullImage(store, ref, { insecureRegistries: [registry] })).rejects.toThrow(ManifestUnknownError);
    await expect(pullImage(store, ref, { insecureRegistries: [registry] })).rejects.toThrow(`manifest unknown: ${ref}`);
  });

  it('speaks HTTPS to a registry not listed as insecure, and says how to fix a plain-HTTP one', async () => {
    const store = await freshStore();
    const pull = pullImage(store, base.ref, { attempts: 1 });
    await expect(pull).rejects.toThrow(RegistryUnreachableError);
    await expect(pull).rejects.toThrow(/https:\/\/127\.0\.0\.1:\d+.*--insecure-registry/);
  });

  it('agrees with skopeo about what the registry holds', () => {
    const raw = execFileSync('skopeo', ['inspect', '--raw', '--tls-verify=false', `docker://${base.ref}`]);
    expect(sha256(raw)).toBe(base.digest);
  });
});
