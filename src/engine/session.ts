/**
 * A build session: one Dockerfile and context, stepped one instruction at a
 * time. It owns the plan, every step's state snapshot and log, the processes
 * and mounts of the running step, and the events a UI listens to. Runs are
 * serialised: each public operation waits for the one before it.
 */
import { lstat, readFile, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { platformFromNode } from '../dockerfile/platform.js';
import { DockerfileReadError } from '../dockerfile/errors.js';
import type { Instruction } from '../dockerfile/instructions.js';
import { parseOnbuildTriggers } from '../dockerfile/onbuild-triggers.js';
import type { DockerignoreMatcher } from '../dockerfile/dockerignore.js';
import { writeImage } from '../image/image.js';
import { normalizeReference } from '../image/reference.js';
import type { ProgressListener } from '../image/registry/progress.js';
import { removeStoreTree } from '../image/remove-tree.js';
import { Store } from '../image/store.js';
import type { ChangeEntry } from '../layers/types.js';
import { defaultStateDir, getIdMapping, sweepLeftovers, type IdMapping } from '../sandbox/index.js';
import { BuildCache } from './build-cache.js';
import { ImageSource } from './image-source.js';
import { dispatchConfig, isConfigInstruction } from './dispatch-config.js';
import { sweepHostMounts } from './host-mounts.js';
import { countChanges, detectChanges, layerIdMapsFor } from './layer-commit.js';
import { readFileFromStack } from './layer-stack-reader.js';
import { firstChangedStep, planBuild, type BuildPlan, type PlannedStep } from './plan.js';
import type { BuildEvent, ContextFile, SessionApi, ShellProcess, ShellTarget, StackLayer, StepFailure, StepInfo, StepState } from './session-types.js';
import { openShell, type OpenedShell } from './shell.js';
import { commitHistory, imageCreated, runCreatedBy, withShell } from './image-config.js';
import { resolveContextSources } from './copy/index.js';
import { StepFailedError, type StepContext, type StepOutcome } from './step-context.js';
import { executeCopy, executeWorkdir, loadDockerignore } from './step-files.js';
import { executeFrom } from './step-from.js';
import { executeRun } from './step-run.js';
import { lowerDirsOf, snapshot, type StageState } from './stage-state.js';

export interface SessionOptions {
  /** An open store, or the root to open (default: $LAYERLAB_ROOT, XDG). */
  store?: Store;
  root?: string;
  dockerfilePath: string;
  /** The Dockerfile's text when it does not come from dockerfilePath (stdin). */
  dockerfileText?: string;
  contextDir: string;
  buildArgs?: Record<string, string>;
  target?: string;
  noCache?: boolean;
  tags?: string[];
  /** --build-context NAME=SRC: a directory, docker-image://REF or oci-layout://DIR. */
  buildContexts?: Record<string, string>;
  insecureRegistries?: string[];
  registryMirrors?: string[];
  onPullProgress?: ProgressListener;
}

interface StepRuntime {
  state: StepState;
  after?: StageState;
  changes?: ChangeEntry[];
  failed?: { upperDir?: string; lowerDirs?: string[] };
  log: string[];
  contextFiles?: () => Promise<string[]>;
  /** Run this step without the cache the next time (re-run). */
  forceRun?: boolean;
}

type Listener = (event: BuildEvent | { type: 'state' }) => void;

/** Lines of log kept per step. */
const maxLogLines = 10_000;

export class SessionClosedError extends Error {
  constructor() {
    super('the build session is closed');
  }
}

/** Asked for something the session cannot do in its current state. */
export class SessionStateError extends Error {
  readonly isUserError = true;
  readonly exitCode = 2;
}

export class BuildSession implements SessionApi {
  readonly dockerfilePath: string;
  readonly contextDir: string;
  private plan!: BuildPlan;
  private runtimes: StepRuntime[] = [];
  private readonly listeners = new Set<Listener>();
  private queue: Promise<unknown> = Promise.resolve();
  private running = false;
  /** The running step was stopped by cancel(), not by its own failure. */
  private cancelled = false;
  private closed = false;
  private cancelers: Array<() => void> = [];
  private abort = new AbortController();
  private readonly keep = new Set<string>();
  private readonly layerChangeCache = new Map<string, Promise<ChangeEntry[]>>();
  private readonly bps = new Set<number>();
  private readonly openShells = new Set<OpenedShell>();
  private readonly cache: BuildCache;
  private readonly platform = platformFromNode(process.arch, process.platform);
  private readonly buildContextDirs: Record<string, string> = {};
  private readonly images: ImageSource;

  private constructor(
    private readonly store: Store,
    private readonly options: SessionOptions,
    private readonly idMapping: IdMapping,
    private readonly ignore: DockerignoreMatcher | undefined,
    private dockerfileText: string,
  ) {
    this.dockerfilePath = options.dockerfilePath;
    this.contextDir = resolve(options.contextDir);
    this.cache = new BuildCache(store);
    const imageContexts: Record<string, string> = {};
    for (const [name, src] of Object.entries(options.buildContexts ?? {})) {
      if (src.startsWith('docker-image://') || src.startsWith('oci-layout://')) imageContexts[name] = src;
      else this.buildContextDirs[name] = resolve(src);
    }
    this.images = new ImageSource(store, imageContexts, options);
  }

  static async open(options: SessionOptions): Promise<BuildSession> {
    const store = options.store ?? (await Store.open(options.root));
    await sweepHostMounts(store.tmpDir);
    sweepLeftovers(defaultStateDir());
    const text = options.dockerfileText ?? (await readDockerfile(options.dockerfilePath));
    const idMapping = await getIdMapping();
    const ignore = await loadDockerignore(resolve(options.contextDir), options.dockerfileText ? undefined : options.dockerfilePath);
    const session = new BuildSession(store, options, idMapping, ignore, text);
    session.applyPlan(session.makePlan(text), 0);
    return session;
  }

  // ---- what the UI reads --------------------------------------------------

  get steps(): readonly StepState[] {
    return this.runtimes.map((r) => r.state);
  }

  get breakpoints(): ReadonlySet<number> {
    return this.bps;
  }

  get busy(): boolean {
    return this.running;
  }

  subscribe(listener: Listener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  private emit(event: BuildEvent | { type: 'state' }): void {
    for (const l of this.listeners) {
      try {
        l(event);
      } catch {
        // A listener's bug must not break the build.
      }
    }
  }

  log(index: number): readonly string[] {
    return this.runtimes[index]?.log ?? [];
  }

  toggleBreakpoint(index: number): void {
    if (this.bps.has(index)) this.bps.delete(index);
    else if (index >= 0 && index < this.runtimes.length) this.bps.add(index);
    this.emit({ type: 'state' });
  }

  /**
   * The context files COPY/ADD steps take, with the steps that take them. A
   * step that ran reports what it took; one that has not run yet is resolved
   * from its sources as written (when they hold no variables).
   */
  async contextFiles(): Promise<ContextFile[]> {
    const byPath = new Map<string, number[]>();
    for (let i = 0; i < this.runtimes.length; i++) {
      const step = this.plan.steps[i]!;
      const instr = step.instruction;
      if ((instr.kind !== 'copy' && instr.kind !== 'add') || (instr.kind === 'copy' && instr.from !== undefined)) continue;
      const took = this.runtimes[i]!.contextFiles;
      let taken = took ? await took() : undefined;
      if (!taken && !instr.sources.some((src) => src.includes('$') || /^https?:\/\//.test(src))) {
        taken = await resolveContextSources({ kind: 'context', root: this.contextDir, exclude: this.ignore }, instr.sources, {
          parents: instr.kind === 'copy' ? instr.parents : undefined,
          excludePatterns: instr.excludes,
          isAdd: instr.kind === 'add',
        }).catch(() => []);
      }
      for (const p of taken ?? []) byPath.set(p, [...(byPath.get(p) ?? []), i]);
    }
    const out: ContextFile[] = [];
    for (const [path, steps] of [...byPath].sort(([a], [b]) => (a < b ? -1 : 1))) {
      const st = await lstat(join(this.contextDir, path)).catch(() => undefined);
      out.push({ path, size: st?.isFile() ? st.size : 0, steps });
    }
    return out;
  }

  // ---- planning -----------------------------------------------------------

  private makePlan(text: string): BuildPlan {
    return planBuild(text, {
      file: this.dockerfilePath,
      buildArgs: this.options.buildArgs ?? {},
      target: this.options.target,
      platform: this.platform,
    });
  }

  /** Installs a plan, keeping the runtimes of steps [0, keep) from the old one. */
  private applyPlan(plan: BuildPlan, keep: number): void {
    const old = this.runtimes;
    this.plan = plan;
    this.runtimes = plan.steps.map((step, i) => {
      const info = stepInfo(step);
      if (i < keep && old[i]) return { ...old[i]!, state: { ...old[i]!.state, ...info } };
      return { state: { ...info, status: step.needed ? 'pending' : 'skipped' }, log: [] };
    });
    for (const bp of [...this.bps]) if (bp >= this.runtimes.length) this.bps.delete(bp);
    this.emit({
      type: 'plan',
      steps: this.runtimes.map(({ state }) => stepInfo(state)),
    });
  }

  async replan(text?: string): Promise<void> {
    return this.enqueue(async () => {
      const next = text ?? (await readDockerfile(this.dockerfilePath));
      const plan = this.makePlan(next);
      let keep = firstChangedStep(this.plan.steps, plan.steps);
      // A kept step is only useful when it finished; a failed or half-run one is redone.
      for (let i = 0; i < keep; i++) {
        const status = this.runtimes[i]!.state.status;
        if (status === 'failed' || status === 'running') {
          keep = i;
          break;
        }
      }
      await this.discardFrom(keep);
      this.dockerfileText = next;
      this.applyPlan(plan, keep);
    });
  }

  // ---- running ------------------------------------------------------------

  private enqueue<T>(op: () => Promise<T>): Promise<T> {
    if (this.closed) return Promise.reject(new SessionClosedError());
    // The cache index is written once per operation, not once per step.
    const withFlush = () => op().finally(() => this.cache.flush().catch(() => undefined));
    const result = this.queue.then(withFlush, withFlush);
    this.queue = result.catch(() => undefined);
    return result;
  }

  /** The next step to run: first needed step that is not finished. */
  private nextIndex(): number | undefined {
    const i = this.runtimes.findIndex((r, idx) => this.plan.steps[idx]!.needed && !isFinished(r.state.status));
    return i < 0 ? undefined : i;
  }

  async next(): Promise<void> {
    return this.enqueue(async () => {
      const i = this.nextIndex();
      if (i !== undefined) await this.runStep(i);
    });
  }

  async runTo(index: number): Promise<void> {
    return this.enqueue(async () => {
      for (;;) {
        const i = this.nextIndex();
        if (i === undefined || i > index) return;
        if (!(await this.runStep(i))) return;
      }
    });
  }

  async continue(): Promise<void> {
    return this.enqueue(async () => {
      let first = true;
      for (;;) {
        const i = this.nextIndex();
        if (i === undefined) return;
        if (!first && this.bps.has(i)) return;
        first = false;
        if (!(await this.runStep(i))) return;
      }
    });
  }

  /** Runs everything; resolves false when a step failed. */
  async runAll(): Promise<boolean> {
    return this.enqueue(async () => {
      for (;;) {
        const i = this.nextIndex();
        if (i === undefined) return true;
        if (!(await this.runStep(i))) return false;
      }
    });
  }

  async rerunFrom(index: number): Promise<void> {
    return this.enqueue(async () => {
      await this.discardFrom(index);
      for (let i = index; i < this.runtimes.length; i++) {
        const r = this.runtimes[i]!;
        r.state = { ...baseInfo(r.state), status: this.plan.steps[i]!.needed ? 'pending' : 'skipped' };
        r.log = [];
        if (i === index) r.forceRun = true;
      }
      this.emit({ type: 'state' });
      for (;;) {
        const i = this.nextIndex();
        if (i === undefined || i > index) return;
        if (!(await this.runStep(i))) return;
      }
    });
  }

  cancel(): void {
    if (this.running) this.cancelled = true;
    for (const kill of this.cancelers) kill();
    this.abort.abort();
    this.abort = new AbortController();
  }

  /** Forgets results from `index` on (their kept failure dirs are removed). */
  private async discardFrom(index: number): Promise<void> {
    for (let i = index; i < this.runtimes.length; i++) {
      const failed = this.runtimes[i]!.failed;
      if (failed?.upperDir) {
        const work = resolve(failed.upperDir, '..');
        this.keep.delete(work);
        await removeStoreTree(work); // rootless: may hold subordinate-id dirs
      }
      this.runtimes[i]!.failed = undefined;
      this.runtimes[i]!.after = undefined;
      this.runtimes[i]!.changes = undefined;
    }
  }

  private stageFinalState(stageIndex: number): StageState | undefined {
    let last: StepRuntime | undefined;
    this.plan.steps.forEach((s, i) => {
      if (s.stageIndex === stageIndex) last = this.runtimes[i];
    });
    return last?.after;
  }

  private stateBefore(index: number): StageState {
    const step = this.plan.steps[index]!;
    for (let i = index - 1; i >= 0; i--) {
      if (this.plan.steps[i]!.stageIndex !== step.stageIndex) break;
      const after = this.runtimes[i]!.after;
      if (after) return after;
      break;
    }
    throw new Error(`step ${index + 1} has no state before it (the step above has not run)`);
  }

  /** Runs one step; resolves false when it failed. */
  private async runStep(index: number): Promise<boolean> {
    const step = this.plan.steps[index]!;
    const runtime = this.runtimes[index]!;
    const started = Date.now();
    runtime.log = [];
    this.cancelled = false;
    runtime.state = { ...baseInfo(runtime.state), status: 'running', startedAt: started };
    this.running = true;
    this.emit({ type: 'step-start', step: index, line: step.startLine, instruction: step.text });
    const ctx = this.stepContext(index, runtime);
    try {
      const outcome = await this.execute(step, ctx);
      runtime.forceRun = false;
      const durationMs = Date.now() - started;
      const after = outcome.after;
      while (after.layerSteps.length < after.layers.length) after.layerSteps.push(index);
      runtime.after = after;
      runtime.changes = outcome.changes;
      runtime.contextFiles = outcome.contextFiles;
      const kind = step.instruction.kind;
      const configOnly =
        !['from', 'run', 'copy', 'add', 'workdir'].includes(kind) || (kind === 'workdir' && !outcome.layer);
      const layer = outcome.layer
        ? {
            digest: outcome.layer.descriptor.digest,
            diffId: outcome.layer.diffId,
            size: outcome.layer.descriptor.size,
            uncompressedSize: outcome.layer.uncompressedSize ?? 0,
          }
        : undefined;
      const counts = outcome.counts ?? { added: 0, modified: 0, deleted: 0 };
      runtime.state = {
        ...baseInfo(runtime.state),
        status: outcome.cached ? 'cached' : configOnly ? 'config-only' : 'done',
        layer,
        counts,
        durationMs,
        configChanges: outcome.configChanges,
        cacheMiss: outcome.cacheMiss,
      };
      if (outcome.cached) this.pushLog(index, runtime, 'info', 'CACHED: the layer from an earlier build with the same inputs is reused');
      this.emit({
        type: 'step-done',
        step: index,
        cached: outcome.cached,
        configOnly,
        layer,
        added: counts.added,
        modified: counts.modified,
        deleted: counts.deleted,
        durationMs,
      });
      return true;
    } catch (err) {
      const durationMs = Date.now() - started;
      const failure = err instanceof StepFailedError ? err.details : {};
      runtime.failed = { upperDir: failure.upperDir, lowerDirs: failure.lowerDirs };
      const cause: StepFailure['cause'] = this.cancelled
        ? 'cancelled'
        : err instanceof StepFailedError
          ? 'command'
          : isUserFacing(err)
            ? 'input'
            : 'internal';
      const message = cause === 'cancelled' ? `${this.dockerfilePath}:${step.startLine}: the step was cancelled` : errorMessage(err, this.dockerfilePath, step.startLine);
      runtime.state = {
        ...baseInfo(runtime.state),
        status: 'failed',
        durationMs,
        failure: {
          cause,
          message,
          exitCode: failure.exitCode,
          signal: failure.signal,
          command: failure.command,
          tail: runtime.log.filter((l) => !l.startsWith('# ')).slice(-20),
        },
      };
      this.emit({ type: 'step-failed', step: index, line: step.startLine, exitCode: failure.exitCode, message });
      if (!(err instanceof StepFailedError) && !isUserFacing(err)) {
        // Not a failing command or bad input but a fault of ours: keep the stack in the log.
        this.pushLog(index, runtime, 'info', (err as Error)?.stack ?? String(err));
      }
      return false;
    } finally {
      this.running = false;
      this.cancelers = [];
    }
  }

  private pushLog(index: number, runtime: StepRuntime, stream: 'stdout' | 'stderr' | 'info', text: string): void {
    runtime.log.push(stream === 'info' ? `# ${text}` : text);
    if (runtime.log.length > maxLogLines) runtime.log.splice(0, runtime.log.length - maxLogLines);
    this.emit({ type: 'log', step: index, stream, text });
  }

  private stepContext(index: number, runtime: StepRuntime): StepContext {
    return {
      store: this.store,
      cache: this.cache,
      noCache: this.options.noCache === true || runtime.forceRun === true,
      contextDir: this.contextDir,
      buildContexts: this.buildContextDirs,
      idMapping: this.idMapping,
      stageState: (i) => this.stageFinalState(i),
      stageIndexByName: (name) => this.plan.stages.stages.find((s) => s.name === name.toLowerCase())?.index,
      imageLayers: async (ref) => (await this.loadImage(ref, index, runtime)).layers,
      log: (stream, text) => this.pushLog(index, runtime, stream, text),
      onCancel: (kill) => this.cancelers.push(kill),
      keepUntilClose: (path) => this.keep.add(path),
      signal: this.abort.signal,
    };
  }

  private loadImage(ref: string, index: number, runtime: StepRuntime) {
    return this.images.get(ref, (text) => this.pushLog(index, runtime, 'info', text));
  }

  private async execute(step: PlannedStep, ctx: StepContext): Promise<StepOutcome> {
    const instr = step.instruction;
    if (instr.kind === 'from') {
      const outcome = await executeFrom(ctx, {
        stage: step.stage,
        globalArgs: this.plan.stages.globalArgs,
        buildArgs: this.plan.stages.buildArgs,
        escapeToken: this.plan.stages.escapeToken,
        platform: this.platform,
        loadImage: (ref) => this.loadImage(ref, step.index, this.runtimes[step.index]!),
      });
      return this.runOnbuildTriggers(step, ctx, outcome);
    }
    return this.executeInstruction(instr, this.stateBefore(step.index), ctx);
  }

  private async executeInstruction(instr: Instruction, before: StageState, ctx: StepContext): Promise<StepOutcome> {
    const scoped = snapshot(before);
    const { instruction, usedArgs } = scoped.scope.dispatch(instr);
    switch (instruction.kind) {
      case 'run':
        return executeRun(ctx, {
          instruction,
          processEnv: scoped.scope.processEnv(),
          usedArgs,
          before: { ...before, scope: scoped.scope },
        });
      case 'copy':
      case 'add':
        return executeCopy(ctx, { instruction, usedArgs, before: { ...before, scope: scoped.scope }, ignore: this.ignore });
      case 'workdir':
        return executeWorkdir(ctx, { instruction, before: { ...before, scope: scoped.scope } });
      case 'from':
        throw new Error('FROM inside a stage');
      default: {
        if (!isConfigInstruction(instruction)) throw new Error(`no dispatcher for ${(instruction as Instruction).kind}`);
        const argValues = new Map<string, string | undefined>();
        if (instruction.kind === 'arg') for (const a of instruction.args) argValues.set(a.key, a.defaultValue);
        const configChanges = dispatchConfig(scoped.config, instruction, scoped.flags, argValues);
        return { after: scoped, cached: false, configChanges };
      }
    }
  }

  /** A base image's ONBUILD triggers run right after FROM, as in BuildKit. */
  private async runOnbuildTriggers(step: PlannedStep, ctx: StepContext, outcome: StepOutcome): Promise<StepOutcome> {
    const triggers = await this.baseTriggers(step);
    if (triggers.length === 0) return outcome;
    let state = outcome.after;
    const range = { startLine: step.startLine, endLine: step.endLine };
    for (const trigger of parseOnbuildTriggers(triggers, range)) {
      ctx.log('info', `ONBUILD ${trigger.original}`);
      const result = await this.executeInstruction(trigger, state, ctx);
      state = result.after;
    }
    return { ...outcome, after: state };
  }

  private async baseTriggers(step: PlannedStep): Promise<string[]> {
    if (step.stage.base.kind !== 'image') return [];
    const image = await this.loadImage(step.stage.base.ref, step.index, this.runtimes[step.index]!);
    return image.config.config?.OnBuild ?? [];
  }

  // ---- inspecting results -----------------------------------------------------

  async changes(index: number): Promise<ChangeEntry[] | undefined> {
    const r = this.runtimes[index];
    if (!r) return undefined;
    if (r.changes) return r.changes;
    if (r.failed?.upperDir && r.failed.lowerDirs) {
      r.changes = await detectChanges(r.failed.upperDir, r.failed.lowerDirs);
      return r.changes;
    }
    if (r.state.layer) return this.layerChanges(r.state.layer.diffId);
    return undefined;
  }

  layersAt(index: number): StackLayer[] {
    const after = this.runtimes[index]?.after ?? (this.runtimes[index]?.failed ? this.safeBefore(index) : undefined);
    if (!after) return [];
    const history = (after.config.history ?? []).filter((h) => !h.empty_layer);
    const offset = history.length - after.layers.length;
    return after.layers.map((l, i) => ({
      stepIndex: after.layerSteps[i],
      diffId: l.diffId,
      createdBy: history[i + offset]?.created_by ?? '',
      size: l.descriptor.size,
    }));
  }

  private safeBefore(index: number): StageState | undefined {
    try {
      return this.stateBefore(index);
    } catch {
      return undefined;
    }
  }

  async layerChanges(diffId: string): Promise<ChangeEntry[]> {
    const cached = this.layerChangeCache.get(diffId);
    if (cached) return cached;
    const promise = (async () => {
      for (const r of this.runtimes) {
        const layers = r.after?.layers ?? [];
        const at = layers.findIndex((l) => l.diffId === diffId);
        if (at >= 0) {
          const below = layers.slice(0, at).map((l) => l.dir).reverse();
          return detectChanges(layers[at]!.dir, below);
        }
      }
      throw new Error(`layer ${diffId} is not part of this session`);
    })();
    this.layerChangeCache.set(diffId, promise);
    promise.catch(() => this.layerChangeCache.delete(diffId));
    return promise;
  }

  readFile(index: number, path: string, before = false): Buffer | undefined {
    const r = this.runtimes[index];
    if (!r) return undefined;
    if (before) {
      const state = this.plan.steps[index]!.instruction.kind === 'from' ? undefined : this.safeBefore(index);
      return state ? readFileFromStack(lowerDirsOf(state), path) : undefined;
    }
    if (r.failed?.upperDir && r.failed.lowerDirs) return readFileFromStack([r.failed.upperDir, ...r.failed.lowerDirs], path);
    return r.after ? readFileFromStack(lowerDirsOf(r.after), path) : undefined;
  }

  /** Lower dirs (topmost first) of the container as it is after a step, or before it. */
  private rootfsAt(index: number, state: 'before' | 'after'): { lowerDirs: string[]; config: StageState['config']; processEnv: string[] } | undefined {
    const r = this.runtimes[index];
    if (!r) return undefined;
    if (state === 'after' && r.failed?.upperDir && r.failed.lowerDirs) {
      const before = this.safeBefore(index);
      if (!before) return undefined;
      return { lowerDirs: [r.failed.upperDir, ...r.failed.lowerDirs], config: before.config, processEnv: before.scope.processEnv() };
    }
    const s = state === 'after' ? r.after : this.safeBefore(index);
    if (!s) return undefined;
    return { lowerDirs: lowerDirsOf(s), config: s.config, processEnv: s.scope.processEnv() };
  }

  // ---- shells -------------------------------------------------------------

  /**
   * A shell in the container as it is after a step, or before it. For a
   * failed RUN, "before" has the failing command in the shell history and in
   * $LAYERLAB_FAILED_COMMAND; "after" shows its partial writes.
   */
  async openShell(target: ShellTarget, size: { cols: number; rows: number }, options: { shell?: string; term?: string } = {}): Promise<ShellProcess> {
    const rootfs = this.rootfsAt(target.step, target.state);
    if (!rootfs) {
      throw new SessionStateError(`step ${target.step + 1} has no ${target.state === 'before' ? 'state before it' : 'result'} yet: run it first`);
    }
    const step = this.plan.steps[target.step]!;
    const runtime = this.runtimes[target.step]!;
    const failedCommand = runtime.state.status === 'failed' ? runtime.state.failure?.command ?? step.text.replace(/^RUN\s+/i, '') : undefined;
    const script = step.instruction.kind === 'run' ? step.text.replace(/^RUN\s+(--\S+\s+)*/i, '') : undefined;
    const opened = await openShell({
      store: this.store,
      lowerDirs: rootfs.lowerDirs,
      config: rootfs.config,
      env: rootfs.processEnv,
      shell: options.shell,
      term: options.term,
      cols: size.cols,
      rows: size.rows,
      history: target.state === 'before' && script ? [script] : [],
      extraEnv: failedCommand && target.state === 'before' ? [`LAYERLAB_FAILED_COMMAND=${script ?? failedCommand}`] : [],
      commitOptions: layerIdMapsFor(this.idMapping),
    });
    this.openShells.add(opened);
    void opened.exited.finally(() => undefined);
    const session = this;
    return {
      shellPath: opened.shellPath,
      onData: (listener) => {
        opened.process.onData(listener);
      },
      onExit: (listener) => {
        void opened.exited.then(listener);
      },
      write: (data) => opened.write(data),
      resize: (cols, rows) => opened.process.resize(cols, rows),
      kill: () => opened.process.kill(),
      changes: () => opened.changes(),
      commands: () => opened.typedCommands(),
      async keep(runLine?: string) {
        const index = await session.keepShell(target, opened, runLine);
        session.openShells.delete(opened);
        return index;
      },
      async discard() {
        session.openShells.delete(opened);
        await opened.discard();
      },
    };
  }

  /** Inserts the shell's changes as a RUN step after its step (see ShellProcess.keep). */
  private async keepShell(target: ShellTarget, opened: OpenedShell, runLine?: string): Promise<number> {
    return this.enqueue(async () => {
      const status = this.runtimes[target.step]!.state.status;
      if (target.state === 'after' && status === 'failed') {
        throw new SessionStateError('changes made on top of a failed step cannot be kept: open the shell before the step instead');
      }
      await opened.exited;
      const anchor = target.state === 'before' ? target.step - 1 : target.step;
      const anchorStep = this.plan.steps[anchor];
      const anchorState = this.runtimes[anchor]?.after;
      if (!anchorStep || !anchorState) throw new SessionStateError('the step the shell ran on has no result any more');
      const commands = await opened.typedCommands();
      const script = commands.length > 0 ? commands.join(' && ') : ':';
      const line = runLine ?? `RUN ${script}`;
      const lines = this.dockerfileText.split('\n');
      lines.splice(anchorStep.endLine, 0, line);
      const text = lines.join('\n');
      if (this.options.dockerfileText === undefined) await writeFile(this.dockerfilePath, text);
      const plan = this.makePlan(text);
      const keep = anchor + 1;
      await this.discardFrom(keep);
      this.dockerfileText = text;
      this.applyPlan(plan, keep);
      const changes = await opened.changes();
      const layer = await opened.commit();
      await opened.discard();
      const after = snapshot(anchorState);
      const argv = withShell(after.config, [script]);
      commitHistory(after.config, runCreatedBy(argv, []), layer ? new Date() : undefined);
      if (layer) {
        after.layers.push(layer);
        after.layerSteps.push(keep);
      }
      const runtime = this.runtimes[keep]!;
      const counts = countChanges(changes);
      runtime.after = after;
      runtime.changes = changes;
      runtime.log = ['# made in a layerlab shell: these are the changes the shell left'];
      runtime.state = {
        ...baseInfo(runtime.state),
        status: 'done',
        counts,
        layer: layer
          ? { digest: layer.descriptor.digest, diffId: layer.diffId, size: layer.descriptor.size, uncompressedSize: layer.uncompressedSize ?? 0 }
          : undefined,
        durationMs: 0,
      };
      this.emit({ type: 'state' });
      return keep;
    });
  }

  // ---- the image ------------------------------------------------------------

  async finish(): Promise<{ imageId: string; manifestDigest: string; tags: string[] }> {
    return this.enqueue(async () => {
      const target = this.plan.stages.target.index;
      const pending = this.runtimes.filter((r, i) => this.plan.steps[i]!.needed && !isFinished(r.state.status));
      if (pending.length > 0) throw new Error(`${pending.length} step(s) have not run yet`);
      const state = this.stageFinalState(target);
      if (!state) throw new Error('the target stage has no state');
      const tags = this.options.tags ?? [];
      // The base image's own `created` gives way to the last history time, as in BuildKit.
      const { created: _baseCreated, ...rest } = state.config;
      const created = imageCreated(state.config);
      const config = created === undefined ? rest : { ...rest, created };
      const layers = state.layers.map((l) => ({ descriptor: l.descriptor, diffId: l.diffId }));
      const image = await writeImage(this.store, config, layers, tags[0]);
      const normalized = tags.map((t) => normalizeReference(t));
      for (const t of normalized.slice(1)) await this.store.setRef(t, { digest: image.manifestDigest, mediaType: image.manifestMediaType });
      const done = { imageId: image.id, manifestDigest: image.manifestDigest, tags: normalized };
      this.emit({ type: 'done', ...done });
      return done;
    });
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.cancel();
    for (const shell of this.openShells) await shell.discard().catch(() => undefined);
    this.openShells.clear();
    await this.queue.catch(() => undefined);
    this.closed = true;
    for (const dir of this.keep) await removeStoreTree(dir).catch(() => undefined);
    this.keep.clear();
    this.listeners.clear();
  }
}

/** The plan fields of a step, without its results. */
function stepInfo(s: StepInfo): StepInfo {
  return {
    index: s.index,
    stageIndex: s.stageIndex,
    stageName: s.stageName,
    keyword: s.keyword,
    text: s.text,
    startLine: s.startLine,
    endLine: s.endLine,
  };
}

/** A step's plan fields and status, its earlier results dropped. */
function baseInfo(s: StepState): StepState {
  return { ...stepInfo(s), status: s.status };
}

function isFinished(status: StepState['status']): boolean {
  return status === 'done' || status === 'cached' || status === 'config-only' || status === 'skipped';
}

function isUserFacing(err: unknown): boolean {
  return !!err && typeof err === 'object' && (err as { isUserError?: boolean }).isUserError === true;
}

/** "Dockerfile:12: ..." for errors that do not name a place themselves. */
function errorMessage(err: unknown, file: string, line: number): string {
  const message = (err as Error)?.message ?? String(err);
  return /^[^\s:]+:\d+: /.test(message) ? message : `${file}:${line}: ${message}`;
}

async function readDockerfile(path: string): Promise<string> {
  try {
    return await readFile(path, 'utf8');
  } catch (err) {
    throw new DockerfileReadError(path, err);
  }
}
