/**
 * The build cache: which layer a step made last time, keyed by everything that
 * can change its result. The index lives in the store (cache/index.json) so
 * `prune` treats its digests as roots, and two processes share it under the
 * store's lock.
 *
 * Key inputs, as DESIGN.md fixes them: the parent layer chain, the instruction
 * after expansion (with the execution context a RUN sees: env, user, workdir,
 * shell, network, mounts), the build args it uses, and for COPY/ADD a checksum
 * of the sources' content and metadata (never mtime).
 */
import { createHash } from 'node:crypto';
import { readFile, stat } from 'node:fs/promises';
import type { Store } from '../image/store.js';
import type { ChangeCounts, LayerRef } from './session-types.js';
import { writeFileAtomic } from '../image/atomic-file.js';

export interface CacheInputs {
  /** diff_ids of the layers below, bottom first: the parent chain. */
  parentChain: string[];
  /** The instruction after expansion, e.g. "RUN /bin/sh -c make". */
  instruction: string;
  /** What else the step's result depends on (env, user, workdir, network...). */
  context: Record<string, string>;
  /** Build args the step uses, name → value. */
  buildArgs: Record<string, string>;
  /** For COPY/ADD: checksum of the sources. */
  sources?: string;
}

export interface CacheEntry {
  key: string;
  inputs: CacheInputs;
  /** Undefined when the step changed nothing and so made no layer. */
  layer?: LayerRef;
  counts: ChangeCounts;
  createdAt: string;
}

interface CacheIndexFile {
  version: 1;
  entries: CacheEntry[];
}

/** The newest entries win when the index outgrows this. */
const maxEntries = 5000;

export function cacheKey(inputs: CacheInputs): string {
  const canonical = JSON.stringify([
    inputs.parentChain,
    inputs.instruction,
    sortedPairs(inputs.context),
    sortedPairs(inputs.buildArgs),
    inputs.sources ?? null,
  ]);
  return createHash('sha256').update(canonical).digest('hex');
}

function sortedPairs(record: Record<string, string>): Array<[string, string]> {
  return Object.entries(record).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
}

/** The parsed index and the file version it came from. */
interface LoadedIndex {
  /** inode, size and mtime of the file read: a rewrite (temp + rename) always changes the inode. */
  version: string;
  file: CacheIndexFile;
  byKey: Map<string, CacheEntry>;
}

export class BuildCache {
  /**
   * The index as last read or written by this process. Every step looks the
   * cache up, and a full index (5000 entries, some MB of JSON) took ~20 ms to
   * read and parse each time; a stat tells whether it is still current.
   */
  private loaded: LoadedIndex | undefined;
  /**
   * Entries recorded but not yet written. Writing the index (lock, rewrite,
   * fsync) cost ~8 ms per step, on the critical path of every RUN; the
   * session flushes once per operation instead. An entry lost to a crash
   * only costs a rebuild of that step.
   */
  private readonly pending = new Map<string, CacheEntry>();

  constructor(private readonly store: Store) {}

  private async fileVersion(): Promise<string> {
    try {
      const st = await stat(this.store.cacheIndexPath, { bigint: true });
      return `${st.ino}:${st.size}:${st.mtimeNs}`;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return 'absent';
      throw err;
    }
  }

  private async read(): Promise<CacheIndexFile> {
    const version = await this.fileVersion();
    if (this.loaded?.version === version) return this.loaded.file;
    let file: CacheIndexFile = { version: 1, entries: [] };
    try {
      const parsed = JSON.parse(await readFile(this.store.cacheIndexPath, 'utf8')) as CacheIndexFile;
      if (parsed && Array.isArray(parsed.entries)) file = parsed;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT' && !(err instanceof SyntaxError)) throw err;
      // A corrupt index is a lost cache, not a failed build: start over.
    }
    this.remember(version, file);
    return file;
  }

  private remember(version: string, file: CacheIndexFile): void {
    this.loaded = { version, file, byKey: new Map(file.entries.map((e) => [e.key, e])) };
  }

  async lookup(inputs: CacheInputs): Promise<CacheEntry | undefined> {
    const key = cacheKey(inputs);
    await this.read();
    const entry = this.pending.get(key) ?? this.loaded?.byKey.get(key);
    if (!entry) return undefined;
    // An entry is only good while its layer is still in the store.
    if (entry.layer) {
      const [blob, unpacked] = await Promise.all([this.store.hasBlob(entry.layer.digest), this.store.hasUnpackedLayer(entry.layer.diffId)]);
      if (!blob || !unpacked) return undefined;
    }
    return entry;
  }

  record(inputs: CacheInputs, layer: LayerRef | undefined, counts: ChangeCounts, createdAt = new Date()): Promise<void> {
    const entry: CacheEntry = { key: cacheKey(inputs), inputs, layer, counts, createdAt: createdAt.toISOString() };
    this.pending.set(entry.key, entry);
    return Promise.resolve();
  }

  /** Writes the recorded entries into the index, merged with what other processes wrote. */
  async flush(): Promise<void> {
    if (this.pending.size === 0) return;
    const written = [...this.pending.values()];
    await this.store.withLock('build-cache', async () => {
      const index = await this.read();
      const keys = new Set(written.map((e) => e.key));
      index.entries = [...index.entries.filter((e) => !keys.has(e.key)), ...written].slice(-maxEntries);
      await writeFileAtomic(this.store.cacheIndexPath, JSON.stringify(index), this.store.tmpDir);
      this.remember(await this.fileVersion(), index);
    });
    for (const e of written) if (this.pending.get(e.key) === e) this.pending.delete(e.key);
  }

  /** Says in plain words why `inputs` missed, comparing with what was built before. */
  async explainMiss(inputs: CacheInputs): Promise<string> {
    const index = await this.read();
    const entries = [...index.entries, ...this.pending.values()];
    const sameParent = entries.filter((e) => sameList(e.inputs.parentChain, inputs.parentChain));
    if (sameParent.length === 0) {
      return entries.some((e) => e.inputs.instruction === inputs.instruction)
        ? 'the layers below this step changed, so everything from here is rebuilt'
        : 'not built before';
    }
    const sameInstruction = sameParent.filter((e) => e.inputs.instruction === inputs.instruction);
    if (sameInstruction.length === 0) {
      const last = sameParent[sameParent.length - 1]!;
      return `the instruction changed (last built: ${truncate(last.inputs.instruction)})`;
    }
    const last = sameInstruction[sameInstruction.length - 1]!;
    const reasons: string[] = [];
    for (const [k, v] of Object.entries(inputs.buildArgs)) {
      if (last.inputs.buildArgs[k] !== v) reasons.push(`build arg ${k} changed (${last.inputs.buildArgs[k] ?? 'unset'} → ${v})`);
    }
    for (const [k, v] of Object.entries(inputs.context)) {
      if (last.inputs.context[k] !== v) reasons.push(`${k} changed (${truncate(last.inputs.context[k] ?? 'unset')} → ${truncate(v)})`);
    }
    for (const k of Object.keys(last.inputs.context)) {
      if (!(k in inputs.context)) reasons.push(`${k} is no longer set`);
    }
    if ((last.inputs.sources ?? '') !== (inputs.sources ?? '')) reasons.push('the source files changed (content or metadata)');
    return reasons.length > 0 ? reasons.join('; ') : 'the cached layer is no longer in the store';
  }
}

function sameList(a: string[], b: string[]): boolean {
  return a.length === b.length && a.every((x, i) => x === b[i]);
}

function truncate(s: string): string {
  return s.length > 60 ? `${s.slice(0, 57)}...` : s;
}
