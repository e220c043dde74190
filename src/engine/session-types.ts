/**
 * The shape of a build session as the TUI and the CLI see it. The session
 * itself (session.ts) owns the processes and the store; these types are plain
 * data so UI reducers can hold them and tests can build them by hand.
 */

export type StepStatus =
  | 'pending'
  | 'running'
  | 'done'
  | 'cached'
  | 'failed'
  /** ENV, LABEL, CMD...: changes the config, adds no layer. */
  | 'config-only'
  /** Not needed for the chosen --target. */
  | 'skipped';

/** What one committed layer is, in the store. */
export interface LayerRef {
  /** sha256 of the compressed blob. */
  digest: string;
  /** sha256 of the uncompressed tar. */
  diffId: string;
  /** Compressed size in bytes. */
  size: number;
  /** Uncompressed size in bytes. */
  uncompressedSize: number;
}

export interface ChangeCounts {
  added: number;
  modified: number;
  deleted: number;
}

/** One row of the plan: one instruction of one stage. */
export interface StepInfo {
  /** Position in the plan, 0-based. */
  index: number;
  stageIndex: number;
  stageName: string | undefined;
  /** "RUN", "COPY", ... */
  keyword: string;
  /** The instruction as written (continuations joined), for display. */
  text: string;
  startLine: number;
  endLine: number;
}

export interface StepState extends StepInfo {
  status: StepStatus;
  /** The layer this step committed, when it made one. */
  layer?: LayerRef;
  counts?: ChangeCounts;
  /** ms, for running (so far) and finished steps. */
  durationMs?: number;
  startedAt?: number;
  /** For config-only steps: what changed in the image config, one line each. */
  configChanges?: string[];
  /** For failed steps. */
  failure?: StepFailure;
  /** Why the cache missed, when it did and the engine knows. */
  cacheMiss?: string;
}

export interface StepFailure {
  message: string;
  exitCode?: number;
  signal?: string;
  /** The command as run, for RUN. */
  command?: string;
  /** Last lines of output. */
  tail: string[];
}

/** Events, in the order a UI receives them; `--progress json` prints them one a line. */
export type BuildEvent =
  | { type: 'plan'; steps: StepInfo[] }
  | { type: 'step-start'; step: number; line: number; instruction: string }
  | { type: 'log'; step: number; stream: 'stdout' | 'stderr' | 'info'; text: string }
  | {
      type: 'step-done';
      step: number;
      cached: boolean;
      configOnly: boolean;
      layer?: LayerRef;
      added: number;
      modified: number;
      deleted: number;
      durationMs: number;
    }
  | {
      type: 'step-failed';
      step: number;
      line: number;
      exitCode?: number;
      message: string;
    }
  | { type: 'done'; imageId: string; manifestDigest: string; tags: string[] };
