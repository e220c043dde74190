/**
 * .dockerignore: reading the file, and deciding which paths of the build
 * context are left out, with the rules BuildKit applies when it sends a
 * context (moby/patternmatcher's ignorefile.ReadAll and PatternMatcher, walked
 * the way tonistiigi/fsutil's filter walks a directory):
 *
 * - One pattern per line. A line whose first character is `#` is a comment
 *   (after leading spaces it is a pattern). Lines are trimmed; blank lines skip.
 * - Patterns are cleaned like Go's filepath.Clean and a leading `/` is dropped,
 *   so `/a/../b/` is `b`. `!` marks an exception that re-includes.
 * - Go filepath.Match syntax: `*` and `?` stop at `/`, `[...]` classes
 *   (negated with `^`), `\` escapes. `**` matches any number of directories,
 *   `**` at the start makes a suffix match, at the end a prefix match.
 * - A pattern that matches a directory matches everything below it. Patterns
 *   apply in order and the last one that matches decides.
 *
 * Pure: callers read the files and walk the directories.
 */
import { posix } from 'node:path';
import { IgnorePattern } from './dockerignore-pattern.js';

export { IgnorePattern } from './dockerignore-pattern.js';

/** A .dockerignore line BuildKit would reject. */
export class DockerignoreError extends Error {
  readonly isUserError = true;
  readonly exitCode = 2;
  constructor(
    readonly detail: string,
    readonly pattern: string,
    /** 1-based line in the ignore file, when the pattern came from one. */
    readonly line?: number,
    readonly file?: string,
  ) {
    super(`${file ?? '.dockerignore'}${line === undefined ? '' : `:${line}`}: ${detail}`);
    this.name = 'DockerignoreError';
  }
}

/** One pattern as read from the file, with the line it came from. */
export interface DockerignoreEntry {
  /** Cleaned, with a leading `!` for exceptions (ignorefile.ReadAll's output). */
  pattern: string;
  line: number;
}

/** Go's path/filepath.Clean for `/`-separated paths. */
export function cleanPath(path: string): string {
  if (path === '') return '.';
  const rooted = path.startsWith('/');
  const parts: string[] = [];
  for (const part of path.split('/')) {
    if (part === '' || part === '.') continue;
    if (part === '..') {
      if (parts.length > 0 && parts[parts.length - 1] !== '..') parts.pop();
      else if (!rooted) parts.push('..');
      continue;
    }
    parts.push(part);
  }
  const joined = parts.join('/');
  if (rooted) return '/' + joined;
  return joined === '' ? '.' : joined;
}

/** Go's strings.TrimSpace (Unicode white space; JS trim() would also strip U+FEFF). */
function trimSpace(text: string): string {
  return text.replace(/^\p{White_Space}+|\p{White_Space}+$/gu, '');
}

/**
 * Read a .dockerignore text into patterns, as ignorefile.ReadAll does: a BOM
 * on the first line is dropped, `#` lines and blank lines are skipped, and
 * each pattern is trimmed, cleaned and made relative (`! /a/` becomes `!a`).
 */
export function parseDockerignore(text: string): DockerignoreEntry[] {
  const entries: DockerignoreEntry[] = [];
  const lines = text.split('\n');
  // Like bufio.ScanLines: a final newline does not start another line.
  if (lines.length > 0 && lines[lines.length - 1] === '') lines.pop();
  lines.forEach((raw, index) => {
    let line = raw.endsWith('\r') ? raw.slice(0, -1) : raw;
    if (index === 0 && line.startsWith('\uFEFF')) line = line.slice(1);
    if (line.startsWith('#')) return;
    let pattern = trimSpace(line);
    if (pattern === '') return;
    const exception = pattern.startsWith('!');
    if (exception) pattern = trimSpace(pattern.slice(1));
    if (pattern.length > 0) {
      pattern = cleanPath(pattern);
      if (pattern.length > 1 && pattern.startsWith('/')) pattern = pattern.slice(1);
    }
    entries.push({ pattern: exception ? '!' + pattern : pattern, line: index + 1 });
  });
  return entries;
}

/**
 * Which ignore files apply, most specific first; the caller uses the first
 * one that exists (even if empty). For `-f dir/app.Dockerfile` BuildKit first
 * looks for `dir/app.Dockerfile.dockerignore` next to it, then for
 * `<context>/.dockerignore`. A Dockerfile read from stdin has no neighbour.
 */
export function dockerignoreCandidates(contextDir: string, dockerfilePath?: string | '-'): string[] {
  const candidates: string[] = [];
  if (dockerfilePath !== '-') {
    const dockerfile = dockerfilePath ?? posix.join(contextDir, 'Dockerfile');
    candidates.push(`${dockerfile}.dockerignore`);
  }
  candidates.push(posix.join(contextDir, '.dockerignore'));
  return candidates;
}

/**
 * Per-pattern results for a directory, handed to its children (patternmatcher's
 * MatchInfo): a pattern that matched a directory matches all of its contents.
 */
export type IgnoreMatchState = readonly boolean[];

export type WalkAction =
  /** Keep the entry (and descend if it is a directory). */
  | 'include'
  /**
   * Leave the entry out but, for a directory, descend: an exception may
   * re-include something below, and then the directory itself is created too
   * (BuildKit sends the parents of every path it sends).
   */
  | 'exclude'
  /** Leave the directory and everything below it out; do not descend. */
  | 'prune';

