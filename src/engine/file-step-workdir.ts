/**
 * WORKDIR's mkdir -p on a step's merged view, shared by the in-process and
 * the worker path so both fail the same way: with the path as the image sees
 * it, never the host mount it was made under.
 */
import { DestinationError } from './copy/errors.js';
import { makeDirectories } from './copy/make-dirs.js';
import { inRootPath, isWithinRoot, resolveInRoot, SymlinkLoopError } from './copy/root-path.js';

/** WORKDIR could not create its directory: a file is in the way, a link loops… */
export class WorkdirError extends Error {
  readonly isUserError = true;
  readonly exitCode = 2;
  override name = 'WorkdirError';
  constructor(
    readonly path: string,
    readonly detail: string,
  ) {
    super(`WORKDIR ${path}: cannot create the directory: ${detail}`);
  }
}

export function makeWorkdir(root: string, imagePath: string, owner: { uid: number; gid: number }): void {
  try {
    makeDirectories(root, resolveInRoot(root, imagePath), owner, 'COPY');
  } catch (err) {
    if (err instanceof DestinationError) throw new WorkdirError(imagePath, err.detail);
    if (err instanceof SymlinkLoopError) throw new WorkdirError(imagePath, err.message);
    const fsError = err as NodeJS.ErrnoException;
    if (typeof fsError.code === 'string' && typeof fsError.syscall === 'string' && fsError.code !== 'EINVAL') {
      const where = fsError.path && isWithinRoot(root, fsError.path) ? ` ${inRootPath(root, fsError.path)}` : '';
      const reason = fsError.message.replace(/^[A-Z]+: /, '').replace(/,.*$/, '');
      throw new WorkdirError(imagePath, `${fsError.syscall}${where}: ${reason}`);
    }
    throw err;
  }
}
