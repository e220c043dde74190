/**
 * FROM: the first state of a stage, from scratch, an earlier stage or an
 * image (from the store, else pulled).
 */
import { StageScope } from '../dockerfile/stage-scope.js';
import type { Stage } from '../dockerfile/stages.js';
import { InstructionError } from '../dockerfile/errors.js';
import { scratchConfig, stageConfigFromBase } from './image-config.js';
import type { StepContext, StepOutcome } from './step-context.js';
import { snapshot, type StageState } from './stage-state.js';
import type { ImageConfig } from '../image/oci-types.js';

export interface FromInputs {
  stage: Stage;
  globalArgs: ReadonlyMap<string, string>;
  buildArgs: ReadonlyMap<string, string>;
  escapeToken: string;
  platform: { os: string; architecture: string; variant?: string };
  /** Reads an image's config and unpacked layers (pulling when needed). */
  loadImage(ref: string): Promise<{ config: ImageConfig; layers: import('./layer-commit.js').LayerRecord[] }>;
}

export async function executeFrom(ctx: StepContext, input: FromInputs): Promise<StepOutcome> {
  const { stage } = input;
  const scopeOptions = { globalArgs: input.globalArgs, buildArgs: input.buildArgs, escapeToken: input.escapeToken };
  const range = { startLine: stage.from.startLine, endLine: stage.from.endLine };
  let after: StageState;
  switch (stage.base.kind) {
    case 'scratch': {
      // BuildKit's emptyImage: PATH and WorkingDir "/" are set even for scratch.
      const config = scratchConfig(input.platform);
      after = {
        config,
        layers: [],
        scope: StageScope.fromImageEnv(config.config?.Env ?? [], scopeOptions),
        flags: { cmdSet: false },
        layerSteps: [],
      };
      break;
    }
    case 'stage': {
      const parent = ctx.stageState(stage.base.index);
      if (!parent) throw new InstructionError(`stage ${stage.baseName} has not been built`, range);
      after = snapshot(parent);
      after.config.config ??= {};
      after.config.config.OnBuild = null;
      after.flags = { cmdSet: false };
      break;
    }
    case 'image': {
      ctx.log('info', `resolving ${stage.base.ref}`);
      const image = await input.loadImage(stage.base.ref);
      const config = stageConfigFromBase(image.config);
      after = {
        config,
        layers: image.layers,
        scope: StageScope.fromImageEnv(config.config?.Env ?? [], scopeOptions),
        flags: { cmdSet: false },
        layerSteps: image.layers.map(() => undefined),
      };
      ctx.log('info', `${stage.base.ref}: ${image.layers.length} layer${image.layers.length === 1 ? '' : 's'}`);
      break;
    }
  }
  return { after, cached: false };
}
