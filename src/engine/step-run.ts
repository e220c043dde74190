/**
 * RUN: the command in the namespace sandbox over an overlay of the layers so
 * far, then the upper dir becomes the step's layer (BuildKit's dispatchRun).
 */
import { createHash } from 'node:crypto';
import { chmod, chown, mkdir, mkdtemp, writeFile } from 'node:fs/promises';
import { userInfo } from 'node:os';
import { join, posix } from 'node:path';
import type { RunInstruction } from '../dockerfile/instructions.js';
import type { RunMount } from '../dockerfile/mounts.js';
import { runCommandPlan } from '../dockerfile/run-command.js';
import { InstructionError } from '../dockerfile/errors.js';
import { removeStoreTree } from '../image/remove-tree.js';
import { run as runInSandbox, resolveUser, removeWorkDir, toHostId } from '../sandbox/index.js';
import type { MountSpec } from '../sandbox/run-spec.js';
import type { CacheInputs } from './build-cache.js';
import { runCreatedBy, withShell } from './image-config.js';
import { detectChanges, sandboxMountpoints } from './layer-commit.js';
import { statInStack } from './layer-stack-reader.js';
import { StepFailedError, type StepContext, type StepOutcome } from './step-context.js';
import { checkCache, commitStep } from './step-cache.js';
import { lowerDirsOf, readUserDatabase, snapshot, type StageState } from './stage-state.js';

/** How many output lines a failure banner keeps. */
const tailLines = 20;

interface PreparedRun {
  argv: string[];
  /** Heredoc scripts with a shebang run as files mounted at /dev/pipes. */
  scriptFiles: Array<{ name: string; data: string }>;
  /** What the log and the failure banner show. */
  shown: string;
}

/** The argv of a RUN: BuildKit's heredoc rules, then the stage's SHELL for shell form. */
function prepareRunArgv(config: StageState['config'], instr: RunInstruction): PreparedRun {
  const plan = runCommandPlan(instr);
  const argv = plan.prependShell ? withShell(config, plan.args) : plan.args;
  const scriptFiles = plan.scriptFiles.map((f) => ({ name: posix.basename(f.path), data: f.data }));
  return { argv, scriptFiles, shown: argv.join(' ') };
}

export interface RunInputs {
  instruction: RunInstruction;
  /** "KEY=value": image env plus ARG values in scope. */
  processEnv: string[];
  usedArgs: Record<string, string>;
  before: StageState;
}

