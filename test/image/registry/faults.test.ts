/**
 * Bad registry answers, from real servers on loopback: a fault server in
 * front of the test registry changes one answer and passes the rest through.
 * Each case must end in a typed error and leave the store's blob dir, tmp dir
 * and refs as they were.
 */
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import {
  AuthenticationRequiredError,
  BlobUnknownError,
  ManifestUnknownError,
  pullImage,
  RegistryDigestMismatchError,
  RegistryServerError,
  TruncatedBodyError,
} from '../../../src/image/registry/index.js';
import { Store } from '../../../src/image/store.js';
import { testBaseImage, type TestBaseImage } from '../../helpers/busybox-image.js';
import { ensureRegistry, registryAddress } from '../../helpers/registry.js';
import { registryError, startFaultServer, type FaultHandler, type FaultServer } from './fault-server.js';

let release: () => Promise<void>;
let base: TestBaseImage;
const scratch: string[] = [];
const servers: FaultServer[] = [];

beforeAll(async () => {
  release = await ensureRegistry();
  base = await testBaseImage();
});
afterEach(async () => {
  while (servers.length) await servers.pop()!.close();
});
afterAll(async () => {
  for (const dir of scratch) await rm(dir, { recursive: true, force: true });
  await release();
});

async function freshStore(): Promise<Store> {
  const dir = await mkdtemp(join(tmpdir(), 'layerlab-fault-test-'));
  scratch.push(dir);
  return Store.open(dir);
}

async function faulty(handle: FaultHandler): Promise<FaultServer> {
  const server = await startFaultServer({ upstream: `http://${registryAddress()}`, handle });
  servers.push(server);
  return server;
}

/** Pulls the base image through `server` and returns the rejection. */
async function pullThrough(server: FaultServer, store: Store, byDigest = false): Promise<Error> {
  const ref = `${server.host}/${base.repository}${byDigest ? `@${base.digest}` : `:${base.tag}`}`;
  try {
    await pullImage(store, ref, { insecureRegistries: [server.host], retryDelayMs: 5 });
  } catch (err) {
    return err as Error;
  }
  throw new Error(`pull of ${ref} succeeded but should have failed`);
}

async function expectNothingStored(store: Store): Promise<void> {
  expect(await readdir(join(store.root, 'blobs', 'sha256'))).toEqual([]);
  expect(await readdir(join(store.root, 'tmp'))).toEqual([]);
  expect(await store.listRefs()).toEqual([]);
}

const isManifest = (url = ''): boolean => url.includes('/manifests/');
const isLayer = (url = ''): boolean => url.includes(`/blobs/${base.layerDigest}`);

describe('a registry that answers a wrong digest', () => {
  it('is rejected for a manifest whose bytes do not match Docker-Content-Digest', async () => {
    const server = await faulty(async (req, res, ctx) => {
      if (!isManifest(req.url)) return 'proxy';
      const answer = await ctx.upstream();
      const body = Buffer.concat([answer.body, Buffer.from(' ')]);
      res.writeHead(200, { ...answer.headers, 'content-length': String(body.length) });
      res.end(body);
    });
    const store = await freshStore();
    const err = await pullThrough(server, store);
    expect(err).toBeInstanceOf(RegistryDigestMismatchError);
    expect(err.message).toMatch(new RegExp(`sent manifest .* whose content hashes to sha256:[0-9a-f]{64}, not ${base.digest}`));
    await expectNothingStored(store);
  });

  it('is rejected for a manifest pulled by digest that is another document', async () => {
    const server = await faulty(async (req, res, ctx) => {
      if (!isManifest(req.url)) return 'proxy';
      const answer = await ctx.upstream();
      const body = Buffer.from(JSON.stringify(JSON.parse(answer.body.toString()), null, 2));
      res.writeHead(200, { 'content-type': String(answer.headers['content-type']), 'content-length': String(body.length) });
      res.end(body);
    });
    const store = await freshStore();
    const err = await pullThrough(server, store, true);
    expect(err).toBeInstanceOf(RegistryDigestMismatchError);
    await expectNothingStored(store);
  });

  it('is rejected for a layer with one byte changed, and nothing is stored', async () => {
    const server = await faulty(async (req, res, ctx) => {
      if (!isLayer(req.url)) return 'proxy';
      const answer = await ctx.upstream();
      const body = Buffer.from(answer.body);
      body[body.length >> 1] ^= 0xff;
      res.writeHead(200, answer.headers);
      res.end(body);
    });
    const store = await freshStore();
    const err = await pullThrough(server, store);
    expect(err).toBeInstanceOf(RegistryDigestMismatchError);
    expect(err.message).toContain(`blob ${base.layerDigest}`);
    expect(err.message).toContain('nothing was stored');
    await expectNothingStored(store);
  });
});

describe('a truncated body', () => {
  for (const [what, matches] of [
    ['layer', isLayer],
    ['manifest', isManifest],
  ] as const) {
    it(`of a ${what} (Content-Length longer than what arrives) is rejected`, async () => {
      const server = await faulty(async (req, res, ctx) => {
        if (!matches(req.url) || req.method !== 'GET') return 'proxy';
        const answer = await ctx.upstream();
        res.writeHead(200, { ...answer.headers, 'content-length': String(answer.body.length) });
        res.write(answer.body.subarray(0, answer.body.length >> 1), () => res.destroy());
      });
      const store = await freshStore();
      const err = await pullThrough(server, store);
      expect(err).toBeInstanceOf(TruncatedBodyError);
      // A layer cut off mid-body is fetched again from the start, up to 3 times in all.
      expect(server.requests.filter((r) => matches(r.url))).toHaveLength(what === 'layer' ? 3 : 1);
      expect(err.message).toMatch(/sent only \d+ of \d+ bytes of (blob|manifest)/);
      await expectNothingStored(store);
    });
  }
});

