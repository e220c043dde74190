/**
 * What the engine asks the sandbox to run. Everything here is in container
 * terms (paths inside the rootfs, ids inside the user namespace) except the
 * host directories of the rootfs and of bind mounts.
 */

/**
 * An overlay of read-only layer directories with a fresh writable upper dir.
 * `lowerDirs` is ordered TOPMOST FIRST, the same order as overlayfs'
 * `lowerdir=` option: `lowerDirs[0]` is the newest layer. An empty list is an
 * empty base (FROM scratch).
 *
 * `upperDir` and `workDir` must be on the same filesystem and must not be
 * inside any lower dir. After the run, `upperDir` holds exactly the step's
 * changes (overlay whiteouts and opaque xattrs included, see
 * `IdMapping.overlayXattrPrefix`); nothing the sandbox mounts leaks into it.
 * `workDir` is scratch space of overlayfs; remove it with `removeWorkDir`.
 */
export interface OverlayRootfs {
  lowerDirs: string[];
  upperDir: string;
  workDir: string;
}

/**
 * A plain directory used as the rootfs, written in place. Mountpoints the
 * container needs and the directory lacks (/proc, /dev, /etc/hosts, mount
 * targets…) are created before the run and removed after it, so the
 * directory ends as the process left it.
 */
export interface DirRootfs {
  dir: string;
}

export type RootfsSpec = OverlayRootfs | DirRootfs;

/**
 * - `none`: a new network namespace with only the loopback device (brought up
 *   with iproute2's `ip` when the host has it).
 * - `host`: the host's network namespace and /etc/hosts.
 * - `default`: what a RUN gets without `--network`. layerlab has no bridge or
 *   NAT, so this shares the host network like `host`, but with a generated
 *   /etc/hosts like BuildKit's.
 */
export type NetworkMode = 'default' | 'none' | 'host';

/**
 * An extra mount. `bind` and `cache` both bind a host path (file or dir) into
 * the container: a cache mount is a bind of a directory the engine keeps
 * between builds. `tmpfs` is a fresh, empty tmpfs. `overlay` is a read-only
 * view of a stack of layer dirs (e.g. another stage's filesystem), see
 * OverlayMount. Mounts are applied in the order given, after the system
 * mounts, so a later target may sit inside an earlier one.
 */
export type MountSpec =
  | { type: 'bind' | 'cache'; source: string; target: string; readonly?: boolean }
  | { type: 'tmpfs'; target: string; sizeBytes?: number; readonly?: boolean }
  | OverlayMount;

/**
 * A read-only overlay of `lowerDirs` (TOPMOST FIRST, as in OverlayRootfs;
 * whiteouts and opaque dirs apply), mounted inside the sandbox's own mount
 * namespace: rootless it needs no privilege (the user namespace's root may
 * mount overlayfs), and it never shows on the host. `subpath` (default "/")
 * is the path inside the overlay that appears at `target`, a file or a dir;
 * a subpath that is missing or leads through a symlink fails the run's
 * setup, because until the chroot a symlink would resolve on the host.
 */
export interface OverlayMount {
  type: 'overlay';
  lowerDirs: string[];
  target: string;
  subpath?: string;
}

/** Resolved ids inside the container (see `resolveUser` for "name:group"). */
export interface UserIds {
  uid: number;
  gid: number;
  /** Supplementary groups; empty for none. */
  groups: number[];
}

export interface HostEntry {
  host: string;
  ip: string;
}

export interface RunSpec {
  rootfs: RootfsSpec;
  /** argv[0] is looked up in the container's PATH from `env`, like Docker. */
  argv: string[];
  /** "KEY=value" entries, the complete environment of the process. */
  env: string[];
  /** Absolute path inside the container. It must exist. */
  cwd: string;
  user: UserIds;
  network: NetworkMode;
  mounts?: MountSpec[];
  /** Kill the whole sandbox after this many milliseconds. */
  timeoutMs?: number;
  /** Defaults to a fresh 12-hex-digit id, like Docker's short container id. */
  hostname?: string;
  /** Extra /etc/hosts lines (`--add-host`). */
  extraHosts?: HostEntry[];
  /**
   * Where per-run state lives (generated /etc files, the mountpoint stub
   * layer, the setup script). Defaults to `defaultStateDir()`. Pass the same
   * directory to `sweepLeftovers` at start-up.
   */
  stateDir?: string;
  /** Piped mode only: give the process a writable stdin instead of /dev/null. */
  stdin?: 'ignore' | 'pipe';
}

export interface RunResult {
  /** The exit code, or null when the process was killed by a signal. */
  exitCode: number | null;
  signal: NodeJS.Signals | null;
  /** True when `timeoutMs` ran out and the sandbox was killed. */
  timedOut: boolean;
  durationMs: number;
}

export interface PtyOptions {
  cols: number;
  rows: number;
  /** TERM inside the container, unless `env` sets TERM; default xterm-256color. */
  term?: string;
}

export function isOverlayRootfs(rootfs: RootfsSpec): rootfs is OverlayRootfs {
  return 'upperDir' in rootfs;
}
