/**
 * `push`: an image in the store → a registry, by the distribution spec:
 *   for each blob (config and layers): HEAD to see if the registry has it;
 *   if not, try a cross-repository mount when the source is another repository
 *   of the same registry, else POST an upload session and send the bytes,
 *   in one PUT (monolithic) or, above `chunkSize`, in PATCHes with
 *   Content-Range and a final PUT with the digest;
 *   then PUT the manifest, byte for byte as stored, under the tag (or digest)
 *   with its media type as Content-Type.
 * What the registry answers as Docker-Content-Digest must be the digest we
 * sent; that is what makes "push then pull by digest" hold.
 */
import { createHash } from 'node:crypto';
import { open } from 'node:fs/promises';
import type { Store } from '../store.js';
import { isIndexMediaType, isSha256Digest, type Descriptor, type ImageManifest } from '../oci-types.js';
import { formatReference, normalizeReference, parseReference, referenceName, type ImageReference } from '../reference.js';
import { RegistryClient, type RegistryClientOptions } from './client.js';
import { registryEndpoint } from './endpoint.js';
import {
  describeRegistryErrorBody,
  LocalImageNotFoundError,
  RegistryDigestMismatchError,
  RegistryProtocolError,
  UnsupportedMediaTypeError,
} from './errors.js';
import { parseManifest } from './manifest.js';
import type { BlobStatus, ProgressListener, TransferEvent } from './progress.js';

export interface PushOptions extends RegistryClientOptions {
  insecureRegistries?: readonly string[];
  /** Blobs larger than this go up in PATCH chunks of this size (default 16 MiB); smaller ones in one PUT. */
  chunkSize?: number;
  /** Try a cross-repository mount when source and destination share a registry (default true). */
  crossRepositoryMount?: boolean;
  /** Blobs uploaded at once (default 3). */
  concurrency?: number;
  onProgress?: ProgressListener;
}

export interface PushResult {
  /** Normalized destination reference. */
  reference: string;
  /** Tag pushed to, or undefined when pushed by digest. */
  tag?: string;
  digest: string;
  size: number;
  mediaType: string;
  blobs: Array<{ digest: string; size: number; status: BlobStatus }>;
  bytesUploaded: number;
}

export const DEFAULT_CHUNK_SIZE = 16 << 20;

/** Finds the image to push: a reference in the store, or a manifest digest in it. */
async function resolveLocal(store: Store, source: ImageReference): Promise<{ digest: string; mediaType: string }> {
  const name = formatReference(source);
  const found = await store.getRef(name);
  if (found) return found;
  if (source.digest && (await store.hasBlob(source.digest))) {
    const doc = JSON.parse((await store.readBlob(source.digest)).toString('utf8')) as { mediaType?: string };
    return { digest: source.digest, mediaType: doc.mediaType ?? 'application/vnd.oci.image.manifest.v1+json' };
  }
  throw new LocalImageNotFoundError(name);
}

