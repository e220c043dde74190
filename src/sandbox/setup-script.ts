/**
 * The shell script that runs as pid 1 inside the fresh namespaces, with the
 * HOST's /bin/sh and host tools (the image may have no shell at all). It
 * assembles the rootfs under `root`, mounts /proc, /dev, /sys and the /etc
 * files, then execs the container process:
 *
 *   env -i ENV… setpriv --inh-caps … --bounding-set … [--regid G --groups …]
 *       unshare --root=ROOT --wd=CWD [--setgid G] [--setuid U] -- ARGV…
 *
 * (setpriv limits the capabilities to Docker's set, taking effect at the
 * last exec, and sets supplementary groups while still root; unshare's
 * --root chroots and chdirs, --setgid clears the supplementary groups and
 * sets the gid, --setuid drops root last. `env -i` stays because shell
 * exports would reorder the environment.)
 *
 * Every process here costs 1–10 ms depending on the machine's load, so the
 * setup runs as few as it can: two `mount --all` calls, one for the overlay
 * (the mountpoint checks need the merged rootfs) and one for everything else,
 * in order. /dev is a per-run dir that the caller fills before the run, so
 * nothing has to be copied in here.
 *
 * Every mount happens in the sandbox's private mount namespace, so none
 * outlives it. Mountpoints come from the stub layer (the lowest overlay
 * lower dir, see run-dir.ts), so they are not written to the upper dir. When
 * a layer hides a stub (a whiteout or opaque dir), or with a plain-dir rootfs,
 * the script creates the mountpoint and logs its path to
 * `created-mountpoints` so it can be removed after the run.
 *
 * Pure: builds text only.
 */
import { quoteShell } from './shell-quote.js';

export interface FstabEntry {
  source: string;
  target: string;
  type: string;
  options: string;
}

export interface MountpointStep {
  /** Container path of the mountpoint. */
  target: string;
  kind: 'file' | 'dir';
  /**
   * What to do when a component of the target is a symlink: `skip` the mount
   * (e.g. an image whose /etc/resolv.conf links elsewhere) or `fail`.
   * Symlinks are never followed, because until the chroot they would
   * resolve against the host.
   */
  onSymlink: 'skip' | 'fail';
  /** The mount, target given as a host path under `root`. */
  entry: FstabEntry;
}

/**
 * A read-only overlay that an extra mount shows part of (MountSpec
 * `overlay`): mounted on a dir of the run dir, which only the sandbox's mount
 * namespace sees, right after the rootfs; then its `subpath` is bound at the
 * container target like any other mount.
 */
export interface SourceOverlay {
  entry: FstabEntry;
  /** Working dir for `mount`, when the lower dirs are given relative to keep options short. */
  cwd?: string;
  /** Relative path inside the overlay; it must exist and have no symlink on the way. */
  subpath: string;
  /** The container target, for the message when the subpath is not there. */
  target: string;
}

export interface SetupScriptInput {
  /** Host dir with the run's files (setup.log, fstabs, created-mountpoints). */
  runDir: string;
  /** Host path where the rootfs is assembled and chrooted into. */
  root: string;
  /** Mounted first: the overlay itself, or nothing for a plain dir. */
  rootMount?: FstabEntry;
  /** Working dir for `mount` (overlay paths may be relative to keep options short). */
  rootMountCwd?: string;
  /** Mounted after the rootfs, before everything else (see SourceOverlay). */
  sourceOverlays?: SourceOverlay[];
  /** /proc, /sys, the per-run /dev dir. */
  systemMounts: MountpointStep[];
  /** Masked and read-only paths inside /proc and /sys, right after them. */
  kernelViewMounts?: FstabEntry[];
  /** Device binds, devpts, shm: their mountpoints are in the per-run /dev dir. */
  devMounts: FstabEntry[];
  /**
   * /etc files and the spec's extra mounts, in order. A bare entry has a
   * mountpoint the caller made (inside the per-run /dev) and needs no check.
   */
  laterMounts: Array<MountpointStep | FstabEntry>;
  /** Extra mounts over HOST paths, made last (pty mode: the new devpts over /dev/pts). */
  hostOverMounts: FstabEntry[];
  hostname: string;
  /** `proc` writes /proc/sys/kernel/hostname (root only); `command` runs hostname(1). */
  hostnameMethod: 'proc' | 'command';
  bringUpLoopback: boolean;
  /** The final exec vector (env -i … setpriv … unshare --root … argv). */
  execArgv: string[];
  /**
   * Pty mode: instead of exec'ing `execArgv` directly, relay through
   * util-linux script(1), so the process gets a pty of the container's own
   * devpts instance (`tty` then names a /dev/pts path that exists inside).
   * The value is the host path of a script that holds the exec line.
   */
  ptyRelayScript?: string;
}

/** Escapes a path for fstab (space, tab, newline and backslash as octal). */
export function fstabEscape(text: string): string {
  return text.replace(/[\\ \t\n]/g, (c) => `\\${c.charCodeAt(0).toString(8).padStart(3, '0')}`);
}

export function fstabLine(e: FstabEntry): string {
  return `${fstabEscape(e.source)} ${fstabEscape(e.target)} ${e.type} ${e.options} 0 0\n`;
}

/** The exec line of the container process, as one shell command. */
export function execLine(execArgv: string[]): string {
  return `exec ${execArgv.map(quoteShell).join(' ')}`;
}

