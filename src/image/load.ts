import { mkdtemp, rm } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { openArchive, type ArchiveReader } from './archive-reader.js';
import { checkConfig, checkManifest, InvalidImageError, readImage, selectHostManifest, storeManifest } from './image.js';
import { DiffIdMismatchError } from './store.js';
import { ingestLayer } from './layer-ingest.js';
import {
  AnnotationContainerdImageName,
  AnnotationRefName,
  digestHex,
  isIndexMediaType,
  isSha256Digest,
  MediaTypes,
  type Descriptor,
  type ImageIndex,
  type ImageManifest,
} from './oci-types.js';
import { normalizeReference } from './reference.js';
import type { Store } from './store.js';

/**
 * `layerlab load FILE|DIR`: bring images from an archive into the store.
 *
 * - OCI image layout (oci-layout + index.json + blobs/), as a directory or a
 *   tar. Blobs are copied as they are, each checked against its digest, so
 *   the manifest digest is kept. Names come from `io.containerd.image.name`,
 *   else from `org.opencontainers.image.ref.name`: a full reference is used as
 *   is, a bare tag becomes `localhost/<archive name>:<tag>`.
 * - The OCI-flavoured docker-archive of Docker >= 25 is also an OCI layout; it
 *   is loaded that way, named by manifest.json's RepoTags.
 * - Legacy docker-archive (manifest.json + <id>/layer.tar + <config>.json):
 *   the config is stored byte for byte (so the image id stays the same) and
 *   each layer is stored as given: a plain layer.tar keeps its digest, which
 *   equals its diff_id. The image gets an OCI manifest listing them
 *   (`application/vnd.oci.image.layer.v1.tar` or `+gzip`). Those
 *   uncompressed layers are gzipped when the image is saved as OCI.
 */
export interface LoadedImage {
  refs: string[];
  manifestDigest: string;
  configDigest: string;
}

export class UnknownArchiveError extends Error {
  readonly isUserError = true;
  readonly exitCode = 2;
  constructor(readonly path: string) {
    super(`${path} is neither an OCI image layout (oci-layout + index.json) nor a docker-archive (manifest.json)`);
    this.name = 'UnknownArchiveError';
  }
}

interface DockerArchiveEntry {
  Config: string;
  RepoTags?: string[] | null;
  Layers: string[];
}

export async function loadArchive(store: Store, path: string, onWarning?: (message: string) => void): Promise<LoadedImage[]> {
  const scratch = await mkdtemp(join(store.tmpDir, 'load-'));
  try {
    const archive = await openArchive(path, scratch);
    const dockerManifest = (await archive.has('manifest.json')) ? await readDockerManifest(archive) : undefined;
    if ((await archive.has('oci-layout')) && (await archive.has('index.json'))) {
      return await loadOciLayout(store, archive, path, dockerManifest, onWarning);
    }
    if (dockerManifest) return await loadDockerArchive(store, archive, dockerManifest, onWarning);
    throw new UnknownArchiveError(path);
  } finally {
    await rm(scratch, { recursive: true, force: true });
  }
}

async function readDockerManifest(archive: ArchiveReader): Promise<DockerArchiveEntry[]> {
  const parsed = JSON.parse((await archive.readBuffer('manifest.json')).toString('utf8')) as unknown;
  // A lone object is a registry manifest (e.g. skopeo's dir: transport), not a docker-archive.
  if (!Array.isArray(parsed)) throw new UnknownArchiveError(archive.description);
  if (parsed.some((e) => !e || typeof e.Config !== 'string' || !Array.isArray(e.Layers))) {
    throw new InvalidImageError(`${archive.description}: manifest.json`, 'expected an array of {Config, RepoTags, Layers}');
  }
  return parsed as DockerArchiveEntry[];
}

function normalizeNames(names: string[], onWarning?: (message: string) => void): string[] {
  const out: string[] = [];
  for (const name of names) {
    try {
      out.push(normalizeReference(name));
    } catch (err) {
      onWarning?.(`ignoring image name "${name}": ${(err as Error).message}`);
    }
  }
  return [...new Set(out)];
}

async function copyBlob(store: Store, archive: ArchiveReader, descriptor: Descriptor): Promise<void> {
  if (!isSha256Digest(descriptor.digest)) throw new InvalidImageError(archive.description, `unsupported digest "${descriptor.digest}"`);
  if (await store.hasBlob(descriptor.digest)) return;
  const writer = await store.createBlobWriter({ digest: descriptor.digest, size: descriptor.size });
  try {
    for await (const chunk of archive.open(`blobs/sha256/${digestHex(descriptor.digest)}`)) await writer.write(chunk);
    await writer.commit();
  } catch (err) {
    await writer.abort();
    throw err;
  }
}

