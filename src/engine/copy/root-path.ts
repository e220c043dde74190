/**
 * Paths inside a root directory, resolved as if the process were chrooted
 * there (containerd continuity's fs.RootPath, which BuildKit uses for both
 * sides of a copy): symlinks are followed, an absolute link target starts
 * again at the root, and `..` never climbs above the root. A link in the image
 * such as `/app -> /etc` therefore leads to `<root>/etc`, never to the host's
 * /etc. Components that do not exist are taken literally.
 */
import { lstatSync, readlinkSync } from 'node:fs';
import { join, relative, sep } from 'node:path';

/** Linux gives up after 40 links; continuity after 255. */
const MAX_LINKS = 255;

/** A symlink chain that never ends (a loop), found while resolving a path in a root. */
export class SymlinkLoopError extends Error {
  constructor(readonly path: string) {
    super(`too many levels of symbolic links resolving ${path}`);
    this.name = 'SymlinkLoopError';
  }
}

/** `/a//b/./c/` -> ['a', 'b', 'c'] ('..' kept for the resolver). */
export function pathElements(path: string): string[] {
  return path.split('/').filter((part) => part !== '' && part !== '.');
}

/**
 * Resolve `path` (read as absolute inside the root) to a host path under
 * `root`. With `followLeaf` false the last element is not followed when it is
 * a symlink (the parents still are).
 */
export function resolveInRoot(root: string, path: string, followLeaf = true): string {
  let pending = pathElements(path);
  const resolved: string[] = [];
  let links = 0;
  while (pending.length > 0) {
    const part = pending.shift()!;
    if (part === '..') {
      resolved.pop();
      continue;
    }
    if (pending.length === 0 && !followLeaf) {
      resolved.push(part);
      break;
    }
    const candidate = join(root, ...resolved, part);
    const stat = lstatSync(candidate, { throwIfNoEntry: false });
    if (stat === undefined || !stat.isSymbolicLink()) {
      // Missing (or under a non-directory, which the caller's mkdir or open reports).
      resolved.push(part);
      continue;
    }
    if (++links > MAX_LINKS) throw new SymlinkLoopError(path);
    const target = readlinkSync(candidate);
    if (target.startsWith('/')) resolved.length = 0;
    pending = [...pathElements(target), ...pending];
  }
  return resolved.length === 0 ? root : join(root, ...resolved);
}

/** The absolute in-root path of a host path under root: `<root>/a/b` -> `/a/b`. */
export function inRootPath(root: string, hostPath: string): string {
  const rel = relative(root, hostPath);
  if (rel === '') return '/';
  return '/' + rel.split(sep).join('/');
}

/** Is `hostPath` the root or below it (lexically)? */
export function isWithinRoot(root: string, hostPath: string): boolean {
  const rel = relative(root, hostPath);
  return rel === '' || (rel !== '..' && !rel.startsWith('../') && !rel.startsWith('/'));
}
