/**
 * The state of a stage between steps: the image config so far, its layers,
 * the variable scope and per-stage flags. Every finished step keeps a
 * snapshot of the state after it, so re-running from a step, re-planning and
 * shells into any step all start from a kept snapshot.
 */
import { StageScope } from '../dockerfile/stage-scope.js';
import type { ImageConfig } from '../image/oci-types.js';
import type { StageFlags } from './dispatch-config.js';
import { cloneConfig } from './image-config.js';
import type { LayerRecord } from './layer-commit.js';
import { readFileFromStack } from './layer-stack-reader.js';

export interface StageState {
  config: ImageConfig;
  /** Bottom first. */
  layers: LayerRecord[];
  scope: StageScope;
  flags: StageFlags;
  /** For each layer, the plan step that made it (undefined: the base image's). */
  layerSteps: Array<number | undefined>;
}

export function snapshot(state: StageState): StageState {
  return {
    config: cloneConfig(state.config),
    layers: [...state.layers],
    scope: StageScope.fromStage(state.scope),
    flags: { ...state.flags },
    layerSteps: [...state.layerSteps],
  };
}

/** Overlay order: topmost first. */
export function lowerDirsOf(state: StageState): string[] {
  return state.layers.map((l) => l.dir).reverse();
}

export function readUserDatabase(state: StageState): { passwd?: string; group?: string } {
  const lowers = lowerDirsOf(state);
  return {
    passwd: readFileFromStack(lowers, '/etc/passwd')?.toString('utf8'),
    group: readFileFromStack(lowers, '/etc/group')?.toString('utf8'),
  };
}
