/**
 * Where a file step's mounts and writes happen:
 * - as root, in this process, on host mounts (host-mounts.ts): no start-up
 *   cost; Ctrl-C stops a copy between entries (CopyRequest.signal); a
 *   layerlab killed mid-step leaves a mount that the next session sweeps;
 * - rootless, in the file-step worker, in a private user + mount namespace
 *   (file-step-namespace.ts). Starting it costs 140–290 ms here (node's own
 *   start-up is most of it); after that a step costs what it costs in-process
 *   (mount + mkdir -p + unmount: 22 ms both, median). So one worker serves
 *   every file step of the process: started on first use, killed when a step
 *   is cancelled (the next step starts another), ended by its parent-death
 *   signal when layerlab exits. Each step releases the mounts it made. Root
 *   keeps the in-process path for the start-up it saves;
 *   LAYERLAB_FILE_STEP_WORKER=1 sends root's file steps to the worker too.
 *
 * Work that needs no mount (checksums and listings of the build context) is
 * always done here, so a cached COPY from the context starts no worker.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { join } from 'node:path';
import type { IdMapping } from '../sandbox/id-mapping.js';
import { checksumSources, copyFiles } from './copy/index.js';
import type { CopyRequest, CopySource, SourceSelection } from './copy/types.js';
import { FileStepCancelledError } from './file-step-errors.js';
import { FileStepWorker } from './file-step-namespace.js';
import type { FileStepCall, IgnoreEntries, WireCopySource } from './file-step-protocol.js';
import { makeWorkdir } from './file-step-workdir.js';
import { mountReadOnly, mountWritable, type HostMount } from './host-mounts.js';

export interface FileStepBackend {
  /** A writable overlay (lowerDirs topmost first) over upperDir; its merged view. */
  mountWritable(lowerDirs: string[], upperDir: string, workDir: string): Promise<HostMount>;
  /** A read-only view of a stack of layers (COPY --from). */
  mountReadOnly(lowerDirs: string[]): Promise<HostMount>;
  checksumSources(source: CopySource, sources: string[], selection: SourceSelection): Promise<string>;
  /** Writes the sources into request.destRoot; the number of entries written. */
  copyFiles(request: Omit<CopyRequest, 'idMap'>): Promise<number>;
  /** mkdir -p of an image path under root (a merged view), missing parts owned by owner. */
  makeDirectories(root: string, imagePath: string, owner: { uid: number; gid: number }): Promise<void>;
  /** Stops what runs (a cancelled step). */
  kill(): void;
  /** Releases everything; call once, at the end of the step. */
  close(): Promise<void>;
}

export interface BackendOptions {
  idMapping: IdMapping;
  /** Where the in-process backend makes its (sweepable) mounts: the store's tmp dir. */
  tmpDir: string;
  /**
   * Run the file operations in the worker even as root. Default: the
   * environment's LAYERLAB_FILE_STEP_WORKER=1, else no.
   */
  useWorker?: boolean;
}

export function openFileStepBackend(options: BackendOptions): FileStepBackend {
  const useWorker = options.useWorker ?? process.env.LAYERLAB_FILE_STEP_WORKER === '1';
  if (options.idMapping.kind === 'host' && !useWorker) return new InProcessBackend(options.tmpDir);
  return new NamespaceBackend(options.idMapping, options.tmpDir);
}

class InProcessBackend implements FileStepBackend {
  private readonly mounts = new Set<HostMount>();

  constructor(private readonly tmpDir: string) {}

  async mountWritable(lowerDirs: string[], upperDir: string, workDir: string): Promise<HostMount> {
    return this.track(await mountWritable(this.tmpDir, lowerDirs, upperDir, workDir));
  }

  async mountReadOnly(lowerDirs: string[]): Promise<HostMount> {
    return this.track(await mountReadOnly(this.tmpDir, lowerDirs));
  }

  checksumSources(source: CopySource, sources: string[], selection: SourceSelection): Promise<string> {
    return checksumSources(source, sources, selection);
  }

  async copyFiles(request: Omit<CopyRequest, 'idMap'>): Promise<number> {
    return (await copyFiles(request)).copied.length;
  }

  async makeDirectories(root: string, imagePath: string, owner: { uid: number; gid: number }): Promise<void> {
    makeWorkdir(root, imagePath, owner);
  }

  kill(): void {
    // In-process copies run to their end; the session stops after the step.
  }

  async close(): Promise<void> {
    for (const mount of [...this.mounts].reverse()) await mount.release().catch(() => undefined);
    this.mounts.clear();
  }

  private track(mount: HostMount): HostMount {
    this.mounts.add(mount);
    return {
      path: mount.path,
      release: async () => {
        this.mounts.delete(mount);
        await mount.release();
      },
    };
  }
}

/** One worker per kind of mapping, shared by the steps of this process. */
const sharedWorkers = new Map<string, FileStepWorker>();

function sharedWorker(mapping: IdMapping): FileStepWorker {
  const key = `${mapping.kind} ${JSON.stringify(mapping.uidMap)} ${JSON.stringify(mapping.gidMap)}`;
  let worker = sharedWorkers.get(key);
  if (!worker?.alive) {
    worker = FileStepWorker.start(mapping);
    sharedWorkers.set(key, worker);
  }
  return worker;
}