/** Characters that make an exception a pattern rather than a plain path (fsutil). */
const PATTERN_CHARS = /[*[\]?^\\]/;

export class DockerignoreMatcher {
  readonly patterns: readonly IgnorePattern[];
  /** True when some pattern is a `!` exception. */
  readonly hasExceptions: boolean;
  /** Exceptions are plain paths, so a directory can be pruned unless one lies below it. */
  private readonly exceptionsArePlainPaths: boolean;

  /**
   * @param entries patterns as parseDockerignore returns them, or plain
   *   strings (`!` for exceptions) such as `COPY --exclude` values.
   * @param file the ignore file's name, for error messages.
   */
  constructor(entries: readonly (DockerignoreEntry | string)[], file?: string) {
    const patterns: IgnorePattern[] = [];
    for (const entry of entries) {
      const raw = typeof entry === 'string' ? entry : entry.pattern;
      const line = typeof entry === 'string' ? undefined : entry.line;
      let text = trimSpace(raw);
      if (text === '') continue;
      text = cleanPath(text);
      const exception = text.startsWith('!');
      if (exception) {
        if (text.length === 1) throw new DockerignoreError('illegal exclusion pattern: "!"', raw, line, file);
        text = text.slice(1);
      }
      try {
        patterns.push(new IgnorePattern(text, exception, line));
      } catch (err) {
        const reason = err instanceof Error ? err.message : String(err);
        throw new DockerignoreError(`syntax error in pattern ${JSON.stringify(raw)}: ${reason}`, raw, line, file);
      }
    }
    this.patterns = patterns;
    this.hasExceptions = patterns.some((p) => p.exception);
    this.exceptionsArePlainPaths = patterns.every(
      (p) => !p.exception || !PATTERN_CHARS.test(withoutTrailingGlob(p.text)),
    );
  }

  /** Read an ignore file's text and build its matcher. */
  static fromText(text: string, file?: string): DockerignoreMatcher {
    return new DockerignoreMatcher(parseDockerignore(text), file);
  }

  /**
   * Is `path` (relative to the context, `/`-separated) left out? The answer is
   * the one a walk from the context root reaches, so it agrees with walk().
   */
  matches(path: string): boolean {
    const cleaned = cleanPath(path.replace(/^\/+/, ''));
    if (cleaned === '.' || this.patterns.length === 0) return false;
    const parts = cleaned.split('/');
    let state: IgnoreMatchState | undefined;
    let excluded = false;
    for (let depth = 1; depth <= parts.length; depth++) {
      ({ excluded, state } = this.matchWithParent(parts.slice(0, depth).join('/'), state));
    }
    return excluded;
  }

  /**
   * One step of a walk: match `path` given its parent directory's state
   * (undefined for top-level entries, or when the parent is unknown, in which
   * case every ancestor is tested). Keep `state` for the entry's children.
   */
  matchWithParent(path: string, parent?: IgnoreMatchState): { excluded: boolean; state: IgnoreMatchState } {
    const haveParent = parent !== undefined && parent.length > 0;
    if (haveParent && parent.length !== this.patterns.length) {
      throw new RangeError('parent state belongs to a different matcher');
    }
    const state = new Array<boolean>(this.patterns.length).fill(false);
    let excluded = false;
    this.patterns.forEach((pattern, index) => {
      let match = haveParent ? parent[index]! : false;
      if (!match) {
        // An include cannot change an excluded path, nor an exception an included one.
        if (pattern.exception !== excluded) return;
        match = pattern.test(path);
        if (!match && !haveParent) match = ancestorsOf(path).some((dir) => pattern.test(dir));
      }
      state[index] = match;
      if (match) excluded = !pattern.exception;
    });
    return { excluded, state };
  }

  /**
   * For an excluded directory: could an exception re-include something below
   * it? When this is false a walker may skip the directory. Like BuildKit,
   * this only prunes when every exception is a plain path; with a wildcard
   * in any exception, every excluded directory must be walked.
   */
  mayContainExceptions(dir: string): boolean {
    if (!this.hasExceptions) return false;
    if (!this.exceptionsArePlainPaths) return true;
    const dirSlash = cleanPath(dir) + '/';
    return this.patterns.some((p) => p.exception && (withoutTrailingGlob(p.text) + '/').startsWith(dirSlash));
  }

  /** The walk decision for one entry, given its parent directory's state. */
  walk(
    path: string,
    isDirectory: boolean,
    parent?: IgnoreMatchState,
  ): { action: WalkAction; state: IgnoreMatchState } {
    const { excluded, state } = this.matchWithParent(path, parent);
    if (!excluded) return { action: 'include', state };
    if (isDirectory && !this.mayContainExceptions(path)) return { action: 'prune', state };
    return { action: 'exclude', state };
  }
}

/** `a/b/c` -> `a`, `a/b`. */
function ancestorsOf(path: string): string[] {
  const parent = posix.dirname(path);
  if (parent === '.' || parent === '/') return [];
  const parts = parent.split('/');
  return parts.map((_, i) => parts.slice(0, i + 1).join('/'));
}

/** `a/**` and `a/*` count as `a` when deciding whether to descend. */
function withoutTrailingGlob(pattern: string): string {
  let text = pattern.endsWith('/**') ? pattern.slice(0, -3) : pattern;
  text = text.endsWith('/*') ? text.slice(0, -2) : text;
  return text;
}
