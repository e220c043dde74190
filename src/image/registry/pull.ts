/**
 * `pull`: a reference in a registry → manifest, config and layer blobs in the
 * store, and the reference pointing at the manifest.
 *
 * Order, chosen so a bad answer stores nothing that is later trusted:
 *   1. the manifest (an index is resolved to the host platform's manifest),
 *      verified against its digest, its layer media types checked;
 *   2. the config, verified and checked against the layer count, kept in memory;
 *   3. the layers, at most `concurrency` at a time, each streamed into a store
 *      BlobWriter that verifies size and digest before the blob appears;
 *   4. only then config, manifest (and index) blobs, and last the reference.
 * A layer already in the store is re-verified and not fetched again, so an
 * interrupted pull resumes where it stopped. Layers fetched and verified
 * before a failure stay in the store for that reason (they are correct
 * content); nothing unverified and no reference is ever written.
 */
import type { Store } from '../store.js';
import { isIndexMediaType, type Descriptor, type ImageConfig, type ImageIndex, type ImageManifest } from '../oci-types.js';
import { formatReference, parseReference, referenceTarget, withTarget, type ImageReference } from '../reference.js';
import { readLimited, RegistryClient, streamOf, type RegistryClientOptions } from './client.js';
import { pullEndpoints, type Endpoint } from './endpoint.js';
import {
  BlobUnknownError,
  describeRegistryErrorBody,
  NoMatchingPlatformError,
  OversizedBodyError,
  RegistryDigestMismatchError,
  RegistryError,
  RegistryProtocolError,
  TruncatedBodyError,
} from './errors.js';
import { checkLayerMediaTypes, fetchManifest, sha256Of, type FetchedManifest } from './manifest.js';
import { describePlatforms, formatPlatform, hostPlatform, selectPlatformManifest, type PlatformWanted } from './platform.js';
import type { ProgressListener, TransferEvent } from './progress.js';

export interface PullOptions extends RegistryClientOptions {
  insecureRegistries?: readonly string[];
  registryMirrors?: readonly string[];
  /** Default: the host's (linux, GOARCH, arm variant). */
  platform?: PlatformWanted;
  /** Layers downloaded at once (default 3). */
  concurrency?: number;
  onProgress?: ProgressListener;
}

export interface PullResult {
  /** The normalized reference now set in the store. */
  reference: string;
  /** Digest of the platform manifest the reference points at. */
  digest: string;
  mediaType: string;
  /** Set when the registry answered with an index / manifest list. */
  indexDigest?: string;
  configDigest: string;
  layers: Descriptor[];
  platform: string;
  /** Bytes fetched in this run (layers and config). */
  bytesDownloaded: number;
  /** Layers that were already in the store. */
  layersReused: number;
  /** The reference already pointed at this digest before the pull. */
  upToDate: boolean;
}

const CONFIG_SIZE_LIMIT = 8 << 20;

export async function pullImage(store: Store, reference: string, options: PullOptions = {}): Promise<PullResult> {
  const ref = parseReference(reference);
  const emit = options.onProgress ?? (() => {});
  const endpoints = pullEndpoints(ref.registry, options);
  emit({ type: 'start', direction: 'pull', reference: formatReference(ref), registry: ref.registry });
  for (let i = 0; ; i++) {
    const endpoint = endpoints[i]!;
    try {
      return await pullFrom(store, ref, endpoint, options, emit);
    } catch (err) {
      // A mirror that fails for any reason falls back to the next endpoint; a
      // failure of the last one (the registry itself) is the answer.
      if (!endpoint.mirror || i === endpoints.length - 1) throw err;
      emit({ type: 'fallback', from: endpoint.baseUrl, to: endpoints[i + 1]!.baseUrl, reason: (err as Error).message });
    }
  }
}

