/**
 * Fetching and checking manifests. A manifest is trusted only when its bytes
 * hash to the digest asked for (pull by digest), or to the digest the registry
 * announces in Docker-Content-Digest (pull by tag). Its shape is checked
 * before anything it points to is fetched.
 */
import { createHash } from 'node:crypto';
import {
  isIndexMediaType,
  isManifestMediaType,
  isSha256Digest,
  layerCompression,
  MediaTypes,
  type Descriptor,
  type ImageIndex,
  type ImageManifest,
} from '../oci-types.js';
import { readLimited, type RegistryClient } from './client.js';
import {
  describeRegistryErrorBody,
  ManifestUnknownError,
  RegistryDigestMismatchError,
  RegistryProtocolError,
  UnsupportedMediaTypeError,
} from './errors.js';

/** containerd's limit: a manifest larger than this is not a manifest. */
export const MANIFEST_SIZE_LIMIT = 4 << 20;

export const MANIFEST_ACCEPT = [
  MediaTypes.ociIndex,
  MediaTypes.ociManifest,
  MediaTypes.dockerManifestList,
  MediaTypes.dockerManifest,
].join(', ');

export interface FetchedManifest {
  bytes: Buffer;
  digest: string;
  mediaType: string;
  /** Parsed body: an index when isIndexMediaType(mediaType), else an image manifest. */
  document: ImageIndex | ImageManifest;
}

export function sha256Of(data: Buffer): string {
  return `sha256:${createHash('sha256').update(data).digest('hex')}`;
}

/**
 * GET /v2/<repository>/manifests/<tag or digest>. `shown` is the reference as
 * errors name it ("127.0.0.1:5000/a/b:latest").
 */
export async function fetchManifest(
  client: RegistryClient,
  repository: string,
  target: string,
  shown: string,
): Promise<FetchedManifest> {
  const res = await client.request({
    method: 'GET',
    path: `/v2/${repository}/manifests/${target}`,
    scopes: [`repository:${repository}:pull`],
    headers: { Accept: MANIFEST_ACCEPT },
    what: `manifest ${shown}`,
  });
  if (res.status === 404) {
    throw new ManifestUnknownError(client.name, shown, describeRegistryErrorBody(await res.text().catch(() => '')));
  }
  if (res.status !== 200) {
    const detail = describeRegistryErrorBody(await res.text().catch(() => ''));
    throw new RegistryProtocolError(client.name, `answered ${res.status} to GET manifest ${shown}${detail ? ` (${detail})` : ''}`);
  }
  const bytes = await readLimited(res, MANIFEST_SIZE_LIMIT, client.name, `manifest ${shown}`);
  const digest = sha256Of(bytes);
  const expected = isSha256Digest(target) ? target : res.headers.get('docker-content-digest') ?? undefined;
  if (expected !== undefined && expected !== digest) {
    throw new RegistryDigestMismatchError(client.name, `manifest ${shown}`, expected, digest);
  }
  return parseManifest(client.name, bytes, digest, res.headers.get('content-type'), shown);
}

export function parseManifest(
  registry: string,
  bytes: Buffer,
  digest: string,
  contentType: string | null,
  shown: string,
): FetchedManifest {
  let document: { mediaType?: unknown; schemaVersion?: unknown; manifests?: unknown; config?: unknown; layers?: unknown };
  try {
    document = JSON.parse(bytes.toString('utf8')) as typeof document;
  } catch {
    throw new RegistryProtocolError(registry, `manifest ${shown} is not valid JSON`);
  }
  if (!document || typeof document !== 'object') throw new RegistryProtocolError(registry, `manifest ${shown} is not a JSON object`);
  const headerType = contentType?.split(';')[0]!.trim();
  let mediaType = typeof document.mediaType === 'string' ? document.mediaType : headerType;
  if (!mediaType || mediaType === 'application/json' || mediaType === 'text/plain') {
    mediaType = Array.isArray(document.manifests) ? MediaTypes.ociIndex : MediaTypes.ociManifest;
  }
  if (mediaType.startsWith('application/vnd.docker.distribution.manifest.v1')) {
    throw new UnsupportedMediaTypeError(registry, mediaType, `manifest ${shown}`, 'Docker schema 1 was retired in 2019; re-push the image with a current tool');
  }
  if (!isIndexMediaType(mediaType) && !isManifestMediaType(mediaType)) {
    throw new UnsupportedMediaTypeError(registry, mediaType, `manifest ${shown}`);
  }
  if (document.schemaVersion !== 2) {
    throw new RegistryProtocolError(registry, `manifest ${shown} has schemaVersion ${String(document.schemaVersion)}, expected 2`);
  }
  if (isIndexMediaType(mediaType)) {
    if (!Array.isArray(document.manifests)) throw new RegistryProtocolError(registry, `index ${shown} has no "manifests" array`);
    document.manifests.forEach((d, i) => checkDescriptor(registry, d, `${shown} manifests[${i}]`));
  } else {
    checkDescriptor(registry, document.config, `${shown} config`);
    if (!Array.isArray(document.layers)) throw new RegistryProtocolError(registry, `manifest ${shown} has no "layers" array`);
    document.layers.forEach((d, i) => checkDescriptor(registry, d, `${shown} layers[${i}]`));
  }
  return { bytes, digest, mediaType, document: document as unknown as ImageIndex | ImageManifest };
}

function checkDescriptor(registry: string, value: unknown, where: string): asserts value is Descriptor {
  const d = value as Partial<Descriptor> | undefined;
  if (!d || typeof d !== 'object') throw new RegistryProtocolError(registry, `${where} is not a descriptor`);
  if (typeof d.mediaType !== 'string') throw new RegistryProtocolError(registry, `${where} has no mediaType`);
  if (!isSha256Digest(d.digest)) {
    throw new RegistryProtocolError(registry, `${where} has digest ${JSON.stringify(d.digest)}, expected sha256:<64 hex digits>`);
  }
  if (typeof d.size !== 'number' || !Number.isSafeInteger(d.size) || d.size < 0) {
    throw new RegistryProtocolError(registry, `${where} has no valid size`);
  }
}

/**
 * Refuses, before any download, layers layerlab cannot unpack, naming the
 * media type: zstd (no zstd in Node 20's zlib), and anything unknown.
 */
export function checkLayerMediaTypes(registry: string, manifest: ImageManifest, shown: string): void {
  manifest.layers.forEach((layer, i) => {
    const compression = layerCompression(layer.mediaType);
    if (compression === 'zstd') {
      throw new UnsupportedMediaTypeError(
        registry,
        layer.mediaType,
        `layer ${i + 1} (${layer.digest}) of ${shown}`,
        'zstd-compressed layers cannot be unpacked yet; use a gzip variant of the image',
      );
    }
    if (compression === undefined) {
      throw new UnsupportedMediaTypeError(registry, layer.mediaType, `layer ${i + 1} (${layer.digest}) of ${shown}`, 'layerlab unpacks tar and tar+gzip layers');
    }
  });
}
