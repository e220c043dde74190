/**
 * The file operations behind COPY and ADD, with BuildKit's semantics
 * (dockerfile2llb dispatchCopy, the llbsolver file backend, fsutil copy).
 *
 *   copyFiles(req)                         write the sources into req.destRoot
 *   checksumSources(source, sources, sel)  cache-key input: content + metadata, no mtimes
 *   resolveContextSources(source, sources, sel)  context paths a step takes (TUI)
 *
 * Sources (paths relative to the source root; a leading `/` is the same):
 * - Globs use Go's filepath.Match per path element. A glob that matches
 *   nothing copies nothing (BuildKit's AllowEmptyWildcard) but the directory
 *   it searches must exist; a plain path must exist. Errors name the source.
 * - A directory copies its contents; a file copies itself; a source that is a
 *   symlink is followed (keeping its own name); symlinks below are copied as
 *   links; hardlinked files within one source stay hardlinked.
 * - Context sources: .dockerignore'd paths do not exist (`source.exclude`);
 *   a `..` that leaves the context is an error. Stage sources resolve `..`
 *   and links as if chrooted.
 * - `--exclude` (.dockerignore syntax) applies below each match, and to a
 *   glob's matches themselves. `--parents` keeps the path below the pivot:
 *   `a/./b/c` copies `b/c`; without `/./` the whole path is kept.
 * - ADD: a local tar (plain, gzip, bzip2, xz, zstd; detected by content) is
 *   extracted into dest unless `--unpack=false`; a URL is downloaded (mode
 *   0600, mtime from Last-Modified, named after the URL path when dest is a
 *   directory), verified against `--checksum`, unpacked only with
 *   `--unpack=true`. Git sources are refused as unsupported.
 *
 * Destination (all writes resolved inside destRoot as if chrooted, so image
 * symlinks such as `/app -> /etc` or `../../..` never reach the host):
 * - Relative dest joins workdir. A dest ending in `/` (or `.`) is a
 *   directory, created with its parents. Several sources need such a dest.
 * - One file to a dest without `/` is written at that path, unless an
 *   existing directory is there, then it goes inside under its own name.
 * - Created parent directories: 0755, owned by --chown or root.
 * - Copied entries: owner --chown, else 0:0 from the context and the source
 *   owner from a stage; mode from the source unless --chmod (octal or
 *   symbolic, applied to files and directories); mtimes from the source.
 * - `idMap` maps image-side owners (--chown, the 0:0 of context files and
 *   created directories, archive entries) to on-disk ids (rootless). Owners
 *   kept from a stage rootfs are on-disk ids already and are written as is.
 *
 * Every error is a CopyError (isUserError, exit code 2) naming the source or
 * destination.
 */
export { copyFiles, destinationOf, type Destination } from './copy-files.js';
export { checksumSources } from './source-checksum.js';
export { resolveContextSources } from './context-sources.js';
export { parseChmod, applyChmod, type ChmodSpec } from './chmod-spec.js';
export {
  CopyError,
  SourceNotFoundError,
  SourceOutsideContextError,
  UnsupportedSourceError,
  DestinationError,
  CopyOptionError,
  RemoteSourceError,
  ArchiveError,
  CopyIoError,
  type CopyCommandName,
} from './errors.js';
export type {
  CopySource,
  CopyRequest,
  CopyResult,
  CopiedEntry,
  ContextExcludeFilter,
  InlineSourceFile,
  AddOptions,
  FetchResponse,
  SourceSelection,
} from './types.js';
