/**
 * Where a session's base images and `--from` images come from: the store,
 * else a pull; `--build-context NAME=docker-image://REF` and
 * `NAME=oci-layout://DIR[@digest]` stand in for a name. Each reference is
 * resolved and unpacked once per session.
 */
import { resolve } from 'node:path';
import { ImageNotFoundError, readImage, resolveImage, type Image } from '../image/image.js';
import { loadArchive } from '../image/load.js';
import type { ImageConfig } from '../image/oci-types.js';
import { normalizeReference } from '../image/reference.js';
import { pullImage } from '../image/registry/pull.js';
import type { ProgressListener } from '../image/registry/progress.js';
import type { Store } from '../image/store.js';
import type { LayerRecord } from './layer-commit.js';

export interface SourcedImage {
  config: ImageConfig;
  /** Bottom first, unpacked. */
  layers: LayerRecord[];
}

export interface ImageSourceOptions {
  insecureRegistries?: string[];
  registryMirrors?: string[];
  onPullProgress?: ProgressListener;
}

/** A --build-context that names an image rather than a directory is not valid. */
export class BuildContextError extends Error {
  readonly isUserError = true;
  readonly exitCode = 2;
}

export class ImageSource {
  private readonly loaded = new Map<string, Promise<SourcedImage>>();

  /** `contexts`: build-context name → docker-image://REF or oci-layout://DIR[@digest]. */
  constructor(
    private readonly store: Store,
    private readonly contexts: Record<string, string>,
    private readonly options: ImageSourceOptions,
  ) {}

  /** The image `ref` names, with `log` told about pulls. */
  get(ref: string, log: (text: string) => void): Promise<SourcedImage> {
    let loaded = this.loaded.get(ref);
    if (!loaded) {
      loaded = this.resolveAndUnpack(ref, log);
      this.loaded.set(ref, loaded);
      loaded.catch(() => this.loaded.delete(ref));
    }
    return loaded;
  }

  private async resolveAndUnpack(ref: string, log: (text: string) => void): Promise<SourcedImage> {
    const context = this.contexts[ref];
    const wanted = context?.startsWith('docker-image://') ? context.slice('docker-image://'.length) : context ?? ref;
    let image: Image;
    try {
      image = wanted.startsWith('oci-layout://') ? await this.fromLayout(wanted) : await resolveImage(this.store, wanted);
    } catch (err) {
      if (!(err instanceof ImageNotFoundError)) throw err;
      log(`pulling ${normalizeReference(wanted)}`);
      await pullImage(this.store, wanted, {
        insecureRegistries: this.options.insecureRegistries,
        registryMirrors: this.options.registryMirrors,
        onProgress: (e) => {
          this.options.onPullProgress?.(e);
          if (e.type === 'blob-done') log(`${e.kind} ${e.digest.slice(7, 19)} ${e.status}`);
        },
      });
      image = await resolveImage(this.store, wanted);
    }
    const dirs = await image.unpackLayers(this.store);
    return {
      config: image.config,
      layers: image.layers.map((l, i) => ({ descriptor: l.descriptor, diffId: l.diffId, dir: dirs[i]! })),
    };
  }

  /** oci-layout://DIR[@sha256:...]: the layout's image, or the one named by digest. */
  private async fromLayout(spec: string): Promise<Image> {
    const [dir, pinned] = spec.slice('oci-layout://'.length).split('@');
    const loaded = await loadArchive(this.store, resolve(dir!));
    const chosen = pinned ? loaded.find((l) => l.manifestDigest === pinned) : loaded[0];
    if (!chosen) {
      throw new BuildContextError(`--build-context ${spec}: ${pinned ? `no image ${pinned} in the layout` : 'the layout holds no image'}`);
    }
    return readImage(this.store, chosen.manifestDigest);
  }
}
