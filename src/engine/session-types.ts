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
  /**
   * command: the step's process failed (exit status 1 of `layerlab build`);
   * input: the Dockerfile, the context or an image is wrong (exit status 2);
   * cancelled: stopped by the user; internal: a fault of layerlab's.
   */
  cause?: 'command' | 'input' | 'cancelled' | 'internal';
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

/** One layer of the image as it stands after a step, for the layer pane. */
export interface StackLayer {
  /** The plan step that made it, or undefined for a layer of the base image. */
  stepIndex: number | undefined;
  diffId: string;
  /** The history line that made it ("RUN /bin/sh -c ..." or the base's). */
  createdBy: string;
  size: number;
}

/** A shell opened inside the container as it is at some step (see openShell). */
export interface ShellTarget {
  step: number;
  /** For a failed RUN: the state before the step, or after it with its partial writes. */
  state: 'before' | 'after';
}

/** A build-context file that a COPY or ADD source matched after .dockerignore (see contextFiles). */
export interface ContextFile {
  /** Relative to the context dir, '/' separators. */
  path: string;
  /** Bytes, for regular files; 0 otherwise. */
  size: number;
  /** Plan indexes of the COPY/ADD steps whose sources took this file. */
  steps: number[];
}

/** A shell process running inside a step's container on a pty (see openShell). */
export interface ShellProcess {
  onData(listener: (data: string) => void): void;
  onExit(listener: (exitCode: number) => void): void;
  write(data: string): void;
  resize(cols: number, rows: number): void;
  kill(): void;
  /** The shell binary that runs ("/bin/sh"). */
  readonly shellPath: string;
  /** After exit: what the shell changed (its changes go to a throwaway upper dir). */
  changes(): Promise<import('../layers/types.js').ChangeEntry[]>;
  /** After exit: the commands typed, oldest first, for the RUN line of a kept step. */
  commands(): Promise<string[]>;
  /**
   * After exit: keeps the changes as a new RUN step right after the shell's
   * step (the line is also written into the Dockerfile); the steps below go
   * back to pending. Resolves with the new step's index.
   */
  keep(runLine?: string): Promise<number>;
  /** Throws the changes away. */
  discard(): Promise<void>;
}

/**
 * What the TUI and CLI may ask of a build session (engine/session.ts). Every
 * method that runs steps serialises behind the one running now.
 */
export interface SessionApi {
  readonly dockerfilePath: string;
  readonly contextDir: string;
  readonly steps: readonly StepState[];
  readonly breakpoints: ReadonlySet<number>;
  /** True while a step runs. */
  readonly busy: boolean;
  /** Events as they happen, plus `{type:'state'}` whenever `steps` changed otherwise. */
  subscribe(listener: (event: BuildEvent | { type: 'state' }) => void): () => void;
  /** Runs the next pending step (in Dockerfile order, skipping stages the target does not need). */
  next(): Promise<void>;
  /** Runs until the step at `index` is done (or one fails). */
  runTo(index: number): Promise<void>;
  /** Runs until a breakpoint step is reached (not run) or the end. */
  continue(): Promise<void>;
  toggleBreakpoint(index: number): void;
  /** Forgets the results from `index` on and runs to `index` again, without cache for that step. */
  rerunFrom(index: number): Promise<void>;
  /** Re-reads the Dockerfile (or takes `text`) and keeps every step above the first changed one. */
  replan(text?: string): Promise<void>;
  /** Kills the running step, if any. */
  cancel(): void;
  /** The change list of the layer a step made (or, for a failed RUN, its partial writes). */
  changes(index: number): Promise<import('../layers/types.js').ChangeEntry[] | undefined>;
  /** The layers of the image as it is after `index`, bottom first. */
  layersAt(index: number): StackLayer[];
  /** The change list of any layer of the session, by diff_id (base image layers included). */
  layerChanges(diffId: string): Promise<import('../layers/types.js').ChangeEntry[]>;
  /** A file's bytes as the container sees it after step `index` (or before it, `before: true`). */
  readFile(index: number, path: string, before?: boolean): Buffer | undefined;
  /** The step's log lines so far. */
  log(index: number): readonly string[];
  /**
   * The context files the plan's COPY/ADD sources match after .dockerignore,
   * each with the steps that take it, for the TUI's context view. Optional:
   * added by the TUI (issue 5); the TUI says so when a session lacks it.
   */
  contextFiles?(): Promise<ContextFile[]>;
  /**
   * Opens an interactive shell inside the container as it is at a step
   * (issue 6). Optional until the shell lands; the TUI's `s` key says so
   * when it is missing.
   */
  openShell?(target: ShellTarget, size: { cols: number; rows: number }): Promise<ShellProcess>;
  /** Writes the image of the target stage to the store (all steps must be done). */
  finish(): Promise<{ imageId: string; manifestDigest: string; tags: string[] }>;
  close(): Promise<void>;
}