/** One call in the shared worker of `mapping` (layer-commit.ts reads rootless upper dirs this way). */
export function callFileStepWorker<T>(mapping: IdMapping, call: FileStepCall): Promise<T> {
  return sharedWorker(mapping).call<T>(call);
}

/** Ends the shared workers (tests; a CLI process needs not: they die with it). */
export async function closeFileStepWorkers(): Promise<void> {
  const workers = [...sharedWorkers.values()];
  sharedWorkers.clear();
  await Promise.all(workers.map((w) => w.close()));
}

class NamespaceBackend implements FileStepBackend {
  private worker: FileStepWorker | undefined;
  /** The worker's mountpoints: inside the step's own scratch dir, which nothing else touches. */
  private scratch: Promise<string> | undefined;
  private readonly mounts = new Set<string>();
  private killed = false;

  constructor(
    private readonly mapping: IdMapping,
    private readonly tmpDir: string,
  ) {}

  async mountWritable(lowerDirs: string[], upperDir: string, workDir: string): Promise<HostMount> {
    const worker = this.start();
    const tmpDir = await this.scratchDir();
    const path = await this.call<string>(worker, { op: 'mount-writable', tmpDir, lowerDirs, upperDir, workDir });
    return this.track(worker, path);
  }

  async mountReadOnly(lowerDirs: string[]): Promise<HostMount> {
    const worker = this.start();
    const tmpDir = await this.scratchDir();
    const path = await this.call<string>(worker, { op: 'mount-read-only', tmpDir, lowerDirs });
    return this.track(worker, path);
  }

  checksumSources(source: CopySource, sources: string[], selection: SourceSelection): Promise<string> {
    // The context is a host dir; only a stage's merged view lives in the worker.
    if (source.kind === 'context') return checksumSources(source, sources, selection);
    const { addOptions, ...rest } = selection;
    const { fetch: _fetch, ...wireAddOptions } = addOptions ?? {};
    return this.call<string>(this.start(), {
      op: 'checksum-sources',
      source: wireSource(source),
      sources,
      selection: { ...rest, ...(addOptions ? { addOptions: wireAddOptions } : {}) },
    });
  }

  copyFiles(request: Omit<CopyRequest, 'idMap'>): Promise<number> {
    // The worker is stopped by kill(), not by the signal.
    const { source, addOptions, signal: _signal, ...rest } = request;
    const { fetch: _fetch, ...wireAddOptions } = addOptions ?? {};
    return this.call<number>(this.start(), {
      op: 'copy-files',
      request: { ...rest, source: wireSource(source), ...(addOptions ? { addOptions: wireAddOptions } : {}) },
    });
  }

  async makeDirectories(root: string, imagePath: string, owner: { uid: number; gid: number }): Promise<void> {
    await this.call<null>(this.start(), { op: 'make-directories', root, path: imagePath, owner });
  }

  kill(): void {
    this.killed = true;
    this.worker?.kill();
  }

  async close(): Promise<void> {
    const worker = this.worker;
    for (const path of [...this.mounts].reverse()) {
      if (worker?.alive) await worker.call({ op: 'release', mount: path }).catch(() => undefined);
    }
    this.mounts.clear();
    if (this.scratch) await rm(await this.scratch, { recursive: true, force: true });
  }

  private start(): FileStepWorker {
    if (this.killed) throw new FileStepCancelledError();
    this.worker ??= sharedWorker(this.mapping);
    return this.worker;
  }

  /** A call whose failure, once the step was cancelled, is the cancellation (the worker was killed). */
  private async call<T>(worker: FileStepWorker, call: FileStepCall): Promise<T> {
    try {
      return await worker.call<T>(call);
    } catch (err) {
      if (this.killed) throw new FileStepCancelledError();
      throw err;
    }
  }

  private track(worker: FileStepWorker, path: string): HostMount {
    this.mounts.add(path);
    return {
      path,
      release: async () => {
        this.mounts.delete(path);
        await worker.call({ op: 'release', mount: path });
      },
    };
  }

  private scratchDir(): Promise<string> {
    this.scratch ??= mkdtemp(join(this.tmpDir, 'file-mnt-'));
    return this.scratch;
  }
}

/** A CopySource as data: a DockerignoreMatcher goes as its patterns. */
function wireSource(source: CopySource): WireCopySource {
  return { kind: source.kind, root: source.root, ...(source.exclude ? { exclude: ignoreEntries(source.exclude) } : {}) };
}

function ignoreEntries(exclude: NonNullable<CopySource['exclude']>): IgnoreEntries {
  const matcher = exclude as { patterns?: ReadonlyArray<{ text: string; exception: boolean; line?: number }> };
  if (typeof exclude === 'function' || !Array.isArray(matcher.patterns)) {
    throw new TypeError('the file-step worker takes .dockerignore rules as a DockerignoreMatcher, not a predicate');
  }
  return {
    entries: matcher.patterns.map((p) => ({ pattern: `${p.exception ? '!' : ''}${p.text}`, ...(p.line !== undefined ? { line: p.line } : {}) })),
  };
}