export function buildSetupScript(input: SetupScriptInput): string {
  const q = quoteShell;
  const run = (name: string) => q(`${input.runDir}/${name}`);
  const out: string[] = [];
  out.push('set -eu');
  // Setup errors go to a file so the caller can tell them from the
  // process's own stderr; fd 9 keeps the real stderr for the exec.
  out.push(`exec 9>&2 2>${run('setup.log')}`);
  out.push(`R=${q(input.root)}`);
  out.push(MOUNTPOINT_FUNCTION(run('created-mountpoints')));
  if (input.rootMount) {
    out.push(`printf %s ${q(fstabLine(input.rootMount))} > ${run('fstab.root')}`);
    if (input.rootMountCwd) out.push(`cd ${q(input.rootMountCwd)}`);
    out.push(`mount --all --fstab ${run('fstab.root')}`);
    if (input.rootMountCwd) out.push('cd /');
  }
  const overlays = input.sourceOverlays ?? [];
  if (overlays.length > 0) out.push(SOURCE_CHECK_FUNCTION);
  for (const o of overlays) {
    if (o.cwd) out.push(`cd ${q(o.cwd)}`);
    out.push(`mount -t ${o.entry.type} -o ${q(o.entry.options)} ${q(o.entry.source)} ${q(o.entry.target)}`);
    if (o.cwd) out.push('cd /');
    const problem = `layerlab: mount source /${o.subpath} for ${o.target} does not exist or goes through a symlink`;
    out.push(`source_at ${q(o.entry.target)} ${q(o.subpath)} || { echo ${q(problem)} >&2; exit 1; }`);
  }
  // The rest in one call: mount(8) applies an fstab in order, so /dev is
  // there before its device binds, and devpts before the pty-mode binds.
  const fstab = run('fstab.mounts');
  out.push(`: > ${fstab}`);
  for (const step of input.systemMounts) out.push(mountpointStep(step, fstab));
  const kernelView = input.kernelViewMounts ?? [];
  if (kernelView.length > 0) out.push(`printf %s ${q(kernelView.map(fstabLine).join(''))} >> ${fstab}`);
  if (input.devMounts.length > 0) out.push(`printf %s ${q(input.devMounts.map(fstabLine).join(''))} >> ${fstab}`);
  for (const m of input.laterMounts) {
    out.push('entry' in m ? mountpointStep(m, fstab) : `printf %s ${q(fstabLine(m))} >> ${fstab}`);
  }
  if (input.hostOverMounts.length > 0) {
    out.push(`printf %s ${q(input.hostOverMounts.map(fstabLine).join(''))} >> ${fstab}`);
  }
  out.push(`mount --all --fstab ${fstab}`);
  out.push(
    input.hostnameMethod === 'proc'
      ? `printf %s ${q(input.hostname)} > /proc/sys/kernel/hostname`
      : `hostname ${q(input.hostname)}`,
  );
  if (input.bringUpLoopback) out.push('if command -v ip >/dev/null; then ip link set lo up; fi');
  out.push('umask 022');
  out.push(`: > ${run('setup-done')}`);
  out.push('exec 2>&9 9>&-');
  if (input.ptyRelayScript) {
    // script(1) runs its -c command with $SHELL -c; the caller sets SHELL=/bin/sh.
    out.push(`exec script --quiet --return --command ${q(`exec /bin/sh ${q(input.ptyRelayScript)}`)} /dev/null`);
  } else {
    out.push(execLine(input.execArgv));
  }
  return `${out.join('\n')}\n`;
}

function mountpointStep(step: MountpointStep, fstab: string): string {
  const q = quoteShell;
  const onSymlink =
    step.onSymlink === 'skip'
      ? ':'
      : `echo ${q(`layerlab: mount target ${step.target} goes through a symlink in the rootfs`)} >&2; exit 1`;
  return `if mountpoint_at ${step.kind} ${q(step.target)}; then printf %s ${q(fstabLine(step.entry))} >> ${fstab}; else ${onSymlink}; fi`;
}

/** source_at BASE PATH: PATH exists under BASE and no component of it is a symlink. Builtins only. */
const SOURCE_CHECK_FUNCTION = `source_at() {
  p=$1; rest=$2
  while [ -n "$rest" ]; do
    case $rest in */*) c=\${rest%%/*}; rest=\${rest#*/};; *) c=$rest; rest=;; esac
    if [ -z "$c" ]; then continue; fi
    p=$p/$c
    if [ -L "$p" ] || [ ! -e "$p" ]; then return 1; fi
  done
  return 0
}`;

/**
 * mountpoint_at KIND PATH: walk PATH under $R without following symlinks,
 * creating what is missing (logged first, so a crash still leaves a record).
 * Returns 1 when a component is a symlink. Only builtins unless it creates.
 */
const MOUNTPOINT_FUNCTION = (logFile: string) => `mountpoint_at() {
  p=$R; rest=\${2#/}
  while [ -n "$rest" ]; do
    case $rest in */*) c=\${rest%%/*}; rest=\${rest#*/};; *) c=$rest; rest=;; esac
    if [ -z "$c" ]; then continue; fi
    p=$p/$c
    if [ -L "$p" ]; then return 1; fi
    if [ ! -e "$p" ]; then
      printf '%s\\n' "\${p#"$R"}" >> ${logFile}
      if [ -z "$rest" ] && [ "$1" = file ]; then : > "$p"; else mkdir "$p"; fi
    fi
  done
  return 0
}`;