export async function pushImage(store: Store, source: string, destination?: string, options: PushOptions = {}): Promise<PushResult> {
  const src = parseReference(source);
  const dest = parseReference(destination ?? source);
  const emit = options.onProgress ?? (() => {});
  const local = await resolveLocal(store, src);
  if (isIndexMediaType(local.mediaType)) {
    throw new UnsupportedMediaTypeError(dest.registry, local.mediaType, `${formatReference(src)}`, 'pushing a multi-platform index is not supported; push one platform image');
  }
  const manifestBytes = await store.readBlob(local.digest);
  const parsed = parseManifest('local store', manifestBytes, local.digest, local.mediaType, formatReference(src));
  const manifest = parsed.document as ImageManifest;
  const blobs: Array<Descriptor & { kind: 'config' | 'layer' }> = [
    { ...manifest.config, kind: 'config' },
    ...manifest.layers.map((l) => ({ ...l, kind: 'layer' as const })),
  ];
  for (const blob of blobs) {
    if (!(await store.hasBlob(blob.digest))) {
      throw new LocalImageNotFoundError(`${formatReference(src)} (its ${blob.kind} blob ${blob.digest} is missing from the store)`);
    }
  }

  const client = new RegistryClient(registryEndpoint(dest.registry, options.insecureRegistries ?? []), options);
  emit({ type: 'start', direction: 'push', reference: referenceName(dest), registry: dest.registry });
  emit({
    type: 'resolved',
    digest: local.digest,
    mediaType: parsed.mediaType,
    blobs: blobs.map((b) => ({ digest: b.digest, size: b.size, kind: b.kind })),
  });

  const mountFrom =
    options.crossRepositoryMount !== false && src.registry === dest.registry && src.repository !== dest.repository ? src.repository : undefined;
  const uploader = new BlobUploader(store, client, dest.repository, mountFrom, options.chunkSize ?? DEFAULT_CHUNK_SIZE, emit);
  const results: PushResult['blobs'] = [];
  // Layers in parallel; the config last-but-one is fine too, order does not matter to the registry.
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < blobs.length) {
      const blob = blobs[next++]!;
      const status = await uploader.push(blob);
      results.push({ digest: blob.digest, size: blob.size, status });
      emit({ type: 'blob-done', digest: blob.digest, size: blob.size, kind: blob.kind, status });
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(options.concurrency ?? 3, blobs.length)) }, worker));

  const target = dest.tag ?? dest.digest!;
  if (dest.digest && !dest.tag && dest.digest !== local.digest) {
    throw new RegistryProtocolError(dest.registry, `cannot push ${local.digest} under the digest ${dest.digest}`);
  }
  const res = await client.request({
    method: 'PUT',
    path: `/v2/${dest.repository}/manifests/${target}`,
    scopes: [`repository:${dest.repository}:pull,push`],
    headers: { 'Content-Type': parsed.mediaType },
    body: manifestBytes,
    what: `manifest ${formatReference(dest)}`,
  });
  const answer = await res.text().catch(() => '');
  if (res.status !== 201 && res.status !== 200) {
    const detail = describeRegistryErrorBody(answer);
    throw new RegistryProtocolError(client.name, `refused the manifest of ${formatReference(dest)} with ${res.status}${detail ? ` (${detail})` : ''}`);
  }
  const announced = res.headers.get('docker-content-digest');
  if (announced && announced !== local.digest) {
    throw new RegistryDigestMismatchError(client.name, `the stored manifest of ${formatReference(dest)}`, local.digest, announced);
  }
  const bytesUploaded = uploader.bytesUploaded;
  emit({ type: 'done', digest: local.digest, bytesTransferred: bytesUploaded });
  return {
    reference: normalizeReference(formatReference(dest)),
    ...(dest.tag ? { tag: dest.tag } : {}),
    digest: local.digest,
    size: manifestBytes.length,
    mediaType: parsed.mediaType,
    blobs: results,
    bytesUploaded,
  };
}

class BlobUploader {
  bytesUploaded = 0;
  private readonly scopes: string[];

  constructor(
    private readonly store: Store,
    private readonly client: RegistryClient,
    private readonly repository: string,
    private readonly mountFrom: string | undefined,
    private readonly chunkSize: number,
    private readonly emit: (event: TransferEvent) => void,
  ) {
    this.scopes = [`repository:${repository}:pull,push`, ...(mountFrom ? [`repository:${mountFrom}:pull`] : [])];
  }

  async push(blob: Descriptor & { kind: 'config' | 'layer' }): Promise<BlobStatus> {
    if (await this.exists(blob.digest)) return 'already-exists';
    let location: string;
    if (this.mountFrom) {
      const res = await this.startUpload(`?mount=${encodeURIComponent(blob.digest)}&from=${encodeURIComponent(this.mountFrom)}`);
      if (res.status === 201) {
        await res.body?.cancel().catch(() => {});
        return 'mounted';
      }
      location = await this.uploadLocation(res);
    } else {
      location = await this.uploadLocation(await this.startUpload(''));
    }
    this.emit({ type: 'blob-start', digest: blob.digest, size: blob.size, kind: blob.kind });
    if (blob.size <= this.chunkSize) await this.putMonolithic(blob, location);
    else await this.putChunked(blob, location);
    return 'pushed';
  }

  private async exists(digest: string): Promise<boolean> {
    const res = await this.client.request({
      method: 'HEAD',
      path: `/v2/${this.repository}/blobs/${digest}`,
      scopes: this.scopes,
      what: `blob ${digest}`,
    });
    await res.body?.cancel().catch(() => {});
    if (res.status === 200) return true;
    if (res.status === 404) return false;
    throw new RegistryProtocolError(this.client.name, `answered ${res.status} to HEAD blob ${digest}`);
  }

  private startUpload(query: string): Promise<Response> {
    return this.client.request({
      method: 'POST',
      path: `/v2/${this.repository}/blobs/uploads/${query}`,
      scopes: this.scopes,
      what: `a blob upload to ${this.repository}`,
    });
  }