it('a layer cut off once is fetched again and the pull succeeds', async () => {
  const server = await faulty(async (req, res, ctx) => {
    if (!isLayer(req.url) || ctx.seen > 0) return 'proxy';
    const answer = await ctx.upstream();
    res.writeHead(200, { ...answer.headers, 'content-length': String(answer.body.length) });
    res.write(answer.body.subarray(0, 1000), () => res.destroy());
  });
  const store = await freshStore();
  const result = await pullImage(store, `${server.host}/${base.repository}:${base.tag}`, { insecureRegistries: [server.host] });
  expect(result.digest).toBe(base.digest);
  expect(server.requests.filter((r) => isLayer(r.url))).toHaveLength(2);
  expect(await readdir(join(store.root, 'tmp'))).toEqual([]);
});

describe('status codes', () => {
  it('401 without a way to authenticate says "authentication required for REGISTRY"', async () => {
    const server = await faulty((_req, res) =>
      registryError(res, 401, 'UNAUTHORIZED', 'authentication required', { 'WWW-Authenticate': 'Basic realm="fault"' }),
    );
    const store = await freshStore();
    const err = await pullThrough(server, store);
    expect(err).toBeInstanceOf(AuthenticationRequiredError);
    expect(err.message).toContain(`authentication required for ${server.host}`);
    await expectNothingStored(store);
  });

  it('404 on the manifest says "manifest unknown: REF"', async () => {
    const server = await faulty((req, res) =>
      isManifest(req.url) ? registryError(res, 404, 'MANIFEST_UNKNOWN', 'manifest unknown') : 'proxy',
    );
    const store = await freshStore();
    const err = await pullThrough(server, store);
    expect(err).toBeInstanceOf(ManifestUnknownError);
    expect(err.message).toBe(`manifest unknown: ${server.host}/${base.repository}:${base.tag} (MANIFEST_UNKNOWN: manifest unknown)`);
    await expectNothingStored(store);
  });

  it('404 on a layer names the blob', async () => {
    const server = await faulty((req, res) => (isLayer(req.url) ? registryError(res, 404, 'BLOB_UNKNOWN', 'blob unknown') : 'proxy'));
    const store = await freshStore();
    const err = await pullThrough(server, store);
    expect(err).toBeInstanceOf(BlobUnknownError);
    expect(err.message).toContain(base.layerDigest);
    await expectNothingStored(store);
  });

  it('5xx is retried with backoff and the pull succeeds when the registry recovers', async () => {
    const server = await faulty((req, res, ctx) => {
      if ((isManifest(req.url) || isLayer(req.url)) && ctx.seen < 2) return registryError(res, 503, 'UNAVAILABLE', 'try later');
      return 'proxy';
    });
    const store = await freshStore();
    const ref = `${server.host}/${base.repository}:${base.tag}`;
    const started = Date.now();
    const result = await pullImage(store, ref, { insecureRegistries: [server.host], retryDelayMs: 50 });
    expect(result.digest).toBe(base.digest);
    expect(server.requests.filter((r) => isManifest(r.url))).toHaveLength(3);
    expect(server.requests.filter((r) => isLayer(r.url))).toHaveLength(3);
    // Two backoffs of 50 and 100 ms for each of the two requests, in sequence.
    expect(Date.now() - started).toBeGreaterThanOrEqual(300);
  });

  it('5xx that persists fails after 3 attempts with the status and what was asked', async () => {
    const server = await faulty((req, res) => (isManifest(req.url) ? registryError(res, 502, 'BAD_GATEWAY', 'upstream down') : 'proxy'));
    const store = await freshStore();
    const err = await pullThrough(server, store);
    expect(err).toBeInstanceOf(RegistryServerError);
    expect(err.message).toBe(
      `${server.host} answered 502 to manifest ${server.host}/${base.repository}:${base.tag} 3 times; giving up (BAD_GATEWAY: upstream down)`,
    );
    expect(server.requests).toHaveLength(3);
    await expectNothingStored(store);
  });
});

describe('a redirect to blob storage', () => {
  it('is followed to another host:port, without the Authorization header', async () => {
    const storage = await startFaultServer({ upstream: `http://${registryAddress()}` });
    servers.push(storage);
    const token = 'secret-registry-token';
    const server = await faulty((req, res) => {
      if (req.url?.startsWith('/token')) {
        res.writeHead(200, { 'Content-Type': 'application/json' });
        res.end(JSON.stringify({ token }));
        return;
      }
      if (req.headers.authorization !== `Bearer ${token}`) {
        return registryError(res, 401, 'UNAUTHORIZED', 'token required', {
          'WWW-Authenticate': `Bearer realm="http://127.0.0.1:${req.socket.localPort}/token",service="fault"`,
        });
      }
      if (isLayer(req.url)) {
        res.writeHead(307, { Location: `${storage.url}${req.url}` });
        res.end();
        return;
      }
      return 'proxy';
    });
    const store = await freshStore();
    const ref = `${server.host}/${base.repository}:${base.tag}`;
    const result = await pullImage(store, ref, { insecureRegistries: [server.host] });
    expect(result.digest).toBe(base.digest);
    expect(await store.hasBlob(base.layerDigest)).toBe(true);
    const atStorage = storage.requests.filter((r) => isLayer(r.url));
    expect(atStorage).toHaveLength(1);
    expect(atStorage[0]!.headers.authorization).toBeUndefined();
    const layerAtRegistry = server.requests.filter((r) => isLayer(r.url));
    expect(layerAtRegistry.at(-1)!.headers.authorization).toBe(`Bearer ${token}`);
  });
});
