/**
 * Overlay mounts the engine makes on the host itself, for the file operations
 * that run in-process (COPY, ADD, WORKDIR's mkdir) rather than in the sandbox.
 * They live under the store's tmp dir with a recognisable name, so a session
 * that dies before unmounting leaves something `sweepHostMounts` finds at the
 * next start. Needs root, or a private user+mount namespace: the rootless
 * file-step worker (file-step-worker.ts) calls these inside one, with
 * `userxattr`, so its mounts never appear on the host.
 *
 * mount(2) and umount2(2) are called directly (native/mount.c) where the
 * addon built: mount(8) and umount(8) cost 4-5 ms each per file step.
 */
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { ExternalCommandError, runCommand } from '../image/external-command.js';
import { nativeMount } from './native-mount.js';

/**
 * mount and umount run in a process group of their own: a Ctrl-C at the
 * terminal goes to layerlab's group, and a `mount` killed just after its
 * mount(2) would leave a mount nobody knows about. layerlab's own Ctrl-C
 * handling cancels the step and unmounts.
 */
const run = (command: string, args: string[]): Promise<void> => runCommand(command, args, { detached: true });

export const mountDirPrefix = 'mnt-';

export class HostMountError extends Error {
  constructor(
    message: string,
    readonly command: string,
    readonly args: string[],
  ) {
    super(message);
    this.name = 'HostMountError';
  }
}

/** `dirs` are the overlay's own dirs, to name the one that is missing when the mount fails. */
async function mountOverlay(options: string, readOnly: boolean, target: string, dirs: string[]): Promise<void> {
  const args = ['-t', 'overlay', 'overlay', '-o', readOnly ? `ro,${options}` : options, target];
  const native = nativeMount();
  try {
    if (native) native.mount('overlay', target, 'overlay', readOnly ? native.MS_RDONLY : 0, options);
    else await run('mount', args);
  } catch (err) {
    const missing = dirs.find((dir) => !existsSync(dir));
    const stderr = err instanceof ExternalCommandError ? err.stderr.trim() : '';
    // overlayfs says why it refused a mount only in the kernel log, as mount(8) would point out.
    const why = missing ? `${missing} does not exist` : stderr || `${(err as Error).message} (dmesg may say why)`;
    throw new HostMountError(`could not mount the step's overlay: ${why}`, 'mount', args);
  }
}

async function unmount(target: string, lazily: boolean): Promise<void> {
  const native = nativeMount();
  if (native) native.umount(target, lazily ? native.MNT_DETACH : 0);
  else await run('umount', lazily ? ['-l', target] : [target]);
}

/** Escapes a path for overlayfs' comma- and colon-separated options. */
function escapeOverlayPath(p: string): string {
  return p.replace(/\\/g, '\\\\').replace(/,/g, '\\,').replace(/:/g, '\\:');
}

export interface OverlayOptions {
  /**
   * overlayfs in a user namespace: whiteouts and opaque dirs are marked with
   * `user.overlay.*` xattrs, as the rootless sandbox's RUN steps mark them.
   */
  userxattr?: boolean;
}

export interface HostMount {
  /** The merged view. */
  path: string;
  release(): Promise<void>;
}

/**
 * A writable overlay: lowerDirs (topmost first) under upperDir. `volatile`
 * skips the sync on unmount; a step's upper dir does not need to survive a
 * crash (PERF-NOTES: 2 ms instead of up to 110 ms).
 */
export async function mountWritable(
  tmpDir: string,
  lowerDirs: string[],
  upperDir: string,
  workDir: string,
  options: OverlayOptions = {},
): Promise<HostMount> {
  const base = await mkdtemp(join(tmpDir, mountDirPrefix));
  const merged = join(base, 'merged');
  await mkdir(merged);
  const lowers = lowerDirs.length > 0 ? lowerDirs : [await emptyDir(base)];
  await mountOrClean(
    `lowerdir=${lowers.map(escapeOverlayPath).join(':')},upperdir=${escapeOverlayPath(upperDir)},workdir=${escapeOverlayPath(workDir)},volatile${options.userxattr ? ',userxattr' : ''}`,
    false,
    [...lowers, upperDir, workDir],
    base,
    merged,
  );
  return { path: merged, release: () => unmountAndRemove(base, merged) };
}

/** A read-only view of a stack of layers, e.g. the source of COPY --from. */
export async function mountReadOnly(tmpDir: string, lowerDirs: string[], options: OverlayOptions = {}): Promise<HostMount> {
  const base = await mkdtemp(join(tmpDir, mountDirPrefix));
  const merged = join(base, 'merged');
  await mkdir(merged);
  // overlayfs wants two lower dirs when there is no upper dir.
  const lowers = [...lowerDirs];
  while (lowers.length < 2) lowers.push(await emptyDir(base, `empty${lowers.length}`));
  await mountOrClean(`lowerdir=${lowers.map(escapeOverlayPath).join(':')}${options.userxattr ? ',userxattr' : ''}`, true, lowers, base, merged);
  return { path: merged, release: () => unmountAndRemove(base, merged) };
}

/** Mounts, or on failure leaves nothing: not the dir, and not a mount the failed `mount` may have made. */
async function mountOrClean(options: string, readOnly: boolean, dirs: string[], base: string, merged: string): Promise<void> {
  try {
    await mountOverlay(options, readOnly, merged, dirs);
  } catch (err) {
    await unmountAndRemove(base, merged);
    throw err;
  }
}

async function emptyDir(base: string, name = 'empty'): Promise<string> {
  const dir = join(base, name);
  await mkdir(dir, { recursive: true });
  return dir;
}

async function unmountAndRemove(base: string, merged: string): Promise<void> {
  try {
    await unmount(merged, false);
  } catch {
    // Busy (a process still has it open): detach now, the kernel frees it later.
    await unmount(merged, true).catch(() => undefined);
  }
  await rm(base, { recursive: true, force: true });
}

/** Unmounts what an earlier, killed session left mounted under tmpDir. */
export async function sweepHostMounts(tmpDir: string): Promise<number> {
  let mountinfo: string;
  try {
    mountinfo = await readFile('/proc/self/mountinfo', 'utf8');
  } catch {
    return 0;
  }
  const prefix = `${tmpDir}/${mountDirPrefix}`;
  const stale = mountinfo
    .split('\n')
    .map((line) => line.split(' ')[4])
    .filter((mp): mp is string => !!mp && decodeMountPath(mp).startsWith(prefix))
    .map(decodeMountPath)
    .sort((a, b) => b.length - a.length);
  for (const mp of stale) await unmount(mp, true).catch(() => undefined);
  return stale.length;
}

function decodeMountPath(p: string): string {
  return p.replace(/\\([0-7]{3})/g, (_, oct: string) => String.fromCharCode(parseInt(oct, 8)));
}