  /** The session URL from a 202, resolved against the endpoint (registries often answer a relative path). */
  private async uploadLocation(res: Response): Promise<string> {
    const text = await res.text().catch(() => '');
    const location = res.headers.get('location');
    if (res.status !== 202 || !location) {
      const detail = describeRegistryErrorBody(text);
      throw new RegistryProtocolError(
        this.client.name,
        `answered ${res.status}${location ? '' : ' without a Location'} when asked to start an upload to ${this.repository}${detail ? ` (${detail})` : ''}`,
      );
    }
    return new URL(location, `${this.client.endpoint.baseUrl}/v2/${this.repository}/blobs/uploads/`).toString();
  }

  private withDigest(location: string, digest: string): string {
    const url = new URL(location);
    url.searchParams.set('digest', digest);
    return url.toString();
  }

  private async putMonolithic(blob: Descriptor, location: string): Promise<void> {
    const data = await this.store.readBlob(blob.digest); // re-verified on read
    const res = await this.client.request({
      method: 'PUT',
      path: this.withDigest(location, blob.digest),
      scopes: this.scopes,
      headers: { 'Content-Type': 'application/octet-stream' },
      body: data,
      what: `blob ${blob.digest}`,
    });
    this.bytesUploaded += data.length;
    this.emit({ type: 'blob-progress', digest: blob.digest, size: blob.size, transferred: data.length });
    await this.expectCreated(res, blob.digest);
  }

  /** PATCH chunk after chunk (each answer may move the session URL), then PUT ?digest= with no body. */
  private async putChunked(blob: Descriptor, location: string): Promise<void> {
    const hash = createHash('sha256');
    const file = await open(this.store.blobPath(blob.digest), 'r');
    let current = location;
    try {
      let offset = 0;
      const buffer = Buffer.alloc(Math.min(this.chunkSize, blob.size));
      while (offset < blob.size) {
        const { bytesRead } = await file.read(buffer, 0, Math.min(buffer.length, blob.size - offset), offset);
        if (bytesRead === 0) throw new RegistryProtocolError('local store', `blob ${blob.digest} is shorter than ${blob.size} bytes`);
        const chunk = Buffer.from(buffer.subarray(0, bytesRead));
        hash.update(chunk);
        const res = await this.client.request({
          method: 'PATCH',
          path: current,
          scopes: this.scopes,
          headers: {
            'Content-Type': 'application/octet-stream',
            'Content-Range': `${offset}-${offset + bytesRead - 1}`,
          },
          body: chunk,
          what: `chunk ${offset}-${offset + bytesRead - 1} of blob ${blob.digest}`,
          retry: false,
        });
        const text = await res.text().catch(() => '');
        if (res.status !== 202) {
          const detail = describeRegistryErrorBody(text);
          throw new RegistryProtocolError(this.client.name, `answered ${res.status} to a chunk of blob ${blob.digest} at ${offset}${detail ? ` (${detail})` : ''}`);
        }
        const moved = res.headers.get('location');
        if (moved) current = new URL(moved, current).toString();
        offset += bytesRead;
        this.bytesUploaded += bytesRead;
        this.emit({ type: 'blob-progress', digest: blob.digest, size: blob.size, transferred: offset });
      }
    } finally {
      await file.close();
    }
    const actual = `sha256:${hash.digest('hex')}`;
    if (actual !== blob.digest) {
      throw new RegistryDigestMismatchError('local store', `blob ${blob.digest} (damaged on disk; run layerlab prune and rebuild or pull)`, blob.digest, actual);
    }
    const res = await this.client.request({
      method: 'PUT',
      path: this.withDigest(current, blob.digest),
      scopes: this.scopes,
      headers: { 'Content-Type': 'application/octet-stream' },
      body: Buffer.alloc(0),
      what: `the end of blob upload ${blob.digest}`,
    });
    await this.expectCreated(res, blob.digest);
  }

  private async expectCreated(res: Response, digest: string): Promise<void> {
    const text = await res.text().catch(() => '');
    if (res.status !== 201) {
      const detail = describeRegistryErrorBody(text);
      throw new RegistryProtocolError(this.client.name, `answered ${res.status} when completing the upload of blob ${digest}${detail ? ` (${detail})` : ''}`);
    }
    const announced = res.headers.get('docker-content-digest');
    if (announced && isSha256Digest(announced) && announced !== digest) {
      throw new RegistryDigestMismatchError(this.client.name, `blob ${digest} after upload`, digest, announced);
    }
  }
}
