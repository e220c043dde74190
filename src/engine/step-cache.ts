/**
 * The two ends of every step that can make a layer (RUN, COPY, ADD,
 * WORKDIR): ask the build cache first, and after running, commit the upper
 * dir as the step's layer, write the history line and record the result.
 */
import type { ChangeEntry } from '../layers/types.js';
import { MediaTypes } from '../image/oci-types.js';
import type { CacheInputs } from './build-cache.js';
import { commitHistory } from './image-config.js';
import { commitUpperDir, countChanges, layerIdMapsFor, type LayerRecord } from './layer-commit.js';
import type { LayerRef } from './session-types.js';
import type { StepContext, StepOutcome } from './step-context.js';
import type { StageState } from './stage-state.js';

export type CacheCheck = { hit: StepOutcome } | { hit?: undefined; miss: string | undefined };

/**
 * On a hit, applies the cached result to `after` (history and layer) and
 * returns the step's outcome; on a miss, says why (unless the cache is off).
 */
export async function checkCache(ctx: StepContext, inputs: CacheInputs, after: StageState, createdBy: string): Promise<CacheCheck> {
  if (ctx.noCache) return { miss: undefined };
  const hit = await ctx.cache.lookup(inputs);
  if (!hit) return { miss: await ctx.cache.explainMiss(inputs) };
  commitHistory(after.config, createdBy, hit.layer ? new Date(hit.createdAt) : undefined);
  const layer = hit.layer ? cachedLayerRecord(ctx, hit.layer) : undefined;
  if (layer) after.layers.push(layer);
  return { hit: { after, cached: true, counts: hit.counts, layer } };
}

export function cachedLayerRecord(ctx: StepContext, layer: LayerRef): LayerRecord {
  return {
    descriptor: { mediaType: MediaTypes.ociLayerGzip, digest: layer.digest, size: layer.size },
    diffId: layer.diffId,
    dir: ctx.store.unpackedLayerPath(layer.diffId),
    uncompressedSize: layer.uncompressedSize,
  };
}

/**
 * Commits what the step changed (nothing makes no layer, as BuildKit's
 * exporter drops empty ones), writes its history line and records it in the
 * cache when the step is cacheable.
 */
export async function commitStep(
  ctx: StepContext,
  after: StageState,
  changes: ChangeEntry[],
  upperDir: string,
  createdBy: string,
  inputs: CacheInputs | undefined,
  cacheMiss: string | undefined,
): Promise<StepOutcome> {
  const counts = countChanges(changes);
  if (changes.length === 0) {
    commitHistory(after.config, createdBy);
    if (inputs) await ctx.cache.record(inputs, undefined, counts);
    return { after, cached: false, cacheMiss, changes, counts };
  }
  const layer = await commitUpperDir(ctx.store, changes, upperDir, layerIdMapsFor(ctx.idMapping));
  after.layers.push(layer);
  // The cache keeps this time, so that a cached rebuild writes the same history.
  const layerCreated = new Date();
  commitHistory(after.config, createdBy, layerCreated);
  if (inputs) {
    const ref = { digest: layer.descriptor.digest, diffId: layer.diffId, size: layer.descriptor.size, uncompressedSize: layer.uncompressedSize ?? 0 };
    await ctx.cache.record(inputs, ref, counts, layerCreated);
  }
  return { after, layer, changes, counts, cached: false, cacheMiss };
}