export async function executeRun(ctx: StepContext, input: RunInputs): Promise<StepOutcome> {
  const { instruction: instr, before } = input;
  const range = { startLine: instr.startLine, endLine: instr.endLine };
  const after = snapshot(before);
  const prepared = prepareRunArgv(after.config, instr);
  const config = after.config.config ?? {};
  const cwd = config.WorkingDir || '/';
  const userSpec = config.User ?? '';
  const lowerDirs = lowerDirsOf(before);

  // The user and HOME come from the layers' /etc/passwd, so the parent chain
  // and the USER line already decide them: the key needs neither, and a
  // cache hit skips reading passwd through the layers.
  const cacheInputs: CacheInputs = {
    parentChain: before.layers.map((l) => l.diffId),
    instruction: `RUN ${JSON.stringify(prepared.argv)}`,
    context: {
      env: input.processEnv.join('\n'),
      user: userSpec,
      workdir: cwd,
      network: instr.network,
      mounts: JSON.stringify(instr.mounts),
      scripts: JSON.stringify(prepared.scriptFiles),
    },
    buildArgs: input.usedArgs,
  };
  const createdBy = runCreatedBy(
    prepared.argv,
    Object.entries(input.usedArgs).map(([key, value]) => ({ key, value })),
  );

  const cached = await checkCache(ctx, cacheInputs, after, createdBy);
  if (cached.hit) return cached.hit;
  const cacheMiss = cached.miss;

  let user;
  try {
    user = resolveUser(userSpec, readUserDatabase(before));
  } catch (err) {
    throw new InstructionError((err as Error).message, range);
  }
  const env = withHome(input.processEnv, user.home);

  const work = await mkdtemp(join(ctx.store.tmpDir, 'run-'));
  const upperDir = join(work, 'upper');
  const workDir = join(work, 'work');
  await mkdir(upperDir);
  await mkdir(workDir);
  let keepUpper = false;
  try {
    // runc creates a missing working directory; so does BuildKit's RUN.
    if (statInStack(lowerDirs, cwd) === undefined) {
      const dir = join(upperDir, cwd);
      await mkdir(dir, { recursive: true, mode: 0o755 });
    }
    const mounts = await runMounts(ctx, instr.mounts, cwd, range);
    if (prepared.scriptFiles.length > 0) {
      const pipes = join(work, 'pipes');
      await mkdir(pipes);
      for (const f of prepared.scriptFiles) {
        await writeFile(join(pipes, f.name), f.data);
        await chmod(join(pipes, f.name), 0o755);
      }
      mounts.push({ type: 'bind', source: pipes, target: '/dev/pipes', readonly: true });
    }

    ctx.log('info', `running as ${userSpec || 'root'} in ${cwd}: ${prepared.shown}`);
    const proc = await runInSandbox({
      rootfs: { lowerDirs, upperDir, workDir },
      argv: prepared.argv,
      env,
      cwd,
      user,
      network: instr.network,
      mounts,
    });
    ctx.onCancel(() => proc.kill());
    const tail: string[] = [];
    const pump = (stream: NodeJS.ReadableStream, name: 'stdout' | 'stderr') =>
      new Promise<void>((resolve) => {
        let partial = '';
        stream.on('data', (chunk: Buffer) => {
          const text = partial + chunk.toString('utf8');
          const lines = text.split('\n');
          partial = lines.pop() ?? '';
          for (const line of lines) {
            tail.push(line);
            if (tail.length > tailLines) tail.shift();
            ctx.log(name, line);
          }
        });
        stream.on('end', () => {
          if (partial) {
            tail.push(partial);
            if (tail.length > tailLines) tail.shift();
            ctx.log(name, partial);
          }
          resolve();
        });
      });
    const pumped = Promise.all([pump(proc.stdout, 'stdout'), pump(proc.stderr, 'stderr')]);
    const result = await proc.wait();
    await pumped;
    removeWorkDir(workDir);

    if (result.exitCode !== 0) {
      keepUpper = true;
      ctx.keepUntilClose(work);
      if (ctx.idMapping.kind === 'single' && tail.some((line) => /invalid argument/i.test(line))) {
        // chown/setuid to an id the user namespace lacks fails with EINVAL; say why.
        ctx.log(
          'info',
          `this rootless build has no subordinate ids: only uid and gid 0 exist in the container, so a chown or ` +
            `setuid to any other id fails with "Invalid argument". Add ranges for ${userInfo().username} to /etc/subuid ` +
            `and /etc/subgid (Debian: uidmap provides newuidmap)`,
        );
      }
      const how =
        result.exitCode === null ? `was killed by ${result.signal ?? 'a signal'}` : `exited with code ${result.exitCode}`;
      throw new StepFailedError(`RUN ${prepared.shown} ${how}`, {
        exitCode: result.exitCode ?? undefined,
        signal: result.signal ?? undefined,
        command: prepared.shown,
        upperDir,
        lowerDirs,
      });
    }

    const changes = await detectChanges(upperDir, lowerDirs, ignoredMountpoints(mounts));
    return await commitStep(ctx, after, changes, upperDir, createdBy, cacheInputs, cacheMiss);
  } finally {
    if (!keepUpper) await removeStoreTree(work); // rootless: may hold subordinate-id dirs
  }
}

