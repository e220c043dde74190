/**
 * A stored image seen layer by layer, for `history`, `diff`, `analyze` and
 * `shell`: each layer with the history line that made it, its unpacked dir
 * and, on demand, its change list (read from the unpacked dir, which has the
 * overlay form, so the cost grows with the layer, not the image).
 */
import { resolveImage, type Image } from '../image/image.js';
import type { HistoryEntry } from '../image/oci-types.js';
import type { Store } from '../image/store.js';
import type { ChangeEntry } from '../layers/types.js';
import { detectChanges } from './layer-commit.js';

export interface InspectedLayer {
  /** 0-based, bottom first. */
  index: number;
  diffId: string;
  digest: string;
  /** Compressed size of the blob. */
  size: number;
  mediaType: string;
  dir: string;
  history: HistoryEntry | undefined;
  changes(): Promise<ChangeEntry[]>;
}

export interface InspectedImage {
  image: Image;
  layers: InspectedLayer[];
  /** Every history entry, with the index of its layer (undefined for empty ones). */
  history: Array<{ entry: HistoryEntry; layer: number | undefined }>;
}

export async function inspectImage(store: Store, ref: string): Promise<InspectedImage> {
  const image = await resolveImage(store, ref);
  const dirs = await image.unpackLayers(store);
  const history: InspectedImage['history'] = [];
  let layerIndex = 0;
  const entries = image.config.history ?? [];
  // Images without a history, or with fewer non-empty entries than layers, still list every layer.
  const nonEmpty = entries.filter((h) => !h.empty_layer).length;
  const missing = Math.max(0, image.layers.length - nonEmpty);
  for (let i = 0; i < missing; i++) history.push({ entry: {}, layer: layerIndex++ });
  for (const entry of entries) {
    if (entry.empty_layer) history.push({ entry, layer: undefined });
    else history.push({ entry, layer: layerIndex < image.layers.length ? layerIndex++ : undefined });
  }
  const historyOf = new Map(history.filter((h) => h.layer !== undefined).map((h) => [h.layer!, h.entry]));
  const cache = new Map<number, Promise<ChangeEntry[]>>();
  const layers: InspectedLayer[] = image.layers.map((l, index) => ({
    index,
    diffId: l.diffId,
    digest: l.descriptor.digest,
    size: l.descriptor.size,
    mediaType: l.descriptor.mediaType,
    dir: dirs[index]!,
    history: historyOf.get(index),
    changes() {
      let p = cache.get(index);
      if (!p) {
        p = detectChanges(dirs[index]!, dirs.slice(0, index).reverse());
        cache.set(index, p);
      }
      return p;
    },
  }));
  return { image, layers, history };
}
