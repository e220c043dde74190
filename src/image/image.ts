import { normalizeReference, parseReference } from './reference.js';
import {
  hostArchitecture,
  isIndexMediaType,
  isManifestMediaType,
  isSha256Digest,
  MediaTypes,
  type Descriptor,
  type ImageConfig,
  type ImageIndex,
  type ImageManifest,
} from './oci-types.js';
import type { Store } from './store.js';

/**
 * An image as the rest of layerlab sees it: its manifest, its config and its
 * layers paired with their diff_ids, read from the store and checked for
 * consistency. The image id is the config digest, as with docker.
 */
export interface ImageLayer {
  /** The layer blob as the manifest describes it (compressed or not). */
  descriptor: Descriptor;
  /** Digest of the uncompressed tar, from config.rootfs.diff_ids. */
  diffId: string;
}

export class Image {
  constructor(
    readonly manifestDigest: string,
    readonly manifestMediaType: string,
    readonly manifest: ImageManifest,
    readonly config: ImageConfig,
    /** The ref the image was found by, when it was found by one. */
    readonly ref?: string,
  ) {}

  get id(): string {
    return this.manifest.config.digest;
  }

  get configDigest(): string {
    return this.manifest.config.digest;
  }

  get layers(): ImageLayer[] {
    return this.manifest.layers.map((descriptor, i) => ({ descriptor, diffId: this.config.rootfs.diff_ids[i]! }));
  }

  get diffIds(): string[] {
    return [...this.config.rootfs.diff_ids];
  }

  /** Bytes of config and layer blobs, as stored (what `images` shows as SIZE). */
  get size(): number {
    return this.manifest.config.size + this.manifest.layers.reduce((sum, l) => sum + l.size, 0);
  }

  /**
   * The unpacked layer dirs, bottom layer first, extracting any not yet
   * unpacked. Overlay wants lowerdir top first: reverse this list for it.
   */
  async unpackLayers(store: Store): Promise<string[]> {
    const dirs: string[] = [];
    for (const layer of this.layers) {
      dirs.push(await store.ensureUnpackedLayer(layer.diffId, layer.descriptor.digest, layer.descriptor.mediaType));
    }
    return dirs;
  }
}

export class ImageNotFoundError extends Error {
  readonly isUserError = true;
  readonly exitCode = 2;
  constructor(readonly reference: string) {
    super(`image "${reference}" is not in the store (see \`layerlab images\`; \`layerlab pull\` or \`layerlab load\` it first)`);
    this.name = 'ImageNotFoundError';
  }
}

export class InvalidImageError extends Error {
  readonly isUserError = true;
  readonly exitCode = 2;
  constructor(readonly what: string, problem: string) {
    super(`${what}: ${problem}`);
    this.name = 'InvalidImageError';
  }
}

export function checkManifest(value: unknown, what: string): ImageManifest {
  const m = value as ImageManifest;
  if (!m || typeof m !== 'object' || m.schemaVersion !== 2) throw new InvalidImageError(what, 'not a schemaVersion 2 image manifest');
  if (!m.config || !isSha256Digest(m.config.digest)) throw new InvalidImageError(what, 'the manifest has no valid config descriptor');
  if (!Array.isArray(m.layers) || m.layers.some((l) => !l || !isSha256Digest(l.digest) || typeof l.size !== 'number')) {
    throw new InvalidImageError(what, 'the manifest has a malformed layers list');
  }
  return m;
}

export function checkConfig(value: unknown, what: string): ImageConfig {
  const c = value as ImageConfig;
  if (!c || typeof c !== 'object') throw new InvalidImageError(what, 'the image config is not a JSON object');
  if (!c.rootfs || !Array.isArray(c.rootfs.diff_ids) || c.rootfs.diff_ids.some((d) => !isSha256Digest(d))) {
    throw new InvalidImageError(what, 'the image config has no valid rootfs.diff_ids');
  }
  return c;
}

/** Pick the manifest for this host from an index (linux, host arch, arm variant when given). */
export function selectHostManifest(index: ImageIndex): Descriptor | undefined {
  const { architecture, variant } = hostArchitecture();
  const candidates = index.manifests.filter(
    (d) => isManifestMediaType(d.mediaType) && d.platform?.os === 'linux' && d.platform.architecture === architecture,
  );
  return candidates.find((d) => !variant || !d.platform?.variant || d.platform.variant === variant) ?? candidates[0]
    ?? (index.manifests.length === 1 && !index.manifests[0]!.platform ? index.manifests[0] : undefined);
}

