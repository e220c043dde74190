/**
 * What a step executor gets from the session, and what it gives back. The
 * executors (step-from, step-run, step-files) know one instruction each; the
 * session knows the order, the events and the bookkeeping.
 */
import type { Store } from '../image/store.js';
import type { ChangeEntry } from '../layers/types.js';
import type { IdMapping } from '../sandbox/id-mapping.js';
import type { BuildCache } from './build-cache.js';
import type { LayerRecord } from './layer-commit.js';
import type { ChangeCounts } from './session-types.js';
import type { StageState } from './stage-state.js';

export interface StepContext {
  store: Store;
  cache: BuildCache;
  /** Skip cache lookups for this step (it is still recorded). */
  noCache: boolean;
  contextDir: string;
  /** Named --build-context directories. */
  buildContexts: Record<string, string>;
  idMapping: IdMapping;
  /** The final state of an earlier stage, by index; undefined when not built. */
  stageState(index: number): StageState | undefined;
  /** Resolves `COPY --from`/`--mount from=` values that name stages. */
  stageIndexByName(name: string): number | undefined;
  /** An image by reference, pulled when the store lacks it, with its layers unpacked. */
  imageLayers(ref: string): Promise<LayerRecord[]>;
  log(stream: 'stdout' | 'stderr' | 'info', text: string): void;
  /** Lets the session kill what the step runs (cancel, close). */
  onCancel(kill: () => void): void;
  /** Directories made for the step that the session removes when it ends. */
  keepUntilClose(path: string): void;
  signal: AbortSignal;
}

export interface StepOutcome {
  after: StageState;
  layer?: LayerRecord;
  changes?: ChangeEntry[];
  counts?: ChangeCounts;
  cached: boolean;
  cacheMiss?: string;
  configChanges?: string[];
  /** Context files the step took (COPY/ADD from the context), for the context view; computed when asked. */
  contextFiles?: () => Promise<string[]>;
}

/** A step that ran and failed: what the failure banner shows. */
export class StepFailedError extends Error {
  readonly isUserError = true;
  readonly exitCode = 1;
  constructor(
    message: string,
    readonly details: {
      exitCode?: number;
      signal?: string;
      command?: string;
      /** The upper dir with the partial writes, kept for the layer pane and the shell. */
      upperDir?: string;
      /** The lower dirs the failed step ran on, topmost first. */
      lowerDirs?: string[];
    } = {},
  ) {
    super(message);
    this.name = 'StepFailedError';
  }
}