async function pullFrom(
  store: Store,
  ref: ImageReference,
  endpoint: Endpoint,
  options: PullOptions,
  emit: (event: TransferEvent) => void,
): Promise<PullResult> {
  const client = new RegistryClient(endpoint, options);
  const shown = formatReference(ref);
  const wanted = options.platform ?? hostPlatform();

  let top = await fetchManifest(client, ref.repository, referenceTarget(ref), shown);
  let index: FetchedManifest | undefined;
  if (isIndexMediaType(top.mediaType)) {
    index = top;
    const entries = (top.document as ImageIndex).manifests;
    const chosen = selectPlatformManifest(entries, wanted);
    if (!chosen) throw new NoMatchingPlatformError(client.name, shown, formatPlatform(wanted), describePlatforms(entries));
    const childShown = formatReference(withTarget(ref, { digest: chosen.digest }));
    top = await fetchManifest(client, ref.repository, chosen.digest, childShown);
    if (isIndexMediaType(top.mediaType)) {
      throw new RegistryProtocolError(client.name, `index ${shown} points at another index for ${formatPlatform(wanted)}; nested indexes are not supported`);
    }
  }
  const manifest = top.document as ImageManifest;
  checkLayerMediaTypes(client.name, manifest, shown);

  emit({
    type: 'resolved',
    digest: top.digest,
    mediaType: top.mediaType,
    platform: formatPlatform(wanted),
    blobs: [
      { digest: manifest.config.digest, size: manifest.config.size, kind: 'config' },
      ...manifest.layers.map((l) => ({ digest: l.digest, size: l.size, kind: 'layer' as const })),
    ],
  });

  let bytesDownloaded = 0;
  const configBytes = await fetchConfig(client, ref.repository, manifest.config, emit);
  bytesDownloaded += configBytes.length;
  const config = parseConfig(client.name, configBytes, manifest, shown);

  let layersReused = 0;
  await runLimited(manifest.layers, options.concurrency ?? 3, async (layer, signal) => {
    if (await hasVerifiedBlob(store, layer)) {
      layersReused++;
      emit({ type: 'blob-done', digest: layer.digest, size: layer.size, kind: 'layer', status: 'already-present' });
      return;
    }
    // A connection that drops mid-body is worth another try from the start
    // (the partial blob was discarded); a wrong digest is not.
    const attempts = Math.max(1, options.attempts ?? 3);
    for (let attempt = 1; ; attempt++) {
      try {
        bytesDownloaded += await downloadBlob(store, client, ref.repository, layer, signal, emit);
        break;
      } catch (err) {
        if (!(err instanceof TruncatedBodyError) || attempt >= attempts || signal.aborted) throw err;
      }
    }
    emit({ type: 'blob-done', digest: layer.digest, size: layer.size, kind: 'layer', status: 'downloaded' });
  });

  await store.writeBlob(configBytes, manifest.config.digest);
  await store.writeBlob(top.bytes, top.digest);
  if (index) await store.writeBlob(index.bytes, index.digest);

  const name = formatReference(ref);
  const before = await store.getRef(name);
  await store.setRef(name, { digest: top.digest, mediaType: top.mediaType });
  emit({ type: 'done', digest: top.digest, bytesTransferred: bytesDownloaded });
  return {
    reference: name,
    digest: top.digest,
    mediaType: top.mediaType,
    ...(index ? { indexDigest: index.digest } : {}),
    configDigest: manifest.config.digest,
    layers: manifest.layers,
    platform: `${config.os}/${config.architecture}${config.variant ? `/${config.variant}` : ''}`,
    bytesDownloaded,
    layersReused,
    upToDate: before?.digest === top.digest,
  };
}

async function fetchConfig(
  client: RegistryClient,
  repository: string,
  descriptor: Descriptor,
  emit: (event: TransferEvent) => void,
): Promise<Buffer> {
  const what = `config ${descriptor.digest}`;
  if (descriptor.size > CONFIG_SIZE_LIMIT) throw new OversizedBodyError(client.name, what, CONFIG_SIZE_LIMIT);
  emit({ type: 'blob-start', digest: descriptor.digest, size: descriptor.size, kind: 'config' });
  const res = await getBlob(client, repository, descriptor.digest);
  const bytes = await readLimited(res, descriptor.size, client.name, what);
  if (bytes.length < descriptor.size) throw new TruncatedBodyError(client.name, what, descriptor.size, bytes.length);
  const actual = sha256Of(bytes);
  if (actual !== descriptor.digest) throw new RegistryDigestMismatchError(client.name, what, descriptor.digest, actual);
  emit({ type: 'blob-done', digest: descriptor.digest, size: descriptor.size, kind: 'config', status: 'downloaded' });
  return bytes;
}

