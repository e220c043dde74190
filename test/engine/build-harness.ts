/**
 * Real builds for the engine tests: a temp store (one per test file) holding
 * the busybox test base under BASE, a context dir written from a compact spec,
 * and a build session run to the end, with every step's change list read
 * before the session closes.
 *
 * Change lists are compared as lines, sorted by path:
 *
 *   "A file 0644 0:0 app/a.txt"           added/modified/deleted = A/M/D
 *   "A symlink 0777 0:0 x/l -> f"         symlink target
 *   "A hardlink 4755 0:0 x/h => x/f"      hardlink: the layer path of the first name
 *   "M file 0600 0:0 etc/x (mode)"        metadata-only change: the fields that differ
 *   "A dir 0755 0:0 d [opaque]"           opaque dir (hides the lower dir's entries)
 *   "D file tmp/old"                      deletion (a whiteout in the layer)
 *
 * Normalised away: mtimes (never shown; "mtime" appears only as a field name
 * of a metadata-only change), and a directory that is in the layer only
 * because something inside it changed (a modified dir without metadata
 * changes, see isParentOnly): BuildKit's layers carry such parents too, the
 * test asserts what a person would call the step's changes.
 */
import { chmodSync, lchownSync, mkdirSync, symlinkSync, utimesSync, writeFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { execFileSync } from 'node:child_process';
import { BuildSession } from '../../src/engine/session.js';
import { isParentOnly } from '../../src/engine/layer-commit.js';
import type { BuildEvent, StepState } from '../../src/engine/session-types.js';
import { loadArchive } from '../../src/image/load.js';
import { readImage } from '../../src/image/image.js';
import type { ImageConfig } from '../../src/image/oci-types.js';
import { normalizeReference } from '../../src/image/reference.js';
import { Store } from '../../src/image/store.js';
import type { ChangeEntry } from '../../src/layers/types.js';
import { buildBusyboxImage, type BusyboxImage } from '../helpers/busybox-image.js';

/** The name the busybox test base has in every test store (and in the test dockerd). */
export const BASE = 'layerlab-test/busybox:latest';
/** created_by of the base image's one history entry. */
const BASE_HISTORY = 'layerlab test helper:';
export const BASE_ENV = 'PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';

export interface BuildEnv {
  root: string;
  store: Store;
  busybox: BusyboxImage;
  /** A fresh temp dir under the env's root, removed with it. */
  tempDir(prefix: string): Promise<string>;
  cleanup(): Promise<void>;
}

/** A temp LAYERLAB_ROOT with the busybox base loaded and named BASE. */
export async function createBuildEnv(): Promise<BuildEnv> {
  const root = await mkdtemp(join(tmpdir(), 'll-engine-'));
  const store = await Store.open(join(root, 'store'));
  const busybox = await buildBusyboxImage();
  await loadBase(store, busybox);
  return {
    root,
    store,
    busybox,
    tempDir: (prefix) => mkdtemp(join(root, `${prefix}-`)),
    cleanup: () => rm(root, { recursive: true, force: true }),
  };
}

export async function loadBase(store: Store, busybox: BusyboxImage, name = BASE): Promise<void> {
  const [loaded] = await loadArchive(store, busybox.layoutDir);
  await store.setRef(normalizeReference(name), { digest: loaded!.manifestDigest, mediaType: busybox.manifestMediaType });
}

export type ContextEntry =
  | string
  | { file: string | Buffer; mode?: number; uid?: number; gid?: number; mtime?: number }
  | { dir: true; mode?: number; uid?: number; gid?: number }
  | { symlink: string }
  | { fifo: true };

/** Writes a context dir from `path → entry` (parents 0755). Files default to 0644. */
export function writeContext(dir: string, spec: Record<string, ContextEntry>): void {
  for (const [path, entry] of Object.entries(spec)) {
    const host = join(dir, path);
    mkdirSync(dirname(host), { recursive: true });
    if (typeof entry === 'string' || 'file' in entry) {
      const e = typeof entry === 'string' ? { file: entry } : entry;
      writeFileSync(host, e.file);
      if (e.uid !== undefined) lchownSync(host, e.uid, e.gid ?? e.uid);
      chmodSync(host, e.mode ?? 0o644);
      if (e.mtime !== undefined) utimesSync(host, e.mtime, e.mtime);
    } else if ('dir' in entry) {
      mkdirSync(host, { recursive: true });
      if (entry.uid !== undefined) lchownSync(host, entry.uid, entry.gid ?? entry.uid);
      chmodSync(host, entry.mode ?? 0o755);
    } else if ('symlink' in entry) {
      symlinkSync(entry.symlink, host);
    } else {
      execFileSync('mkfifo', [host]);
    }
  }
}

export interface BuildRequest {
  dockerfile: string;
  /** A context dir, or files to write into a fresh one. */
  context?: string | Record<string, ContextEntry>;
  buildArgs?: Record<string, string>;
  target?: string;
  noCache?: boolean;
  tags?: string[];
  /** --build-context NAME=SRC. */
  buildContexts?: Record<string, string>;
  /** Called with the open session after the run, before it closes. */
  inspect?: (session: BuildSession) => Promise<void>;
}

export interface BuiltImage {
  id: string;
  manifestDigest: string;
  config: ImageConfig;
  /** diff_ids, bottom first, base layer included. */
  diffIds: string[];
}

export interface BuildResult {
  ok: boolean;
  contextDir: string;
  events: BuildEvent[];
  steps: StepState[];
  /** Per plan step: the formatted change list, or undefined (config-only, skipped, cached without layer). */
  changes: Array<string[] | undefined>;
  /** Raw change entries per step. */
  rawChanges: Array<ChangeEntry[] | undefined>;
  /** The image, when every step succeeded. */
  image?: BuiltImage;
  /** created_by of the history entries the build added (the base's left out), with empty_layer marked "(no layer)". */
  history: string[];
}

export async function build(env: BuildEnv, request: BuildRequest): Promise<BuildResult> {
  let contextDir: string;
  if (typeof request.context === 'string') contextDir = request.context;
  else {
    contextDir = await env.tempDir('ctx');
    writeContext(contextDir, request.context ?? {});
  }
  const session = await BuildSession.open({
    store: env.store,
    dockerfilePath: join(contextDir, 'Dockerfile'),
    dockerfileText: request.dockerfile,
    contextDir,
    buildArgs: request.buildArgs,
    target: request.target,
    noCache: request.noCache,
    tags: request.tags,
    buildContexts: request.buildContexts,
  });
  const events: BuildEvent[] = [];
  session.subscribe((e) => {
    if (e.type !== 'state') events.push(e);
  });
  try {
    const ok = await session.runAll();
    const rawChanges: Array<ChangeEntry[] | undefined> = [];
    for (let i = 0; i < session.steps.length; i++) {
      const s = session.steps[i]!;
      rawChanges.push(s.layer || s.status === 'failed' ? await session.changes(i) : undefined);
    }
    let image: BuiltImage | undefined;
    let history: string[] = [];
    if (ok) {
      const done = await session.finish();
      const read = await readImage(env.store, done.manifestDigest);
      image = { id: done.imageId, manifestDigest: done.manifestDigest, config: read.config, diffIds: read.diffIds };
      history = (read.config.history ?? []).filter((h) => !h.created_by?.startsWith(BASE_HISTORY)).map(historyLine);
    }
    await request.inspect?.(session);
    return {
      ok,
      contextDir,
      events,
      steps: session.steps.map((s) => ({ ...s })),
      changes: rawChanges.map((c) => (c ? formatChanges(c) : undefined)),
      rawChanges,
      image,
      history,
    };
  } finally {
    await session.close();
  }
}

export function historyLine(h: { created_by?: string; empty_layer?: boolean }): string {
  return `${h.created_by ?? ''}${h.empty_layer ? ' (no layer)' : ''}`;
}

const kindLetter = { added: 'A', modified: 'M', deleted: 'D' } as const;

export function formatChange(c: ChangeEntry): string {
  if (c.kind === 'deleted') return `D ${c.type} ${c.path}`;
  let line = `${kindLetter[c.kind]} ${c.type} ${c.mode.toString(8).padStart(4, '0')} ${c.uid}:${c.gid} ${c.path}`;
  if (c.type === 'symlink') line += ` -> ${c.linkTarget}`;
  if (c.type === 'hardlink') line += ` => ${c.linkTarget}`;
  if (c.opaque) line += ' [opaque]';
  if (c.metadataOnly && c.metadataOnly.length > 0) line += ` (${c.metadataOnly.join(',')})`;
  return line;
}

/** Sorted by path, parents that are only there for their children left out. */
export function formatChanges(changes: readonly ChangeEntry[]): string[] {
  return [...changes]
    .filter((c) => !isParentOnly(c))
    .sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0))
    .map(formatChange);
}

/** The index of the first plan step whose text starts with `prefix`. */
export function stepIndex(result: BuildResult, prefix: string): number {
  const i = result.steps.findIndex((s) => s.text.startsWith(prefix));
  if (i < 0) throw new Error(`no step starts with ${prefix}: ${result.steps.map((s) => s.text).join(' | ')}`);
  return i;
}

/** The change list of the first step whose text starts with `prefix`. */
export function changesOf(result: BuildResult, prefix: string): string[] | undefined {
  return result.changes[stepIndex(result, prefix)];
}

/** Explains a failed build in an assertion message. */
export function failureOf(result: BuildResult): string {
  const failed = result.steps.find((s) => s.status === 'failed');
  if (!failed) return 'no step failed';
  const logs = result.events.filter((e) => e.type === 'log' && e.step === failed.index).map((e) => (e as { text: string }).text);
  return `${failed.text}: ${failed.failure?.message}\n${logs.join('\n')}`;
}

/** Asserts success with a readable message. */
export function expectOk(result: BuildResult): asserts result is BuildResult & { image: BuiltImage } {
  if (!result.ok || !result.image) throw new Error(`build failed: ${failureOf(result)}`);
}
