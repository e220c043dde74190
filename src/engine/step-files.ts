/**
 * COPY, ADD and WORKDIR: file operations on the merged view of an overlay
 * (lower = the layers so far, upper = this step), so the upper dir ends up
 * holding exactly the change, as it does for RUN. As root they run in this
 * process; rootless, in a worker in a user namespace (file-step-backend.ts).
 */
import { mkdir, mkdtemp, readFile } from 'node:fs/promises';
import { userInfo } from 'node:os';
import { join } from 'node:path';
import type { AddInstruction, CopyInstruction, WorkdirInstruction } from '../dockerfile/instructions.js';
import { InstructionError } from '../dockerfile/errors.js';
import { DockerignoreMatcher, dockerignoreCandidates } from '../dockerfile/dockerignore.js';
import { removeStoreTree } from '../image/remove-tree.js';
import { removeWorkDir, resolveUser, toHostId, type IdMapping } from '../sandbox/index.js';
import type { CacheInputs } from './build-cache.js';
import { resolveContextSources, type CopySource } from './copy/index.js';
import { openFileStepBackend, type FileStepBackend } from './file-step-backend.js';
import { FileStepCancelledError, UnmappedOwnerError } from './file-step-errors.js';
import type { HostMount } from './host-mounts.js';
import { commitHistory, copyCreatedBy, resolveWorkdir } from './image-config.js';
import { detectChanges } from './layer-commit.js';
import { statInStack } from './layer-stack-reader.js';
import { checkCache, commitStep } from './step-cache.js';
import type { StepContext, StepOutcome } from './step-context.js';
import { lowerDirsOf, readUserDatabase, snapshot, type StageState } from './stage-state.js';

/** Reads the .dockerignore that applies (the Dockerfile's own first, then the context's). */
export async function loadDockerignore(contextDir: string, dockerfilePath: string | undefined): Promise<DockerignoreMatcher | undefined> {
  for (const candidate of dockerignoreCandidates(contextDir, dockerfilePath)) {
    let text: string;
    try {
      text = await readFile(candidate, 'utf8');
    } catch {
      continue;
    }
    return DockerignoreMatcher.fromText(text, candidate);
  }
  return undefined;
}

/**
 * A writable overlay for a file step, handed to `body`, then the change is
 * committed (or, with no change, dropped).
 */
async function withStepOverlay(
  ctx: StepContext,
  backend: FileStepBackend,
  before: StageState,
  body: (merged: string) => Promise<void>,
): Promise<{ changes: Awaited<ReturnType<typeof detectChanges>>; upperDir: string; work: string }> {
  const lowerDirs = lowerDirsOf(before);
  const work = await mkdtemp(join(ctx.store.tmpDir, 'file-'));
  const upperDir = join(work, 'upper');
  const workDir = join(work, 'work');
  await mkdir(upperDir);
  await mkdir(workDir);
  let mount: HostMount | undefined;
  try {
    mount = await backend.mountWritable(lowerDirs, upperDir, workDir);
    await body(mount.path);
    // Cancelled after the last check of the signal: the step still fails.
    if (ctx.signal.aborted) throw new FileStepCancelledError();
  } catch (err) {
    await mount?.release().catch(() => undefined);
    removeWorkDir(workDir);
    await removeStoreTree(work);
    throw ctx.signal.aborted ? new FileStepCancelledError() : err;
  }
  await mount.release();
  // overlayfs leaves work/work mode 000; rootless cannot rm it without a chmod.
  removeWorkDir(workDir);
  const changes = await detectChanges(upperDir, lowerDirs);
  return { changes, upperDir, work };
}

async function finishFileStep(
  ctx: StepContext,
  after: StageState,
  result: { changes: Awaited<ReturnType<typeof detectChanges>>; upperDir: string; work: string },
  createdBy: string,
  cacheInputs: CacheInputs | undefined,
  cacheMiss: string | undefined,
): Promise<StepOutcome> {
  try {
    return await commitStep(ctx, after, result.changes, result.upperDir, createdBy, cacheInputs, cacheMiss);
  } finally {
    await removeStoreTree(result.work);
  }
}