/** Mount targets must not be claimed as the step's changes. */
function ignoredMountpoints(mounts: MountSpec[]): string[] {
  return [...sandboxMountpoints, ...mounts.map((m) => m.target.replace(/^\/+/, ''))];
}

/** HOME from the user's passwd entry when the image does not set it, as runc does. */
function withHome(env: string[], home: string): string[] {
  return env.some((e) => e.startsWith('HOME=')) ? env : [...env, `HOME=${home}`];
}



/** RUN --mount: bind (context or stage), cache (kept in the store), tmpfs. */
async function runMounts(
  ctx: StepContext,
  mounts: RunMount[],
  cwd: string,
  range: { startLine: number; endLine: number },
): Promise<MountSpec[]> {
  const out: MountSpec[] = [];
  for (const m of mounts) {
    const target = m.target ? posix.resolve(cwd, m.target) : undefined;
    switch (m.type) {
      case 'bind': {
        if (!target) throw new InstructionError('a bind mount needs target=', range);
        const subpath = posix.normalize(`/${m.source ?? '/'}`);
        const source = await mountSource(ctx, m.from, range);
        out.push(
          'dir' in source
            ? { type: 'bind', source: join(source.dir, subpath), target, readonly: true }
            : { type: 'overlay', lowerDirs: source.lowerDirs, target, subpath },
        );
        break;
      }
      case 'cache': {
        if (!target) throw new InstructionError('a cache mount needs target=', range);
        const id = m.id ?? target;
        const dir = join(ctx.store.root, 'cache-mounts', createHash('sha256').update(id).digest('hex').slice(0, 32));
        await mkdir(dir, { recursive: true });
        const uid = hostIdOf(ctx, 'uid', m.uid ?? 0);
        const gid = hostIdOf(ctx, 'gid', m.gid ?? 0);
        await chown(dir, uid, gid).catch(() => undefined);
        await chmod(dir, m.mode ?? 0o755);
        out.push({ type: 'cache', source: dir, target, readonly: m.readOnly && false });
        break;
      }
      case 'tmpfs':
        if (!target) throw new InstructionError('a tmpfs mount needs target=', range);
        out.push({ type: 'tmpfs', target, sizeBytes: m.sizeBytes });
        break;
      case 'secret':
      case 'ssh':
        if (m.required) {
          throw new InstructionError(
            `RUN --mount=type=${m.type} is required here, but layerlab has no --secret/--ssh option to provide it`,
            range,
          );
        }
        ctx.log('info', `skipping --mount=type=${m.type}${m.id ? `,id=${m.id}` : ''}: no ${m.type} was provided`);
        break;
    }
  }
  return out;
}

function hostIdOf(ctx: StepContext, kind: 'uid' | 'gid', id: number): number {
  if (ctx.idMapping.kind === 'host') return id;
  return toHostId(kind === 'uid' ? ctx.idMapping.uidMap : ctx.idMapping.gidMap, id) ?? id;
}

/**
 * What a bind mount shows: a host dir (the context, a --build-context dir),
 * or the layers of a stage or image, which the sandbox stacks as an overlay
 * in its own namespace (no host mount, so rootless works the same).
 */
async function mountSource(
  ctx: StepContext,
  from: string | undefined,
  range: { startLine: number; endLine: number },
): Promise<{ dir: string } | { lowerDirs: string[] }> {
  if (from === undefined) return { dir: ctx.contextDir };
  if (ctx.buildContexts[from]) return { dir: ctx.buildContexts[from]! };
  const stageIndex = /^\d+$/.test(from) ? Number(from) : ctx.stageIndexByName(from);
  let lowers: string[];
  if (stageIndex !== undefined) {
    const state = ctx.stageState(stageIndex);
    if (!state) throw new InstructionError(`stage ${from} has not been built`, range);
    lowers = lowerDirsOf(state);
  } else {
    lowers = (await ctx.imageLayers(from)).map((l) => l.dir).reverse();
  }
  return { lowerDirs: lowers };
}