async function loadOciLayout(
  store: Store,
  archive: ArchiveReader,
  path: string,
  dockerManifest: DockerArchiveEntry[] | undefined,
  onWarning?: (message: string) => void,
): Promise<LoadedImage[]> {
  const index = JSON.parse((await archive.readBuffer('index.json')).toString('utf8')) as ImageIndex;
  if (!index || !Array.isArray(index.manifests)) throw new InvalidImageError(`${path}: index.json`, 'no manifests list');
  const loaded: LoadedImage[] = [];
  for (const top of index.manifests) {
    let descriptor = top;
    await copyBlob(store, archive, descriptor);
    if (isIndexMediaType(descriptor.mediaType)) {
      const nested = await store.readJsonBlob<ImageIndex>(descriptor.digest);
      const chosen = selectHostManifest(nested);
      if (!chosen) {
        onWarning?.(`${descriptor.digest}: no manifest for this platform in the index; skipped`);
        continue;
      }
      descriptor = chosen;
      await copyBlob(store, archive, descriptor);
    }
    const manifest = checkManifest(await store.readJsonBlob<ImageManifest>(descriptor.digest), `${path}: ${descriptor.digest}`);
    await copyBlob(store, archive, manifest.config);
    for (const layer of manifest.layers) await copyBlob(store, archive, layer);

    const names = namesFromAnnotations(top.annotations, path);
    for (const entry of dockerManifest ?? []) {
      if (entry.Config.endsWith(digestHex(manifest.config.digest)) || entry.Config.endsWith(`${digestHex(manifest.config.digest)}.json`)) {
        names.push(...(entry.RepoTags ?? []));
      }
    }
    const refs = normalizeNames(names, onWarning);
    const mediaType = descriptor.mediaType ?? manifest.mediaType ?? MediaTypes.ociManifest;
    await readImage(store, descriptor.digest, mediaType);
    for (const ref of refs) await store.setRef(ref, { digest: descriptor.digest, mediaType });
    loaded.push({ refs, manifestDigest: descriptor.digest, configDigest: manifest.config.digest });
  }
  return loaded;
}

function namesFromAnnotations(annotations: Record<string, string> | undefined, path: string): string[] {
  const full = annotations?.[AnnotationContainerdImageName];
  if (full) return [full];
  const refName = annotations?.[AnnotationRefName];
  if (!refName) return [];
  if (refName.includes('/') || refName.includes(':')) return [refName];
  // A bare tag names no repository: borrow the archive's name, as podman does with "localhost/".
  const repository = basename(path).replace(/\.(tar|tgz|tar\.gz)$/, '').toLowerCase().replace(/[^a-z0-9._-]+/g, '-').replace(/^[^a-z0-9]+|[^a-z0-9]+$/g, '') || 'image';
  return [`localhost/${repository}:${refName}`];
}

async function loadDockerArchive(
  store: Store,
  archive: ArchiveReader,
  entries: DockerArchiveEntry[],
  onWarning?: (message: string) => void,
): Promise<LoadedImage[]> {
  const loaded: LoadedImage[] = [];
  for (const entry of entries) {
    const what = `${archive.description}: ${entry.Config}`;
    const configBytes = await archive.readBuffer(entry.Config);
    const config = checkConfig(JSON.parse(configBytes.toString('utf8')), what);
    if (config.rootfs.diff_ids.length !== entry.Layers.length) {
      throw new InvalidImageError(what, `manifest.json lists ${entry.Layers.length} layers but the config has ${config.rootfs.diff_ids.length} diff_ids`);
    }
    const configBlob = await store.writeBlob(configBytes);
    const layers: Descriptor[] = [];
    for (const [i, layerPath] of entry.Layers.entries()) {
      const layer = await ingestLayer(store, archive.open(layerPath), { compression: 'keep', what: `${archive.description}: ${layerPath}` });
      const expected = config.rootfs.diff_ids[i]!;
      if (layer.diffId !== expected) throw new DiffIdMismatchError(layer.descriptor.digest, expected, layer.diffId);
      layers.push(layer.descriptor);
    }
    const manifest: ImageManifest = {
      schemaVersion: 2,
      mediaType: MediaTypes.ociManifest,
      config: { mediaType: MediaTypes.ociConfig, digest: configBlob.digest, size: configBlob.size },
      layers,
    };
    const refs = normalizeNames(entry.RepoTags ?? [], onWarning);
    const image = await storeManifest(store, manifest, refs[0]);
    for (const ref of refs.slice(1)) await store.setRef(ref, { digest: image.manifestDigest, mediaType: MediaTypes.ociManifest });
    loaded.push({ refs, manifestDigest: image.manifestDigest, configDigest: configBlob.digest });
  }
  return loaded;
}
