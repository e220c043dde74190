/**
 * --registry-mirror: Docker Hub references go to the mirror first, and to the
 * next mirror when one fails. The "mirrors" are real servers on loopback in
 * front of the test registry, which holds layerlab-test/busybox just as a Hub
 * mirror would hold docker.io/layerlab-test/busybox.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { pullImage, type TransferEvent } from '../../../src/image/registry/index.js';
import { Store } from '../../../src/image/store.js';
import { testBaseImage, type TestBaseImage } from '../../helpers/busybox-image.js';
import { ensureRegistry } from '../../helpers/registry.js';
import { registryError, startFaultServer } from './fault-server.js';

let release: () => Promise<void>;
let base: TestBaseImage;
let work: string;

beforeAll(async () => {
  release = await ensureRegistry();
  base = await testBaseImage();
  work = await mkdtemp(join(tmpdir(), 'layerlab-mirror-test-'));
});
afterAll(async () => {
  await rm(work, { recursive: true, force: true });
  await release();
});

describe('registry mirrors for Docker Hub', () => {
  it('pulls a docker.io reference from the mirror, and falls back past a failing one', async () => {
    const broken = await startFaultServer({ handle: (_req, res) => registryError(res, 500, 'UNKNOWN', 'mirror is broken') });
    const good = await startFaultServer({ upstream: `http://${base.registry}` });
    try {
      const store = await Store.open(join(work, 'store'));
      const events: TransferEvent[] = [];
      const result = await pullImage(store, base.repository, {
        registryMirrors: [broken.url, good.url],
        retryDelayMs: 5,
        onProgress: (e) => events.push(e),
      });
      expect(result.reference).toBe(`docker.io/${base.repository}:latest`);
      expect(result.digest).toBe(base.digest);
      expect(broken.requests.length).toBeGreaterThan(0);
      expect(good.requests.some((r) => r.url === `/v2/${base.repository}/manifests/latest`)).toBe(true);
      const fallback = events.find((e) => e.type === 'fallback');
      expect(fallback).toMatchObject({ from: broken.url, to: good.url });
      expect((await store.getRef(`docker.io/${base.repository}:latest`))?.digest).toBe(base.digest);
    } finally {
      await broken.close();
      await good.close();
    }
  });

  it('is not used for other registries', async () => {
    const mirror = await startFaultServer({ upstream: `http://${base.registry}` });
    try {
      const store = await Store.open(join(work, 'store-other'));
      await pullImage(store, base.ref, { registryMirrors: [mirror.url], insecureRegistries: [base.registry] });
      expect(mirror.requests).toEqual([]);
    } finally {
      await mirror.close();
    }
  });
});
