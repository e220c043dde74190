/**
 * Expand one path source into what it names, as BuildKit's file backend does
 * (fsutil copy.ResolveWildcards, then a followed rootPath per match):
 *
 * - The part before the first element with a wildcard is resolved (symlinks
 *   followed, chrooted to the source root); below it each wildcard element is
 *   matched against directory entries in name order, descending only into
 *   real directories. A wildcard that matches nothing is no error (BuildKit's
 *   AllowEmptyWildcard), but the directory it searches must exist.
 * - A path without wildcards must exist.
 * - Each match that is a symlink is followed; it keeps its own name.
 * - In the context, what .dockerignore excludes does not exist.
 */
import { lstatSync, readdirSync, type BigIntStats } from 'node:fs';
import { join, relative, sep } from 'node:path';
import { presentInContext, joinRel, type ContextFilter } from './context-filter.js';
import { SourceNotFoundError, type CopyCommandName } from './errors.js';
import { matchElement, splitWildcards } from './go-glob.js';
import { resolveInRoot } from './root-path.js';

export interface SourceMatch {
  /** The source as written, for messages and results. */
  written: string;
  /** The name the entry has at the destination: its own name, before any link is followed. */
  name: string;
  /** Host path, links followed. */
  hostPath: string;
  /** hostPath relative to the source root, `/`-separated, '' for the root itself. */
  rootRel: string;
  /** lstat of hostPath. */
  stat: BigIntStats;
  /** For wildcard matches: the path below the searched directory (what top-level --exclude patterns see). */
  wildcardRel?: string;
}

export interface MatchContext {
  command: CopyCommandName;
  root: string;
  kind: 'context' | 'rootfs';
  filter: ContextFilter | undefined;
}

const where = (kind: 'context' | 'rootfs'): string => (kind === 'context' ? 'the build context' : 'the source stage');

function relOf(root: string, hostPath: string): string {
  const rel = relative(root, hostPath);
  return rel === '' ? '' : rel.split(sep).join('/');
}

export function resolveMatches(ctx: MatchContext, written: string, elements: string[]): SourceMatch[] {
  const { fixed, pattern } = splitWildcards(elements);
  if (pattern.length === 0) return [literalMatch(ctx, written, elements)];

  const baseHost = resolveInRoot(ctx.root, '/' + fixed.join('/'));
  const baseStat = lstatSync(baseHost, { bigint: true, throwIfNoEntry: false });
  const baseRel = relOf(ctx.root, baseHost);
  if (baseStat === undefined || !presentInContext(ctx.filter, baseHost, baseRel, baseStat.isDirectory())) {
    throw new SourceNotFoundError(
      ctx.command,
      `source ${JSON.stringify(written)}: ${JSON.stringify('/' + fixed.join('/'))} not found in ${where(ctx.kind)}`,
      written,
    );
  }
  const matches: SourceMatch[] = [];
  // A base that is not a directory has no entries to match (filepath.Walk visits only itself).
  if (baseStat.isDirectory()) searchDirectory(ctx, written, pattern, 0, baseHost, baseRel, '', matches);
  return matches;
}

function literalMatch(ctx: MatchContext, written: string, elements: string[]): SourceMatch {
  const hostPath = resolveInRoot(ctx.root, '/' + elements.join('/'));
  const stat = lstatSync(hostPath, { bigint: true, throwIfNoEntry: false });
  const rootRel = relOf(ctx.root, hostPath);
  if (stat === undefined) {
    throw new SourceNotFoundError(ctx.command, `source ${JSON.stringify(written)} not found in ${where(ctx.kind)}`, written);
  }
  // The path as written must be in the context too: a symlink left out by
  // .dockerignore is not sent, even when what it points to is.
  const writtenRel = elements.join('/');
  const writtenStat =
    ctx.filter && writtenRel !== rootRel
      ? lstatSync(resolveInRoot(ctx.root, '/' + writtenRel, false), { throwIfNoEntry: false })
      : undefined;
  if (
    !presentInContext(ctx.filter, hostPath, rootRel, stat.isDirectory()) ||
    (writtenStat !== undefined && ctx.filter!.excluded(writtenRel, writtenStat.isDirectory()))
  ) {
    throw new SourceNotFoundError(
      ctx.command,
      `source ${JSON.stringify(written)} not found in the build context: it is excluded by .dockerignore`,
      written,
    );
  }
  return { written, name: elements[elements.length - 1] ?? '', hostPath, rootRel, stat };
}

function searchDirectory(
  ctx: MatchContext,
  written: string,
  pattern: string[],
  depth: number,
  dirHost: string,
  dirRel: string,
  wildcardRel: string,
  out: SourceMatch[],
): void {
  const names = sortNames(readdirSync(dirHost));
  for (const name of names) {
    if (!matchElement(pattern[depth]!, name)) continue;
    const entryHost = join(dirHost, name);
    const entryRel = joinRel(dirRel, name);
    const entryStat = lstatSync(entryHost, { bigint: true, throwIfNoEntry: false });
    if (entryStat === undefined) continue;
    if (!presentInContext(ctx.filter, entryHost, entryRel, entryStat.isDirectory())) continue;
    const matchRel = joinRel(wildcardRel, name);
    if (depth < pattern.length - 1) {
      if (entryStat.isDirectory()) {
        searchDirectory(ctx, written, pattern, depth + 1, entryHost, entryRel, matchRel, out);
      }
      continue;
    }
    // The match itself: follow it if it is a link, keep its name.
    const hostPath = entryStat.isSymbolicLink() ? resolveInRoot(ctx.root, '/' + entryRel) : entryHost;
    const stat = entryStat.isSymbolicLink() ? lstatSync(hostPath, { bigint: true, throwIfNoEntry: false }) : entryStat;
    const rootRel = relOf(ctx.root, hostPath);
    if (stat === undefined || !presentInContext(ctx.filter, hostPath, rootRel, stat.isDirectory())) {
      throw new SourceNotFoundError(
        ctx.command,
        `source ${JSON.stringify(written)}: ${JSON.stringify(entryRel)} is a symlink to a path not found in ${where(ctx.kind)}`,
        written,
      );
    }
    out.push({ written, name, hostPath, rootRel, stat, wildcardRel: matchRel });
  }
}

/**
 * Directory entries in Go's order (by UTF-8 bytes). JS string order agrees
 * with it except for characters beyond the BMP (surrogate pairs).
 */
export function sortNames(names: string[]): string[] {
  if (!names.some((name) => /[\uD800-\uDFFF]/.test(name))) return names.sort();
  return names.sort((a, b) => Buffer.compare(Buffer.from(a), Buffer.from(b)));
}
