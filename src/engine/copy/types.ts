/** The request and result shapes of the COPY/ADD file operations (see index.ts for the rules). */

/**
 * Which context paths .dockerignore leaves out. Either a predicate, or an
 * object shaped like dockerfile's DockerignoreMatcher; the object form lets a
 * walk skip an excluded directory whole when no `!` exception can re-include
 * anything below it (a predicate forces a walk of excluded directories).
 * Paths are relative to the context root, `/`-separated, without `./`.
 */
export type ContextExcludeFilter =
  | ((relPath: string, isDir: boolean) => boolean)
  | { matches(relPath: string): boolean; mayContainExceptions?(relDir: string): boolean };

export interface CopySource {
  /**
   * `context`: the build context (or a named --build-context directory);
   * files arrive owned by 0:0, as BuildKit's context transfer resets owners.
   * `rootfs`: another stage or image (COPY --from); owners are kept.
   */
  kind: 'context' | 'rootfs';
  /** Host directory: the context dir, or the mounted rootfs of the stage/image. */
  root: string;
  /** .dockerignore (context only). */
  exclude?: ContextExcludeFilter;
}

/** `COPY <<EOF /dest`: a file made from the heredoc body. */
export interface InlineSourceFile {
  /** The heredoc name: the file name under the destination. */
  path: string;
  data: string;
}

/** The response of a download, as much of a fetch() Response as ADD needs. */
export interface FetchResponse {
  ok: boolean;
  status: number;
  statusText?: string;
  headers: { get(name: string): string | null };
  arrayBuffer(): Promise<ArrayBuffer>;
}

export interface AddOptions {
  /** `--checksum=sha256:<hex>` (also sha384/sha512), for URL sources. */
  checksum?: string;
  /** `--keep-git-dir`: only meaningful for git sources, which are not supported yet. */
  keepGitDir?: boolean;
  /** `--unpack`: undefined = ADD's default (unpack local archives, never URLs). */
  unpack?: boolean;
  /** How to download; Node's global fetch by default. */
  fetch?: (url: string) => Promise<FetchResponse>;
}

export interface CopyRequest {
  source: CopySource;
  /** After variable expansion, as written: may contain globs, leading `/` allowed; URLs for ADD. */
  sources: string[];
  /** Heredoc sources; they count as sources for the "several sources" rule. */
  inlineSources?: InlineSourceFile[];
  /** After expansion, as written; a relative dest resolves against workdir. */
  dest: string;
  /** The image's WORKDIR, absolute ("/" by default). */
  workdir: string;
  /** Host path of the target rootfs; nothing is written outside it. */
  destRoot: string;
  /** --chown, already resolved against the image's /etc/passwd and /etc/group. */
  chown?: { uid: number; gid: number };
  /** --chmod: octal (755, 4755) or symbolic (u+x,g-w,a=rX). */
  chmod?: string;
  /** COPY --parents. */
  parents?: boolean;
  /** COPY/ADD --exclude patterns (.dockerignore syntax). */
  excludePatterns?: string[];
  isAdd?: boolean;
  addOptions?: AddOptions;
  /**
   * Rootless: map an image-side owner to the id written on disk. Owners kept
   * from a stage rootfs are read from disk and written back unmapped.
   */
  idMap?: (uid: number, gid: number) => { uid: number; gid: number };
  /** Ctrl-C: an aborted signal stops the copy between entries (the partial writes stay in destRoot). */
  signal?: AbortSignal;
}

export interface CopiedEntry {
  /**
   * Where it came from: a path relative to the context root (context), an
   * absolute path in the stage (rootfs), a URL, or `<<NAME` for a heredoc.
   */
  from: string;
  /** Absolute path inside the image. */
  to: string;
}

export interface CopyResult {
  /** Every file, directory, link and device written, in copy order. */
  copied: CopiedEntry[];
}

/** The part of a request that decides what is taken from the source (and so the cache key). */
export interface SourceSelection {
  parents?: boolean;
  excludePatterns?: string[];
  inlineSources?: InlineSourceFile[];
  isAdd?: boolean;
  addOptions?: AddOptions;
}