/** Read a manifest (or an index, resolved to the host's manifest) and its config from the store. */
export async function readImage(store: Store, digest: string, mediaType?: string, ref?: string): Promise<Image> {
  const what = ref ?? digest;
  const doc = (await store.readJsonBlob<{ mediaType?: string; manifests?: unknown }>(digest)) as unknown as Record<string, unknown>;
  const type = mediaType ?? (doc.mediaType as string | undefined) ?? (Array.isArray(doc.manifests) ? MediaTypes.ociIndex : MediaTypes.ociManifest);
  if (isIndexMediaType(type) || Array.isArray(doc.manifests)) {
    const chosen = selectHostManifest(doc as unknown as ImageIndex);
    if (!chosen) throw new InvalidImageError(what, `the image index has no manifest for linux/${hostArchitecture().architecture}`);
    return readImage(store, chosen.digest, chosen.mediaType, ref);
  }
  const manifest = checkManifest(doc, what);
  const config = checkConfig(await store.readJsonBlob(manifest.config.digest), what);
  if (config.rootfs.diff_ids.length !== manifest.layers.length) {
    throw new InvalidImageError(
      what,
      `the manifest lists ${manifest.layers.length} layers but the config has ${config.rootfs.diff_ids.length} diff_ids`,
    );
  }
  return new Image(digest, manifest.mediaType ?? type, manifest, config, ref);
}

/**
 * Find an image by reference ("alpine", "reg:5000/a/b:t", "name@sha256:…"),
 * by image id or id prefix (config digest, as `docker images` shows it) or by
 * manifest digest.
 */
export async function resolveImage(store: Store, input: string): Promise<Image> {
  let normalized: string | undefined;
  try {
    normalized = normalizeReference(input);
  } catch {
    normalized = undefined;
  }
  if (normalized) {
    const target = await store.getRef(normalized);
    if (target) return readImage(store, target.digest, target.mediaType, normalized);
    const pinned = parseReference(input).digest;
    if (pinned && (await store.hasBlob(pinned))) return readImage(store, pinned, undefined, normalized);
  }
  const idMatch = /^(?:sha256:)?([0-9a-f]{4,64})$/.exec(input);
  if (idMatch) {
    const prefix = idMatch[1]!;
    for (const ref of await store.listRefs()) {
      if (ref.digest.slice(7).startsWith(prefix)) return readImage(store, ref.digest, ref.mediaType, ref.name);
      const image = await readImage(store, ref.digest, ref.mediaType, ref.name).catch(() => undefined);
      if (image && image.id.slice(7).startsWith(prefix)) return image;
    }
  }
  throw new ImageNotFoundError(input);
}

export interface NewImageLayer {
  descriptor: Descriptor;
  diffId: string;
}

/**
 * Write a new image from layers already in the store and a config: the
 * config's rootfs.diff_ids are set from the layers, the history is checked
 * against them, and the config and an OCI manifest are stored. When `ref` is
 * given it is normalized and pointed at the manifest.
 */
export async function writeImage(
  store: Store,
  config: Omit<ImageConfig, 'rootfs'> & { rootfs?: ImageConfig['rootfs'] },
  layers: NewImageLayer[],
  ref?: string,
): Promise<Image> {
  const fullConfig: ImageConfig = { ...config, rootfs: { type: 'layers', diff_ids: layers.map((l) => l.diffId) } };
  if (fullConfig.history) {
    const layerEntries = fullConfig.history.filter((h) => !h.empty_layer).length;
    if (layerEntries !== layers.length) {
      throw new InvalidImageError(ref ?? 'new image', `history has ${layerEntries} non-empty entries for ${layers.length} layers`);
    }
  }
  const present = await Promise.all(layers.map((layer) => store.hasBlob(layer.descriptor.digest)));
  const missing = layers.find((_, i) => !present[i]);
  if (missing) throw new InvalidImageError(ref ?? 'new image', `layer blob ${missing.descriptor.digest} is not in the store`);
  const configBlob = await store.writeBlob(JSON.stringify(fullConfig));
  const manifest: ImageManifest = {
    schemaVersion: 2,
    mediaType: MediaTypes.ociManifest,
    config: { mediaType: MediaTypes.ociConfig, digest: configBlob.digest, size: configBlob.size },
    layers: layers.map((l) => ({ mediaType: l.descriptor.mediaType, digest: l.descriptor.digest, size: l.descriptor.size })),
  };
  const manifestBlob = await store.writeBlob(JSON.stringify(manifest));
  const name = ref ? normalizeReference(ref) : undefined;
  if (name) await store.setRef(name, { digest: manifestBlob.digest, mediaType: MediaTypes.ociManifest });
  return new Image(manifestBlob.digest, MediaTypes.ociManifest, manifest, fullConfig, name);
}

/** Store a manifest whose config and layers are already stored, point `ref` at it, and read it back checked. */
export async function storeManifest(store: Store, manifest: ImageManifest, ref?: string): Promise<Image> {
  const blob = await store.writeBlob(JSON.stringify(manifest));
  const mediaType = manifest.mediaType ?? MediaTypes.ociManifest;
  const image = await readImage(store, blob.digest, mediaType, ref);
  if (ref) await store.setRef(ref, { digest: blob.digest, mediaType });
  return image;
}
