/**
 * Small synthetic images for registry tests: N layers of random content (so
 * each test gets fresh digests the registry has never seen), in OCI or Docker
 * schema2 media types, written into a store and optionally pushed to the test
 * registry, plus raw index uploads for platform selection.
 */
import { createHash, randomBytes } from 'node:crypto';
import { gzipSync } from 'node:zlib';
import type { Store } from '../../../src/image/store.js';
import { MediaTypes } from '../../../src/image/oci-types.js';
import { normalizeReference } from '../../../src/image/reference.js';
import { packTar } from '../../helpers/tar.js';

export function sha256(data: Buffer | string): string {
  return `sha256:${createHash('sha256').update(data).digest('hex')}`;
}

export async function tarOf(files: Record<string, string | Buffer>): Promise<Buffer> {
  return packTar(Object.entries(files).map(([name, body]) => ({ header: { name, mode: 0o644, mtime: new Date(0) }, body })));
}

export interface SyntheticImage {
  manifestDigest: string;
  manifestBytes: Buffer;
  mediaType: string;
  configDigest: string;
  layers: Array<{ digest: string; size: number; diffId: string; mediaType: string }>;
}

export interface SyntheticOptions {
  layers?: number;
  /** Bytes of random (incompressible) data per layer. */
  layerSize?: number;
  format?: 'oci' | 'docker';
  compression?: 'gzip' | 'none';
  architecture?: string;
  variant?: string;
  /** Override a layer media type (e.g. zstd) after building. */
  layerMediaType?: string;
}

/** Builds an image and writes all its blobs into `store`; sets `ref` (normalized) when given. */
export async function writeSyntheticImage(store: Store, options: SyntheticOptions = {}, ref?: string): Promise<SyntheticImage> {
  const count = options.layers ?? 2;
  const format = options.format ?? 'oci';
  const gzip = (options.compression ?? 'gzip') === 'gzip';
  const layerMediaType =
    options.layerMediaType ??
    (format === 'oci'
      ? gzip
        ? MediaTypes.ociLayerGzip
        : MediaTypes.ociLayer
      : gzip
        ? MediaTypes.dockerLayerGzip
        : MediaTypes.dockerLayerTar);
  const layers: SyntheticImage['layers'] = [];
  for (let i = 0; i < count; i++) {
    const tar = await tarOf({ [`layer-${i}.bin`]: randomBytes(options.layerSize ?? 2048) });
    const blob = gzip ? gzipSync(tar) : tar;
    const { digest, size } = await store.writeBlob(blob);
    layers.push({ digest, size, diffId: sha256(tar), mediaType: layerMediaType });
  }
  const config = Buffer.from(
    JSON.stringify({
      architecture: options.architecture ?? 'amd64',
      ...(options.variant ? { variant: options.variant } : {}),
      os: 'linux',
      config: { Cmd: ['sh'] },
      rootfs: { type: 'layers', diff_ids: layers.map((l) => l.diffId) },
      history: layers.map((_, i) => ({ created_by: `synthetic layer ${i}` })),
    }),
  );
  const { digest: configDigest, size: configSize } = await store.writeBlob(config);
  const mediaType = format === 'oci' ? MediaTypes.ociManifest : MediaTypes.dockerManifest;
  const manifestBytes = Buffer.from(
    JSON.stringify({
      schemaVersion: 2,
      mediaType,
      config: { mediaType: format === 'oci' ? MediaTypes.ociConfig : MediaTypes.dockerConfig, digest: configDigest, size: configSize },
      layers: layers.map((l) => ({ mediaType: l.mediaType, digest: l.digest, size: l.size })),
    }),
  );
  const { digest: manifestDigest } = await store.writeBlob(manifestBytes);
  if (ref) await store.setRef(normalizeReference(ref), { digest: manifestDigest, mediaType });
  return { manifestDigest, manifestBytes, mediaType, configDigest, layers };
}

/** PUT a manifest or index document straight to a registry (plain HTTP). */
export async function putManifest(registry: string, repository: string, target: string, mediaType: string, body: Buffer): Promise<string> {
  const res = await fetch(`http://${registry}/v2/${repository}/manifests/${target}`, {
    method: 'PUT',
    headers: { 'Content-Type': mediaType },
    body,
  });
  const text = await res.text();
  if (res.status !== 201) throw new Error(`PUT manifest ${repository}:${target} → ${res.status} ${text}`);
  return res.headers.get('docker-content-digest') ?? '';
}

export function uniqueRepository(prefix: string): string {
  return `layerlab-test/${prefix}-${randomBytes(4).toString('hex')}`;
}
