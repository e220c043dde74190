/**
 * Per-run state on the host: `<stateDir>/runs/<id>/`. It holds the files the
 * container sees through bind mounts (/etc/hosts, resolv.conf, hostname), the
 * setup script and its log, and an owner record so `sweepLeftovers` can tell
 * a dead run from a live one.
 *
 * The stub layer (shared by runs with the same mountpoints, under
 * `<stateDir>/shared/`) is the LOWEST overlay lower dir: empty files and dirs at
 * every mountpoint (/proc, /dev, /sys, /etc/hosts, extra mount targets). An
 * image that has them shows its own; one that lacks them (FROM scratch) sees
 * the stubs. Either way nothing is created in the upper dir for a mount.
 */
import { accessSync, chmodSync, constants, existsSync, lstatSync, mkdirSync, readFileSync, readdirSync, renameSync, rmSync, rmdirSync, symlinkSync, unlinkSync, writeFileSync } from 'node:fs';
import { createHash, randomBytes } from 'node:crypto';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';

export interface RunOwner {
  pid: number;
  /** /proc/PID/stat start time, so a reused pid is not mistaken for the owner. */
  startTime: string;
  /** The rootfs's writable dir (upper dir or plain dir) the run may create mountpoints in. */
  writableDir: string;
}

export interface Mountpoint {
  /** Container path, absolute and normalized. */
  path: string;
  kind: 'file' | 'dir';
}

let chosenStateDir: string | undefined;

/**
 * Per user, so rootless and root runs do not collide, and on a tmpfs where
 * there is one: `$XDG_RUNTIME_DIR/layerlab-sandbox`, else
 * `/dev/shm/layerlab-sandbox-<uid>`, else `$TMPDIR/layerlab-sandbox-<uid>`.
 * A run creates and removes some 30 files there (and the container's /dev
 * lives there); on a busy disk that took 15–25 ms a run more than on tmpfs.
 * A place that exists but is not a dir of ours (another user's, a symlink)
 * is skipped.
 */
export function defaultStateDir(): string {
  if (chosenStateDir) return chosenStateDir;
  const uid = process.getuid?.() ?? 0;
  const runtimeDir = process.env['XDG_RUNTIME_DIR'];
  const candidates = [
    // Only the user's own runtime dir (sudo may pass on another user's).
    ...(runtimeDir && isOwnDir(runtimeDir, uid) ? [{ parent: runtimeDir, name: 'layerlab-sandbox' }] : []),
    { parent: '/dev/shm', name: `layerlab-sandbox-${uid}` },
  ];
  for (const { parent, name } of candidates) {
    if (!isWritableDir(parent)) continue;
    const dir = join(parent, name);
    try {
      mkdirSync(dir, { mode: 0o700 });
    } catch {
      // exists already, or cannot be made: checked next
    }
    if (isOwnDir(dir, uid)) return (chosenStateDir = dir);
  }
  return (chosenStateDir = join(tmpdir(), `layerlab-sandbox-${uid}`));
}

function isWritableDir(dir: string): boolean {
  try {
    accessSync(dir, constants.W_OK | constants.X_OK);
    return lstatSync(dir).isDirectory();
  } catch {
    return false;
  }
}

function isOwnDir(dir: string, uid: number): boolean {
  try {
    const st = lstatSync(dir);
    return st.isDirectory() && st.uid === uid && (st.mode & 0o077) === 0;
  } catch {
    return false;
  }
}

export function runsDir(stateDir: string): string {
  return join(stateDir, 'runs');
}

export function newRunId(): string {
  return randomBytes(6).toString('hex');
}

export function processStartTime(pid: number): string | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // Field 22; the command name (field 2) may hold spaces, so count from its ")".
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19];
  } catch {
    return undefined;
  }
}

/** Whether `pid` is still the process that started at `startTime` (zombies count as gone). */
export function isLiveProcess(pid: number, startTime: string): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return fields[0] !== 'Z' && fields[19] === startTime;
  } catch {
    return false;
  }
}

export function createRunDir(stateDir: string, id: string, writableDir: string): string {
  mkdirSync(runsDir(stateDir), { recursive: true, mode: 0o700 });
  const dir = join(runsDir(stateDir), id);
  mkdirSync(dir, { mode: 0o700 });
  const owner: RunOwner = { pid: process.pid, startTime: processStartTime(process.pid) ?? '', writableDir };
  writeFileSync(join(dir, 'owner.json'), JSON.stringify(owner));
  return dir;
}

