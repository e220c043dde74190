/**
 * The build context as BuildKit sees it after .dockerignore: an excluded
 * path does not exist, except that an excluded directory still exists when
 * a `!` exception re-includes something below it (the context transfer sends
 * the parents of every path it sends).
 */
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import type { ContextExcludeFilter } from './types.js';

export interface ContextFilter {
  excluded(relPath: string, isDir: boolean): boolean;
  /** For an excluded directory: might an exception re-include something below it? */
  mayReincludeBelow(relDir: string): boolean;
}

export function toContextFilter(filter: ContextExcludeFilter | undefined): ContextFilter | undefined {
  if (filter === undefined) return undefined;
  if (typeof filter === 'function') {
    // A bare predicate says nothing about exceptions, so excluded directories are walked.
    return { excluded: filter, mayReincludeBelow: () => true };
  }
  return {
    excluded: (relPath) => filter.matches(relPath),
    mayReincludeBelow: (relDir) => (filter.mayContainExceptions ? filter.mayContainExceptions(relDir) : true),
  };
}

export const joinRel = (parent: string, name: string): string =>
  parent === '' ? name : name === '' ? parent : `${parent}/${name}`;

/**
 * Is the context path present? `hostPath` is where it is on disk, `relPath`
 * its path from the context root; `isDir` says whether it is a directory.
 */
export function presentInContext(filter: ContextFilter | undefined, hostPath: string, relPath: string, isDir: boolean): boolean {
  if (filter === undefined || relPath === '') return true;
  if (!filter.excluded(relPath, isDir)) return true;
  return isDir && filter.mayReincludeBelow(relPath) && hasIncludedDescendant(filter, hostPath, relPath);
}

function hasIncludedDescendant(filter: ContextFilter, hostDir: string, relDir: string): boolean {
  for (const entry of readdirSync(hostDir, { withFileTypes: true })) {
    const rel = joinRel(relDir, entry.name);
    const isDir = entry.isDirectory();
    if (!filter.excluded(rel, isDir)) return true;
    if (isDir && filter.mayReincludeBelow(rel) && hasIncludedDescendant(filter, join(hostDir, entry.name), rel)) {
      return true;
    }
  }
  return false;
}
