/**
 * Errors of COPY and ADD. All of them are the user's to fix (a missing
 * source, a bad flag, a checksum that does not match), so they carry
 * `isUserError` and exit code 2, and name the source or destination path
 * they are about. The engine adds the Dockerfile line in front.
 */
import { inRootPath, isWithinRoot } from './root-path.js';

/** Which instruction failed, for messages: "COPY" or "ADD". */
export type CopyCommandName = 'COPY' | 'ADD';

export class CopyError extends Error {
  readonly isUserError = true;
  readonly exitCode = 2;
  constructor(
    readonly command: CopyCommandName,
    readonly detail: string,
    /** The source as written in the Dockerfile, when the error is about one. */
    readonly source?: string,
  ) {
    super(`${command} failed: ${detail}`);
    this.name = 'CopyError';
  }
}

/** A source path (or the directory a wildcard searches) does not exist in the context or stage. */
export class SourceNotFoundError extends CopyError {
  override name = 'SourceNotFoundError';
}

/** A context source with `..` that climbs out of the build context. */
export class SourceOutsideContextError extends CopyError {
  override name = 'SourceOutsideContextError';
}

/** A source kind this instruction cannot take: a URL in COPY, a git repository. */
export class UnsupportedSourceError extends CopyError {
  override name = 'UnsupportedSourceError';
}

/** The destination cannot take what is copied: a file over a directory, a directory over a file. */
export class DestinationError extends CopyError {
  override name = 'DestinationError';
  constructor(
    command: CopyCommandName,
    detail: string,
    /** The destination path inside the image. */
    readonly destination: string,
    source?: string,
  ) {
    super(command, detail, source);
  }
}

/** `--chmod` or `--checksum` or a source/destination combination that BuildKit refuses. */
export class CopyOptionError extends CopyError {
  override name = 'CopyOptionError';
}

/** ADD of a URL: the download failed or its checksum did not match. */
export class RemoteSourceError extends CopyError {
  override name = 'RemoteSourceError';
}

/** ADD of a local archive: an entry would land outside the destination, or has a type we cannot make. */
export class ArchiveError extends CopyError {
  override name = 'ArchiveError';
}

/**
 * A file system call failed mid-copy (permission denied, no space left, a
 * path component that is not a directory). Host paths under the rootfs are
 * shown as image paths, as BuildKit trims its mount prefixes.
 */
export class CopyIoError extends CopyError {
  override name = 'CopyIoError';
  constructor(
    command: CopyCommandName,
    detail: string,
    /** errno code, e.g. EACCES. */
    readonly code: string,
    source?: string,
  ) {
    super(command, detail, source);
  }
}

/**
 * Node fs errors become CopyIoError, their host paths shown relative to the
 * first of `roots` (rootfs, source root) that holds them; others pass through.
 */
export function asCopyError(err: unknown, command: CopyCommandName, roots: string[]): unknown {
  const fsError = err as NodeJS.ErrnoException & { dest?: string };
  if (err instanceof CopyError || typeof fsError?.code !== 'string' || typeof fsError.syscall !== 'string') return err;
  const shown = (path: string | undefined): string => {
    if (path === undefined) return '';
    const root = roots.find((candidate) => isWithinRoot(candidate, path));
    return root === undefined ? path : inRootPath(root, path);
  };
  const paths = [shown(fsError.path), shown(fsError.dest)].filter((path) => path !== '').join(' -> ');
  const reason = fsError.message.replace(/^[A-Z]+: /, '').replace(/,.*$/, '');
  return new CopyIoError(command, `${fsError.syscall} ${paths}: ${reason}`, fsError.code);
}