export function readRunOwner(runDir: string): RunOwner | undefined {
  try {
    return JSON.parse(readFileSync(join(runDir, 'owner.json'), 'utf8')) as RunOwner;
  } catch {
    return undefined;
  }
}

/** Empty files and dirs at each mountpoint, parents 0755, like a fresh rootfs. */
export function writeStubLayer(dir: string, mountpoints: Mountpoint[]): void {
  mkdirSync(dir, { mode: 0o755 });
  for (const mp of mountpoints) {
    const hostPath = join(dir, mp.path);
    mkdirSync(mp.kind === 'dir' ? hostPath : dirname(hostPath), { recursive: true, mode: 0o755 });
    if (mp.kind === 'file') writeFileSync(hostPath, '', { mode: 0o644 });
  }
}

/**
 * A read-only dir under `<stateDir>/shared/`, built once and reused by every
 * run (the stub layers): fewer file operations per run. Built in a temp dir and renamed into place, so concurrent runs and
 * processes never see half of one.
 */
export function sharedDir(stateDir: string, name: string, build: (dir: string) => void): string {
  const dir = join(stateDir, 'shared', name);
  if (existsSync(dir)) return dir;
  mkdirSync(join(stateDir, 'shared'), { recursive: true, mode: 0o700 });
  const temp = join(stateDir, 'shared', `.tmp-${name}-${randomBytes(4).toString('hex')}`);
  build(temp);
  try {
    renameSync(temp, dir);
  } catch {
    rmSync(temp, { recursive: true, force: true }); // another run was first
  }
  return dir;
}

/** The shared stub layer for a set of mountpoints. */
export function sharedStubLayer(stateDir: string, mountpoints: Mountpoint[]): string {
  const key = createHash('sha256').update(JSON.stringify(mountpoints)).digest('hex').slice(0, 16);
  return sharedDir(stateDir, `stub-${key}`, (dir) => writeStubLayer(dir, mountpoints));
}

/**
 * The container's /dev, made fresh for each run in its run dir: the device
 * mountpoints, pts and shm dirs (devpts and a tmpfs go over them), and
 * Docker's symlinks.
 */
export const DEVICE_NODES = ['null', 'zero', 'full', 'random', 'urandom', 'tty'] as const;

export function writeDevTemplate(dir: string): void {
  mkdirSync(dir);
  chmodSync(dir, 0o755); // whatever the umask: every container user needs it
  for (const node of DEVICE_NODES) writeFileSync(join(dir, node), '', { mode: 0o666 });
  mkdirSync(join(dir, 'pts'), { mode: 0o755 });
  mkdirSync(join(dir, 'shm'), { mode: 0o1777 });
  chmodSync(join(dir, 'shm'), 0o1777); // mkdir's mode is filtered by the umask
  const links: [string, string][] = [
    ['fd', '/proc/self/fd'],
    ['stdin', '/proc/self/fd/0'],
    ['stdout', '/proc/self/fd/1'],
    ['stderr', '/proc/self/fd/2'],
    ['ptmx', 'pts/ptmx'],
    ['core', '/proc/kcore'],
  ];
  for (const [name, target] of links) symlinkSync(target, join(dir, name));
}

/**
 * Removes the mountpoints a run had to create in the writable dir (listed in
 * `created-mountpoints`, parents before children), deepest first, and only
 * while they are still an empty file or an empty dir: a dir the process
 * filled is its change, not ours. Returns the container paths removed.
 */
export function removeCreatedMountpoints(runDir: string, writableDir: string): string[] {
  let listed: string[];
  try {
    listed = readFileSync(join(runDir, 'created-mountpoints'), 'utf8').split('\n').filter((p) => p.startsWith('/'));
  } catch {
    return [];
  }
  const removed: string[] = [];
  for (const path of [...listed].reverse()) {
    const hostPath = join(writableDir, path);
    try {
      const st = lstatSync(hostPath);
      if (st.isDirectory()) {
        if (readdirSync(hostPath).length > 0) continue;
        rmdirSync(hostPath);
      } else if (st.isFile() && st.size === 0) {
        unlinkSync(hostPath);
      } else {
        continue;
      }
      removed.push(path);
    } catch {
      // Already gone, or not ours to remove.
    }
  }
  return removed.reverse();
}

/**
 * Removes a run dir; false when some of it could not be removed. The
 * container's /dev lives in it, and rootless, a container can leave there a
 * dir of a subordinate uid that the user cannot empty: that must not fail a
 * finished run. Whatever stays is a few files in a private dir.
 */
export function removeRunDir(runDir: string): boolean {
  try {
    rmSync(runDir, { recursive: true, force: true });
    return true;
  } catch {
    return false;
  }
}
