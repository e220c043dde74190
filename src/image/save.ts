import { createReadStream } from 'node:fs';
import { mkdtemp, readdir, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { createHash } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { pipeline } from 'node:stream/promises';
import { decompressLayer } from './layer-compression.js';
import { ingestLayer } from './layer-ingest.js';
import { openLayoutWriter, type LayoutWriter } from './layout-writer.js';
import {
  AnnotationContainerdImageName,
  AnnotationRefName,
  digestHex,
  layerCompression,
  MediaTypes,
  type Descriptor,
  type ImageIndex,
  type ImageManifest,
} from './oci-types.js';
import { familiarReference, parseReference } from './reference.js';
import { DiffIdMismatchError, type Store } from './store.js';
import type { Image } from './image.js';

/**
 * `layerlab save`: write an image as an OCI image layout or a docker-archive.
 *
 * OCI layout (a directory, or a tar when the path ends in .tar): oci-layout,
 * index.json naming the image by `org.opencontainers.image.ref.name` (the tag,
 * as skopeo `oci:DIR:TAG` and umoci `DIR:TAG` expect) and
 * `io.containerd.image.name` (the full name, for docker/containerd), and
 * blobs/sha256/. The manifest uses OCI media types and gzip layers; a layer
 * stored uncompressed is gzipped into the store first.
 *
 * docker-archive (always a tar): manifest.json with Config, RepoTags and
 * Layers, the config JSON as stored (its digest is the image id), and one
 * uncompressed `<diff_id hex>/layer.tar` per layer — what `docker save` wrote
 * for years and what docker, podman and skopeo all load.
 */
export type SaveFormat = 'oci' | 'docker';

export class SaveDestinationError extends Error {
  readonly isUserError = true;
  readonly exitCode = 2;
  constructor(readonly path: string, problem: string) {
    super(`cannot save to ${path}: ${problem}`);
    this.name = 'SaveDestinationError';
  }
}

export interface SaveResult {
  path: string;
  format: SaveFormat;
  /** The manifest digest written into an OCI layout. */
  manifestDigest?: string;
}

export async function saveImage(store: Store, image: Image, dest: string, format: SaveFormat): Promise<SaveResult> {
  const asTar = format === 'docker' || dest.endsWith('.tar');
  if (!asTar) await refuseNonEmptyDirectory(dest);
  const writer = await openLayoutWriter(dest, asTar ? 'tar' : 'dir');
  try {
    const result = format === 'oci' ? await writeOciLayout(store, image, writer) : await writeDockerArchive(store, image, writer);
    await writer.commit();
    return { path: dest, format, ...result };
  } catch (err) {
    await writer.abort();
    throw err;
  }
}

async function refuseNonEmptyDirectory(dest: string): Promise<void> {
  const info = await stat(dest).catch(() => undefined);
  if (!info) return;
  if (!info.isDirectory()) throw new SaveDestinationError(dest, 'it exists and is not a directory (name a .tar file for an OCI archive)');
  if ((await readdir(dest)).length > 0) throw new SaveDestinationError(dest, 'the directory exists and is not empty');
  await rm(dest, { recursive: true });
}

/** The layer as gzip in the store: itself when already gzip, else a gzipped copy (which prune collects later). */
export async function gzipLayerDescriptor(store: Store, layer: Descriptor, diffId: string): Promise<Descriptor> {
  if (layerCompression(layer.mediaType) === 'gzip') return { mediaType: MediaTypes.ociLayerGzip, digest: layer.digest, size: layer.size };
  const ingested = await ingestLayer(store, createReadStream(store.blobPath(layer.digest)), {
    compression: 'gzip',
    what: `layer ${layer.digest}`,
  });
  if (ingested.diffId !== diffId) throw new DiffIdMismatchError(layer.digest, diffId, ingested.diffId);
  return ingested.descriptor;
}

async function writeOciLayout(store: Store, image: Image, writer: LayoutWriter): Promise<{ manifestDigest: string }> {
  const layers: Descriptor[] = [];
  for (const layer of image.layers) layers.push(await gzipLayerDescriptor(store, layer.descriptor, layer.diffId));
  const configBytes = await store.readBlob(image.configDigest);
  const manifest: ImageManifest = {
    schemaVersion: 2,
    mediaType: MediaTypes.ociManifest,
    config: { mediaType: MediaTypes.ociConfig, digest: image.configDigest, size: configBytes.length },
    layers,
  };
  const manifestBytes = Buffer.from(JSON.stringify(manifest));
  const manifestDigest = `sha256:${createHash('sha256').update(manifestBytes).digest('hex')}`;
  const annotations: Record<string, string> = {};
  if (image.ref) {
    const parsed = parseReference(image.ref);
    if (parsed.tag) annotations[AnnotationRefName] = parsed.tag;
    annotations[AnnotationContainerdImageName] = image.ref;
  }
  const index: ImageIndex = {
    schemaVersion: 2,
    mediaType: MediaTypes.ociIndex,
    manifests: [
      {
        mediaType: MediaTypes.ociManifest,
        digest: manifestDigest,
        size: manifestBytes.length,
        ...(Object.keys(annotations).length > 0 ? { annotations } : {}),
      },
    ],
  };
  await writer.addBuffer('oci-layout', JSON.stringify({ imageLayoutVersion: '1.0.0' }));
  await writer.addBuffer('index.json', JSON.stringify(index));
  await writer.addBuffer(`blobs/sha256/${digestHex(manifestDigest)}`, manifestBytes);
  await writer.addBuffer(`blobs/sha256/${digestHex(image.configDigest)}`, configBytes);
  for (const layer of layers) {
    await writer.addFile(`blobs/sha256/${digestHex(layer.digest)}`, store.blobPath(layer.digest), layer.size, layer.digest);
  }
  return { manifestDigest };
}

async function writeDockerArchive(store: Store, image: Image, writer: LayoutWriter): Promise<Record<string, never>> {
  const configBytes = await store.readBlob(image.configDigest);
  const configPath = `${digestHex(image.configDigest)}.json`;
  const layerPaths = image.layers.map((l) => `${digestHex(l.diffId)}/layer.tar`);
  const repoTags = image.ref && parseReference(image.ref).tag ? [familiarReference(image.ref).replace(/@sha256:.*$/, '')] : [];
  const manifest = [{ Config: configPath, RepoTags: repoTags, Layers: layerPaths }];
  await writer.addBuffer('manifest.json', JSON.stringify(manifest));
  await writer.addBuffer(configPath, configBytes);
  const scratch = await mkdtemp(join(store.tmpDir, 'save-'));
  try {
    for (const [i, layer] of image.layers.entries()) {
      const path = layerPaths[i]!;
      if (layerCompression(layer.descriptor.mediaType) === 'none') {
        await writer.addFile(path, store.blobPath(layer.descriptor.digest), layer.descriptor.size, layer.diffId);
        continue;
      }
      // The tar header needs the size first: uncompress to scratch, checking the diff_id.
      const plain = join(scratch, digestHex(layer.diffId));
      const hash = createHash('sha256');
      let size = 0;
      await pipeline(
        decompressLayer(createReadStream(store.blobPath(layer.descriptor.digest)), `layer ${layer.descriptor.digest}`),
        async function* (chunks: AsyncIterable<Buffer>) {
          for await (const chunk of chunks) {
            hash.update(chunk);
            size += chunk.length;
            yield chunk;
          }
        },
        createWriteStream(plain),
      );
      const diffId = `sha256:${hash.digest('hex')}`;
      if (diffId !== layer.diffId) throw new DiffIdMismatchError(layer.descriptor.digest, layer.diffId, diffId);
      await writer.addFile(path, plain, size);
      await rm(plain, { force: true });
    }
  } finally {
    await rm(scratch, { recursive: true, force: true });
  }
  return {};
}