export interface CopyInputs {
  instruction: CopyInstruction | AddInstruction;
  usedArgs: Record<string, string>;
  before: StageState;
  ignore: DockerignoreMatcher | undefined;
}

export async function executeCopy(ctx: StepContext, input: CopyInputs): Promise<StepOutcome> {
  const { instruction: instr, before } = input;
  const range = { startLine: instr.startLine, endLine: instr.endLine };
  const after = snapshot(before);
  const config = after.config.config ?? {};
  const workdir = config.WorkingDir || '/';
  const isAdd = instr.kind === 'add';
  const from = instr.kind === 'copy' ? instr.from : undefined;

  let chown: { uid: number; gid: number } | undefined;
  if (instr.chown) {
    try {
      const user = resolveUser(instr.chown, readUserDatabase(before));
      chown = { uid: user.uid, gid: user.gid };
    } catch (err) {
      throw new InstructionError(`--chown=${instr.chown}: ${(err as Error).message}`, range);
    }
  }

  if (chown) checkOwnerMapped(ctx.idMapping, chown, `${isAdd ? 'ADD' : 'COPY'} --chown=${instr.chown}`);

  const backend = openFileStepBackend({ idMapping: ctx.idMapping, tmpDir: ctx.store.tmpDir });
  ctx.onCancel(() => backend.kill());
  try {
    const source = await copySource(ctx, backend, from, input.ignore, range);
    const selection = {
      parents: instr.kind === 'copy' ? instr.parents : undefined,
      excludePatterns: instr.excludes,
      inlineSources: instr.inlineSources.map((s) => ({ path: s.path, data: s.data })),
      isAdd,
      addOptions: isAdd ? { checksum: instr.checksum, keepGitDir: instr.keepGitDir, unpack: instr.unpack } : undefined,
    };
    const createdBy = copyCreatedBy({
      isAdd,
      parents: instr.kind === 'copy' && instr.parents,
      chown: instr.chown,
      chmod: instr.chmod,
      sources: instr.sources,
      heredocNames: instr.inlineSources.map((s) => s.path),
      dest: instr.dest,
    });
    const hasUrl = instr.sources.some((s) => /^https?:\/\//.test(s));
    // Only the workbench's context view asks which files a step took: walk the sources then, not on every build.
    const contextFiles =
      source.kind === 'context' ? () => resolveContextSources(source, instr.sources, selection).catch(() => []) : undefined;

    // URLs are fetched every time (BuildKit revalidates them too); the rest is keyed by content.
    let cacheInputs: CacheInputs | undefined;
    let cacheMiss: string | undefined;
    if (!hasUrl) {
      cacheInputs = {
        parentChain: before.layers.map((l) => l.diffId),
        instruction: createdBy,
        context: { workdir, from: from ?? '', chown: chown ? `${chown.uid}:${chown.gid}` : '', chmod: instr.chmod ?? '' },
        buildArgs: input.usedArgs,
        sources: await backend.checksumSources(source, instr.sources, selection),
      };
      const cached = await checkCache(ctx, cacheInputs, after, createdBy);
      if (cached.hit) return { ...cached.hit, contextFiles };
      cacheMiss = cached.miss;
    }

    const result = await withStepOverlay(ctx, backend, before, async (merged) => {
      const copied = await backend.copyFiles({
        source,
        sources: instr.sources,
        inlineSources: selection.inlineSources,
        dest: instr.dest,
        workdir,
        destRoot: merged,
        chown,
        chmod: instr.chmod,
        parents: selection.parents,
        excludePatterns: instr.excludes,
        isAdd,
        addOptions: selection.addOptions,
        signal: ctx.signal,
      });
      ctx.log('info', `copied ${copied} entr${copied === 1 ? 'y' : 'ies'}`);
    });
    const outcome = await finishFileStep(ctx, after, result, createdBy, cacheInputs, cacheMiss);
    return { ...outcome, contextFiles };
  } finally {
    await backend.close();
  }
}

async function copySource(
  ctx: StepContext,
  backend: FileStepBackend,
  from: string | undefined,
  ignore: DockerignoreMatcher | undefined,
  range: { startLine: number; endLine: number },
): Promise<CopySource> {
  if (from === undefined) return { kind: 'context', root: ctx.contextDir, exclude: ignore };
  if (ctx.buildContexts[from]) return { kind: 'context', root: ctx.buildContexts[from]! };
  const stageIndex = /^\d+$/.test(from) ? Number(from) : ctx.stageIndexByName(from);
  let lowers: string[];
  if (stageIndex !== undefined) {
    const state = ctx.stageState(stageIndex);
    if (!state) throw new InstructionError(`COPY --from=${from}: that stage has not been built`, range);
    lowers = lowerDirsOf(state);
  } else {
    lowers = (await ctx.imageLayers(from)).map((l) => l.dir).reverse();
  }
  // Released by backend.close() at the end of the step.
  const mount = await backend.mountReadOnly(lowers);
  return { kind: 'rootfs', root: mount.path };
}

/**
 * Rootless without subordinate ids only id 0 exists: refuse an owner that
 * cannot be written before any work is done, with a message that says why.
 * (As root and with ranges, owners are written as container ids: in the
 * worker's user namespace the kernel stores them shifted.)
 */
function checkOwnerMapped(mapping: IdMapping, owner: { uid: number; gid: number }, what: string): void {
  if (toHostId(mapping.uidMap, owner.uid) === undefined) throw new UnmappedOwnerError(what, 'uid', owner.uid, userInfo().username);
  if (toHostId(mapping.gidMap, owner.gid) === undefined) throw new UnmappedOwnerError(what, 'gid', owner.gid, userInfo().username);
}

export interface WorkdirInputs {
  instruction: WorkdirInstruction;
  before: StageState;
}

/**
 * WORKDIR sets the config and creates the directory when it is missing,
 * owned by the current USER (BuildKit's Mkdir WithUser); an existing
 * directory makes no layer.
 */
export async function executeWorkdir(ctx: StepContext, input: WorkdirInputs): Promise<StepOutcome> {
  const { instruction: instr, before } = input;
  const range = { startLine: instr.startLine, endLine: instr.endLine };
  const after = snapshot(before);
  const containerConfig = (after.config.config ??= {});
  const previous = containerConfig.WorkingDir;
  const wd = resolveWorkdir(previous, instr.path);
  containerConfig.WorkingDir = wd;
  const configChanges = [`WorkingDir ${previous || '/'} → ${wd}`];
  const createdBy = `WORKDIR ${wd}`;
  if (wd === '/' || statInStack(lowerDirsOf(before), wd) === 'dir') {
    commitHistory(after.config, createdBy);
    return { after, cached: false, configChanges, changes: [], counts: { added: 0, modified: 0, deleted: 0 } };
  }
  let owner = { uid: 0, gid: 0 };
  if (containerConfig.User) {
    try {
      const u = resolveUser(containerConfig.User, readUserDatabase(before));
      owner = { uid: u.uid, gid: u.gid };
    } catch (err) {
      throw new InstructionError((err as Error).message, range);
    }
  }
  checkOwnerMapped(ctx.idMapping, owner, `WORKDIR ${wd} (USER ${containerConfig.User})`);
  // Cached like every other step, or the new directory's mtime would give a
  // new layer, and so a new parent chain for every step below it, each time.
  const cacheInputs: CacheInputs = {
    parentChain: before.layers.map((l) => l.diffId),
    instruction: createdBy,
    context: { owner: `${owner.uid}:${owner.gid}` },
    buildArgs: {},
  };
  const cached = await checkCache(ctx, cacheInputs, after, createdBy);
  if (cached.hit) return { ...cached.hit, configChanges };
  const cacheMiss = cached.miss;
  const backend = openFileStepBackend({ idMapping: ctx.idMapping, tmpDir: ctx.store.tmpDir });
  ctx.onCancel(() => backend.kill());
  try {
    const result = await withStepOverlay(ctx, backend, before, (merged) => backend.makeDirectories(merged, wd, owner));
    const outcome = await finishFileStep(ctx, after, result, createdBy, cacheInputs, cacheMiss);
    return { ...outcome, configChanges };
  } finally {
    await backend.close();
  }
}