function parseConfig(registry: string, bytes: Buffer, manifest: ImageManifest, shown: string): ImageConfig {
  let config: ImageConfig;
  try {
    config = JSON.parse(bytes.toString('utf8')) as ImageConfig;
  } catch {
    throw new RegistryProtocolError(registry, `the config of ${shown} is not valid JSON`);
  }
  const diffIds = config?.rootfs?.diff_ids;
  if (!Array.isArray(diffIds)) throw new RegistryProtocolError(registry, `the config of ${shown} has no rootfs.diff_ids`);
  if (diffIds.length !== manifest.layers.length) {
    throw new RegistryProtocolError(
      registry,
      `the config of ${shown} lists ${diffIds.length} diff_ids but the manifest has ${manifest.layers.length} layers`,
    );
  }
  return config;
}

async function getBlob(client: RegistryClient, repository: string, digest: string, signal?: AbortSignal): Promise<Response> {
  signal?.throwIfAborted();
  const res = await client.request({
    method: 'GET',
    path: `/v2/${repository}/blobs/${digest}`,
    scopes: [`repository:${repository}:pull`],
    what: `blob ${digest}`,
    ...(signal ? { signal } : {}),
  });
  if (res.status === 404) {
    await res.body?.cancel().catch(() => {});
    throw new BlobUnknownError(client.name, repository, digest);
  }
  if (res.status !== 200) {
    const detail = describeRegistryErrorBody(await res.text().catch(() => ''));
    throw new RegistryProtocolError(client.name, `answered ${res.status} to GET blob ${digest}${detail ? ` (${detail})` : ''}`);
  }
  return res;
}

/** A present blob counts only if it still hashes to its digest (a crash or disk error could have damaged it). */
async function hasVerifiedBlob(store: Store, descriptor: Descriptor): Promise<boolean> {
  const size = await store.blobSize(descriptor.digest);
  if (size === undefined || size !== descriptor.size) return false;
  try {
    await store.verifyBlob(descriptor.digest);
    return true;
  } catch {
    return false;
  }
}

/** Streams one blob into the store; returns the bytes fetched. Nothing appears in the store unless it verifies. */
async function downloadBlob(
  store: Store,
  client: RegistryClient,
  repository: string,
  descriptor: Descriptor,
  signal: AbortSignal,
  emit: (event: TransferEvent) => void,
): Promise<number> {
  const what = `blob ${descriptor.digest}`;
  emit({ type: 'blob-start', digest: descriptor.digest, size: descriptor.size, kind: 'layer' });
  const res = await getBlob(client, repository, descriptor.digest, signal);
  const writer = await store.createBlobWriter({ digest: descriptor.digest, size: descriptor.size });
  let received = 0;
  let lastReport = 0;
  try {
    try {
      for await (const chunk of streamOf(res)) {
        signal.throwIfAborted();
        received += chunk.length;
        if (received > descriptor.size) throw new OversizedBodyError(client.name, what, descriptor.size);
        await writer.write(chunk);
        if (received - lastReport >= 256 * 1024 || received === descriptor.size) {
          lastReport = received;
          emit({ type: 'blob-progress', digest: descriptor.digest, size: descriptor.size, transferred: received });
        }
      }
    } catch (err) {
      if (err instanceof RegistryError || signal.aborted) throw err;
      throw new TruncatedBodyError(client.name, what, descriptor.size, received);
    }
    if (received < descriptor.size) throw new TruncatedBodyError(client.name, what, descriptor.size, received);
    try {
      await writer.commit();
    } catch (err) {
      const e = err as { name?: string; actual?: string };
      if (e.name === 'DigestMismatchError') {
        throw new RegistryDigestMismatchError(client.name, what, descriptor.digest, e.actual ?? 'something else');
      }
      throw err;
    }
    return received;
  } catch (err) {
    await writer.abort();
    await res.body?.cancel().catch(() => {});
    throw err;
  }
}

/**
 * Runs `work` over items, at most `limit` at a time. On the first failure the
 * others are told to stop (signal) and awaited, so none is left writing, and
 * that first error is thrown.
 */
async function runLimited<T>(items: readonly T[], limit: number, work: (item: T, signal: AbortSignal) => Promise<void>): Promise<void> {
  const controller = new AbortController();
  let next = 0;
  let firstError: unknown;
  const worker = async (): Promise<void> => {
    while (next < items.length && !controller.signal.aborted) {
      const item = items[next++]!;
      try {
        await work(item, controller.signal);
      } catch (err) {
        if (firstError === undefined) firstError = err;
        controller.abort();
      }
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(limit, items.length)) }, worker));
  if (firstError !== undefined) throw firstError;
}
