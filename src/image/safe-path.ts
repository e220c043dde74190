import { lstat, mkdir, readlink } from 'node:fs/promises';
import { join } from 'node:path';

/**
 * Path handling for writing layer entries under a target directory without
 * ever touching anything outside it.
 *
 * Layer paths are relative to the image root: a leading "/" is stripped (as
 * Docker does) and the path stays inside. A ".." component in an entry name is
 * refused outright. Symlinks met while walking to an entry's parent are
 * followed the way they would be inside the container: an absolute target
 * restarts from the target root, a relative one from the link's directory.
 * A relative target that climbs above the root would, outside a chroot, land
 * on the host; that is refused as a symlink escape.
 */

export class LayerPathTraversalError extends Error {
  readonly isUserError = true;
  readonly exitCode = 2;
  readonly code = 'path-traversal';
  constructor(readonly path: string) {
    super(`layer entry "${path}" climbs out of the target with "..": refused`);
    this.name = 'LayerPathTraversalError';
  }
}

export class SymlinkEscapeError extends Error {
  readonly isUserError = true;
  readonly exitCode = 2;
  readonly code = 'symlink-escape';
  constructor(readonly path: string, readonly via: string, readonly linkTarget: string) {
    super(`layer entry "${path}" would be written outside the target through symlink "${via}" -> "${linkTarget}": refused`);
    this.name = 'SymlinkEscapeError';
  }
}

export class HardlinkEscapeError extends Error {
  readonly isUserError = true;
  readonly exitCode = 2;
  readonly code = 'hardlink-escape';
  constructor(readonly path: string, readonly linkTarget: string, reason: string) {
    super(`layer entry "${path}" is a hard link to "${linkTarget}", ${reason}: refused`);
    this.name = 'HardlinkEscapeError';
  }
}

export class SymlinkLoopError extends Error {
  readonly isUserError = true;
  readonly exitCode = 2;
  readonly code = 'symlink-loop';
  constructor(readonly path: string) {
    super(`layer entry "${path}": too many levels of symbolic links`);
    this.name = 'SymlinkLoopError';
  }
}

export class NotADirectoryInLayerError extends Error {
  readonly isUserError = true;
  readonly exitCode = 2;
  readonly code = 'not-a-directory';
  constructor(readonly path: string, readonly component: string) {
    super(`layer entry "${path}": "${component}" is not a directory`);
    this.name = 'NotADirectoryInLayerError';
  }
}

/**
 * Split a tar entry name into clean components: leading "/" and "./" dropped,
 * empty and "." components dropped, ".." refused.
 */
export function entryPathComponents(name: string): string[] {
  const parts: string[] = [];
  for (const part of name.split('/')) {
    if (part === '' || part === '.') continue;
    if (part === '..') throw new LayerPathTraversalError(name);
    parts.push(part);
  }
  return parts;
}

const maxSymlinkHops = 40;

export interface ResolveOptions {
  /** Create missing directories (mode 0755) along the way. */
  create: boolean;
  /** The entry being written, for error messages. */
  entryName: string;
  /** Called with the root-relative path of each directory created. */
  onCreate?: (relative: string) => void;
}

/**
 * Resolve `parts` (clean components, all of them directories) inside `root`,
 * following symlinks with container semantics. Returns the real components,
 * free of symlinks, or undefined when a directory is missing and `create` is off.
 */
export async function resolveDirectoryInRoot(
  root: string,
  parts: readonly string[],
  options: ResolveOptions,
): Promise<string[] | undefined> {
  const resolved: string[] = [];
  const queue = [...parts];
  let hops = 0;
  // The last symlink followed, so an escape error can name it.
  let lastLink = { path: '', target: '' };
  while (queue.length > 0) {
    const part = queue.shift()!;
    if (part === '' || part === '.') continue;
    if (part === '..') {
      // Only symlink targets put ".." in the queue (entry names were checked);
      // popping past the root means the link points outside.
      if (resolved.length === 0) throw new SymlinkEscapeError(options.entryName, lastLink.path, lastLink.target);
      resolved.pop();
      continue;
    }
    const here = join(root, ...resolved, part);
    let info;
    try {
      info = await lstat(here);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
      if (!options.create) return undefined;
      await mkdir(here, { mode: 0o755 });
      resolved.push(part);
      options.onCreate?.(resolved.join('/'));
      continue;
    }
    if (info.isSymbolicLink()) {
      if (++hops > maxSymlinkHops) throw new SymlinkLoopError(options.entryName);
      const target = await readlink(here);
      lastLink = { path: [...resolved, part].join('/'), target };
      if (target.startsWith('/')) resolved.length = 0;
      queue.unshift(...target.split('/'));
      continue;
    }
    if (!info.isDirectory()) throw new NotADirectoryInLayerError(options.entryName, [...resolved, part].join('/'));
    resolved.push(part);
  }
  return resolved;
}
