/**
 * Walk what one source match copies, deciding entry by entry what is taken,
 * the way fsutil's copier does with BuildKit's options:
 *
 * - .dockerignore (context only): an excluded entry does not exist; an
 *   excluded directory is still walked when an exception may re-include
 *   something below it.
 * - `--exclude` patterns, matched against the path below the match.
 * - `--parents` include patterns, matched against the path below the pivot.
 *
 * A directory that is not taken itself but holds something that is gets
 * created on demand before its first taken descendant ("parent dirs").
 * Entries are visited in name order, directories before and after their
 * contents, so a writer can set a directory's metadata once it is filled.
 */
import { lstatSync, readdirSync, type BigIntStats } from 'node:fs';
import { join } from 'node:path';
import { joinRel, type ContextFilter } from './context-filter.js';
import { matchElement } from './go-glob.js';
import { sortNames } from './source-matches.js';

export interface WalkEntry {
  hostPath: string;
  /** Path below the match, `/`-separated; '' for the match itself. */
  rel: string;
  stat: BigIntStats;
}

export interface TreeVisitor {
  /** A directory is taken (or needed as the parent of something taken), before its contents. */
  enterDir(entry: WalkEntry): void;
  /** After the contents of a directory passed to enterDir. */
  leaveDir(entry: WalkEntry): void;
  /** A file, symlink or special file is taken. */
  leaf(entry: WalkEntry): void;
}

/** The pattern matchers the walk needs (dockerfile's DockerignoreMatcher fits). */
export interface PatternMatcherLike {
  matches(path: string): boolean;
  mayContainExceptions(dir: string): boolean;
}

export interface WalkFilters {
  /** .dockerignore, with the match's path from the context root. */
  context?: { filter: ContextFilter; matchRootRel: string };
  exclude?: PatternMatcherLike;
  /** --parents: the include patterns (cleaned, relative to the pivot) and their matcher. */
  include?: { matcher: PatternMatcherLike; patterns: string[] };
  /** Stops the walk (with the signal's reason) at the next breath once aborted. */
  signal?: AbortSignal;
}

/** Let the event loop breathe (a UI redraw, a Ctrl-C) every so many entries. */
const YIELD_EVERY = 512;

export async function walkTree(top: WalkEntry, filters: WalkFilters, visitor: TreeVisitor): Promise<void> {
  const pending: Array<{ entry: WalkEntry; entered: boolean }> = [];
  let visited = 0;

  const flushParents = (): void => {
    for (const parent of pending) {
      if (!parent.entered) {
        visitor.enterDir(parent.entry);
        parent.entered = true;
      }
    }
  };

  const visit = async (entry: WalkEntry, isTop: boolean): Promise<void> => {
    if (++visited % YIELD_EVERY === 0) {
      await new Promise((resolve) => setImmediate(resolve));
      filters.signal?.throwIfAborted();
    }
    const isDir = entry.stat.isDirectory();
    let taken = true;
    if (!isTop) {
      const decision = decide(filters, entry.rel, isDir);
      taken = decision.taken;
      if (!taken && !decision.descend) return;
    }
    if (taken) flushParents();
    if (!isDir) {
      visitor.leaf(entry);
      return;
    }
    const frame = { entry, entered: taken };
    if (taken) visitor.enterDir(entry);
    pending.push(frame);
    for (const name of sortNames(readdirSync(entry.hostPath))) {
      const hostPath = join(entry.hostPath, name);
      const stat = lstatSync(hostPath, { bigint: true, throwIfNoEntry: false });
      if (stat === undefined) continue;
      await visit({ hostPath, rel: joinRel(entry.rel, name), stat }, false);
    }
    pending.pop();
    if (frame.entered) visitor.leaveDir(entry);
  };

  await visit(top, true);
}

function decide(filters: WalkFilters, rel: string, isDir: boolean): { taken: boolean; descend: boolean } {
  let taken = true;
  let descend = true;
  if (filters.context) {
    const contextRel = joinRel(filters.context.matchRootRel, rel);
    if (filters.context.filter.excluded(contextRel, isDir)) {
      taken = false;
      descend &&= filters.context.filter.mayReincludeBelow(contextRel);
    }
  }
  if (filters.exclude && filters.exclude.matches(rel)) {
    taken = false;
    descend &&= filters.exclude.mayContainExceptions(rel);
  }
  if (filters.include && !filters.include.matcher.matches(rel)) {
    taken = false;
    descend &&= filters.include.patterns.some((pattern) => mayMatchBelow(pattern, rel));
  }
  return { taken, descend: isDir && descend };
}

/** Could `pattern` match something below the directory `rel`? */
export function mayMatchBelow(pattern: string, rel: string): boolean {
  const patternParts = pattern.split('/');
  const relParts = rel.split('/');
  for (let i = 0; i < relParts.length; i++) {
    const part = patternParts[i];
    if (part === undefined) return false;
    if (part.includes('**')) return true;
    if (!matchElement(part, relParts[i]!)) return false;
  }
  return patternParts.length > relParts.length;
}
