/**
 * Turns a RunSpec into the files of a run dir and the outer command line:
 *
 *   setpriv --pdeathsig KILL unshare [--user --map-root-user [--map-auto]]
 *       --mount --uts --ipc --pid [--net] --fork --kill-child -- /bin/sh setup.sh
 *
 * `--pdeathsig KILL` kills unshare when layerlab dies (even by SIGKILL), and
 * `--kill-child` then kills the namespace's pid 1, which takes every process
 * and every mount of the sandbox with it.
 */
import { chmodSync, existsSync, lstatSync, mkdirSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { userInfo } from 'node:os';
import { join, posix } from 'node:path';
import { InvalidRunSpecError, UnmappedIdError } from './errors.js';
import { makeEtcFiles } from './etc-files.js';
import { HOST_PATH, hostTool } from './host-tools.js';
import { toHostId, type IdMapping } from './id-mapping.js';
import {
  createRunDir,
  DEVICE_NODES,
  newRunId,
  removeRunDir,
  sharedStubLayer,
  writeDevTemplate,
  defaultStateDir,
  type Mountpoint,
} from './run-dir.js';
import { isOverlayRootfs, type MountSpec, type OverlayMount, type OverlayRootfs, type RunSpec } from './run-spec.js';
import { buildSetupScript, execLine, type FstabEntry, type MountpointStep, type SourceOverlay } from './setup-script.js';

export interface PreparedRun {
  runDir: string;
  /** The rootfs's writable dir: where created mountpoints are removed from. */
  writableDir: string;
  command: string;
  args: string[];
  /** Environment of the outer command (host PATH; the container's env is in the script). */
  env: Record<string, string>;
}

export interface PrepareOptions {
  pty?: { term: string };
}

/**
 * Docker's default capabilities, which BuildKit's RUN gets too: root in the
 * container keeps these and loses the rest when the container process starts,
 * so a RUN cannot load kernel modules, mount, set the host's clock or trace
 * processes. Kept in the bounding set, which is what setpriv sets.
 */
export const DEFAULT_CAPABILITIES = [
  'chown', 'dac_override', 'fsetid', 'fowner', 'mknod', 'net_raw', 'setgid', 'setuid',
  'setfcap', 'setpcap', 'net_bind_service', 'sys_chroot', 'kill', 'audit_write',
] as const;

/**
 * What Docker hides of the kernel's view: files are covered with /dev/null,
 * dirs with an empty read-only tmpfs. Only those the host has are covered.
 */
const MASKED_PATHS = [
  '/proc/asound', '/proc/acpi', '/proc/kcore', '/proc/keys', '/proc/latency_stats', '/proc/timer_list',
  '/proc/timer_stats', '/proc/sched_debug', '/proc/scsi', '/sys/firmware',
];
/** ...and what it makes read-only: as root, a RUN could otherwise set the host's sysctls. */
const READONLY_PATHS = ['/proc/bus', '/proc/fs', '/proc/irq', '/proc/sys', '/proc/sysrq-trigger'];

const ETC_FILES = [
  ['/etc/hosts', 'etc-hosts'],
  ['/etc/resolv.conf', 'etc-resolv.conf'],
  ['/etc/hostname', 'etc-hostname'],
] as const;

export function prepareRun(spec: RunSpec, mapping: IdMapping, options: PrepareOptions = {}): PreparedRun {
  validate(spec);
  checkIdsMapped(spec, mapping);
  const stateDir = spec.stateDir ?? defaultStateDir();
  const id = newRunId();
  const hostname = spec.hostname ?? id;
  const overlay = isOverlayRootfs(spec.rootfs) ? spec.rootfs : undefined;
  const writableDir = overlay ? overlay.upperDir : (spec.rootfs as { dir: string }).dir;
  const runDir = createRunDir(stateDir, id, writableDir);
  try {
    return assembleRun(spec, mapping, options, { stateDir, runDir, hostname, overlay, writableDir });
  } catch (err) {
    removeRunDir(runDir); // a spec refused halfway leaves nothing behind
    throw err;
  }
}

interface RunPlace {
  stateDir: string;
  runDir: string;
  hostname: string;
  overlay: OverlayRootfs | undefined;
  writableDir: string;
}

/** Fills the run dir (files, /dev, stub layer, setup script) and builds the outer command. */
function assembleRun(spec: RunSpec, mapping: IdMapping, options: PrepareOptions, place: RunPlace): PreparedRun {
  const { stateDir, runDir, hostname, overlay, writableDir } = place;
  const root = overlay ? join(runDir, 'root') : writableDir;
  const rootless = mapping.kind !== 'host';

  const etc = makeEtcFiles(spec.network, hostname, spec.extraHosts ?? [], {
    hosts: readOptional('/etc/hosts'),
    resolvConf: readOptional('/etc/resolv.conf'),
  });
  writeFileSync(join(runDir, 'etc-hosts'), etc.hosts, { mode: 0o644 });
  writeFileSync(join(runDir, 'etc-resolv.conf'), etc.resolvConf, { mode: 0o644 });
  writeFileSync(join(runDir, 'etc-hostname'), etc.hostname, { mode: 0o644 });
  // The container's /dev: a fresh dir per run, bound over the rootfs's /dev
  // and removed with the run dir. Filling it here costs ~15 syscalls, where
  // a tmpfs filled inside the sandbox would cost a `cp` process.
  const devDir = join(runDir, 'dev');
  writeDevTemplate(devDir);

  const mounts = spec.mounts ?? [];
  const mountpoints: Mountpoint[] = [
    { path: '/proc', kind: 'dir' },
    { path: '/dev', kind: 'dir' },
    { path: '/sys', kind: 'dir' },
    ...ETC_FILES.map(([path]) => ({ path, kind: 'file' as const })),
    ...mounts.map((m) => ({ path: posix.normalize(m.target), kind: mountKind(m) })),
  ];

  let rootMount: FstabEntry | undefined;
  let rootMountCwd: string | undefined;
  if (overlay) {
    const stub = sharedStubLayer(stateDir, mountpoints);
    resetWorkDir(overlay.workDir);
    const lower = [...overlay.lowerDirs, stub];
    let dirs = { lower, upper: overlay.upperDir, work: overlay.workDir };
    // mount(2) takes at most a page of options; long layer lists are given
    // relative to their common parent, where mount runs.
    if (overlayOptions(dirs, rootless).length > 3000) {
      rootMountCwd = commonParent([...lower, overlay.upperDir, overlay.workDir]);
      const rel = (p: string) => posix.relative(rootMountCwd!, p) || '.';
      dirs = { lower: lower.map(rel), upper: rel(overlay.upperDir), work: rel(overlay.workDir) };
    }
    // nodev: a device node a RUN makes (mknod is allowed, as in Docker) cannot
    // be opened, so it cannot reach the host's disks; /dev is a mount of its own.
    rootMount = { source: 'overlay', target: root, type: 'overlay', options: `nodev,${overlayOptions(dirs, rootless)}` };
  }

  // Overlay mounts: their views are mounted in the run dir, then bound like binds.
  const sourceOverlays: SourceOverlay[] = [];
  const bindSources = new Map<MountSpec, string>();
  for (const [i, m] of mounts.entries()) {
    if (m.type !== 'overlay') continue;
    const prepared = prepareSourceOverlay(m, join(runDir, 'sources', String(i)), rootless);
    sourceOverlays.push(prepared.overlay);
    bindSources.set(m, prepared.bindSource);
  }

  const under = (p: string) => posix.join(root, p);
  // sysfs can only be mounted by the owner of the network namespace: as root,
  // or rootless with a namespace of its own. Otherwise bind the host's.
  const ownsNetns = !rootless || spec.network === 'none';
  const systemMounts: MountpointStep[] = [
    step('/proc', 'dir', 'fail', { source: 'proc', target: under('/proc'), type: 'proc', options: 'nosuid,nodev,noexec' }),
    step('/sys', 'dir', 'fail', ownsNetns
      ? { source: 'sysfs', target: under('/sys'), type: 'sysfs', options: 'ro,nosuid,nodev,noexec' }
      : { source: '/sys', target: under('/sys'), type: 'none', options: readonlyBindOptions('/sys', rootless) }),
    step('/dev', 'dir', 'fail', { source: devDir, target: under('/dev'), type: 'none', options: bindOptions(devDir, rootless, ['nosuid']) }),
  ];
  const kernelViewMounts = kernelViewMountEntries(under, rootless);
  // gid 5 (tty) for new ptys, as Docker does, if the container has that gid.
  const ttyGid = toHostId(mapping.gidMap, 5) !== undefined ? ',gid=5' : '';
  const devMounts: FstabEntry[] = [
    ...DEVICE_NODES.map((node) => ({ source: `/dev/${node}`, target: under(`/dev/${node}`), type: 'none', options: 'bind' })),
    { source: 'devpts', target: under('/dev/pts'), type: 'devpts', options: `newinstance,ptmxmode=0666,mode=0620,nosuid,noexec${ttyGid}` },
    { source: 'shm', target: under('/dev/shm'), type: 'tmpfs', options: 'nosuid,nodev,noexec,mode=1777,size=65536k' },
  ];
  const laterMounts: Array<MountpointStep | FstabEntry> = [
    ...ETC_FILES.map(([path, file]) =>
      step(path, 'file', 'skip', { source: join(runDir, file), target: under(path), type: 'none', options: 'bind' }),
    ),
    ...mounts.map((m) => {
      const target = posix.normalize(m.target);
      const entry = extraMountEntry(m, under, rootless, bindSources.get(m));
      // /dev is mounted in the same `mount` call as these, so its mountpoints
      // are made now, in the per-run dir.
      if (target.startsWith('/dev/')) {
        makeDevMountpoint(devDir, target, mountKind(m));
        return entry;
      }
      return step(target, mountKind(m), 'fail', entry);
    }),
  ];
  // Pty mode: script(1) opens /dev/ptmx before the chroot, so in this mount
  // namespace the host paths must lead to the container's devpts instance.
  const hostOverMounts: FstabEntry[] = options.pty
    ? [
        { source: under('/dev/pts'), target: '/dev/pts', type: 'none', options: 'bind' },
        { source: under('/dev/pts/ptmx'), target: '/dev/ptmx', type: 'none', options: 'bind' },
      ]
    : [];

  const env = [...spec.env];
  if (options.pty && !env.some((e) => e.startsWith('TERM='))) env.push(`TERM=${options.pty.term}`);
  const execArgv = [
    hostTool('env'), '-i', '--', ...env,
    ...identityArgs(spec, mapping, root),
    '--', ...spec.argv,
  ];
  let ptyRelayScript: string | undefined;
  if (options.pty) {
    ptyRelayScript = join(runDir, 'exec.sh');
    writeFileSync(ptyRelayScript, `${execLine(execArgv)}\n`);
  }

  const script = buildSetupScript({
    runDir,
    root,
    rootMount,
    rootMountCwd,
    sourceOverlays,
    systemMounts,
    kernelViewMounts,
    devMounts,
    laterMounts,
    hostOverMounts,
    hostname,
    hostnameMethod: rootless ? 'command' : 'proc',
    bringUpLoopback: spec.network === 'none',
    execArgv,
    ptyRelayScript,
  });
  const setupScript = join(runDir, 'setup.sh');
  writeFileSync(setupScript, script);

  const userns =
    mapping.kind === 'subordinate'
      ? ['--user', '--map-root-user', '--map-auto']
      : mapping.kind === 'single'
        ? ['--user', '--map-root-user']
        : [];
  const args = [
    '--pdeathsig', 'KILL',
    hostTool('unshare'), ...userns, '--mount', '--uts', '--ipc', '--pid',
    ...(spec.network === 'none' ? ['--net'] : []),
    '--fork', '--kill-child',
    '--', '/bin/sh', setupScript,
  ];
  // The mountpoint of the assembled rootfs. On the host side it stays empty:
  // the overlay exists only in the sandbox's mount namespace.
  if (overlay) mkdirSync(root);
  return {
    runDir,
    writableDir,
    command: hostTool('setpriv'),
    args,
    env: {
      PATH: HOST_PATH,
      SHELL: '/bin/sh',
      ...(options.pty ? { TERM: options.pty.term } : {}),
    },
  };
}

/**
 * The capabilities, the chroot and the ids: `setpriv` empties the inheritable
 * set and keeps Docker's capabilities in the bounding set (and sets
 * supplementary groups, while still root), then `unshare --root` chroots and
 * chdirs, and its --setgid (clearing the groups) and --setuid drop root last.
 * The bounding set takes effect at the exec of the container process, after
 * the chroot. With a single-id mapping the process is already gid 0 and
 * setgroups(2) is denied, so the groups are left as they are.
 */
function identityArgs(spec: RunSpec, mapping: IdMapping, root: string): string[] {
  const { uid, gid, groups } = spec.user;
  const capabilities = [
    hostTool('setpriv'),
    '--inh-caps=-all',
    `--bounding-set=-all,${DEFAULT_CAPABILITIES.map((c) => `+${c}`).join(',')}`,
  ];
  const chroot = [hostTool('unshare'), `--root=${root}`, `--wd=${posix.normalize(spec.cwd)}`];
  const setuid = uid !== 0 ? ['--setuid', String(uid)] : [];
  if (mapping.kind === 'single') return [...capabilities, '--', ...chroot, ...setuid];
  if (groups.length === 0) return [...capabilities, '--', ...chroot, '--setgid', String(gid), ...setuid];
  return [...capabilities, '--regid', String(gid), '--groups', groups.join(','), '--', ...chroot, ...setuid];
}

/** Which of Docker's masked and read-only paths this kernel has (a dir or not); the same for every run. */
let kernelView: { masked: Array<{ path: string; dir: boolean }>; readonly: string[] } | undefined;

function hostKernelView(): NonNullable<typeof kernelView> {
  if (kernelView) return kernelView;
  const masked: Array<{ path: string; dir: boolean }> = [];
  for (const path of MASKED_PATHS) {
    try {
      masked.push({ path, dir: statSync(path).isDirectory() });
    } catch {
      // this kernel has no such entry
    }
  }
  return (kernelView = { masked, readonly: READONLY_PATHS.filter((path) => existsSync(path)) });
}

/** Docker's masked and read-only paths in /proc and /sys, as fstab entries after those mounts. */
function kernelViewMountEntries(under: (p: string) => string, rootless: boolean): FstabEntry[] {
  const { masked, readonly } = hostKernelView();
  return [
    ...masked.map(({ path, dir }) =>
      dir
        ? { source: 'tmpfs', target: under(path), type: 'tmpfs', options: 'ro,nosuid,nodev,noexec' }
        : { source: '/dev/null', target: under(path), type: 'none', options: 'bind' },
    ),
    // Bound onto itself inside the sandbox's own procfs, then remounted read-only.
    ...readonly.map((path) => ({ source: under(path), target: under(path), type: 'none', options: rootless ? 'rbind,ro,nosuid,nodev,noexec' : 'rbind,ro' })),
  ];
}

/**
 * Makes a mount target inside the per-run /dev dir, refusing one that goes
 * through a symlink there (/dev/fd leads to /proc/self/fd, on the host until
 * the chroot).
 */
function makeDevMountpoint(devDir: string, target: string, kind: 'file' | 'dir'): void {
  const parts = target.split('/').filter(Boolean).slice(1);
  let path = devDir;
  for (const [i, part] of parts.entries()) {
    path = join(path, part);
    const last = i === parts.length - 1;
    let stats;
    try {
      stats = lstatSync(path);
    } catch {
      if (last && kind === 'file') writeFileSync(path, '', { mode: 0o644 });
      else mkdirSync(path, { mode: 0o755 });
      continue;
    }
    if (stats.isSymbolicLink()) throw new InvalidRunSpecError(`mount target ${target} goes through a symlink in /dev`);
  }
}

function step(target: string, kind: 'file' | 'dir', onSymlink: 'skip' | 'fail', entry: FstabEntry): MountpointStep {
  return { target, kind, onSymlink, entry };
}

function mountKind(m: MountSpec): 'file' | 'dir' {
  if (m.type === 'tmpfs') return 'dir';
  if (m.type === 'overlay') return overlayPathKind(m.lowerDirs, overlaySubpath(m));
  return statSync(m.source).isDirectory() ? 'dir' : 'file';
}

/** The relative path inside an overlay mount that the container sees ("" for all of it); ".." stops at its root. */
function overlaySubpath(m: OverlayMount): string {
  return posix.normalize(`/${m.subpath ?? '/'}`).slice(1).replace(/\/$/, '');
}

/**
 * Whether `subpath` is a file or a dir in the stack, from the topmost layer
 * that has it. A layer dir the user cannot read (rootless: a dir of another
 * container uid) says nothing; a dir is the default, and the setup script
 * checks that the path exists at all.
 */
function overlayPathKind(lowerDirs: string[], subpath: string): 'file' | 'dir' {
  if (subpath === '') return 'dir';
  for (const lower of lowerDirs) {
    let stats;
    try {
      stats = lstatSync(join(lower, subpath));
    } catch {
      continue;
    }
    // A whiteout (0/0 char device) hides the path: it is missing, and setup says so.
    if (stats.isCharacterDevice() && stats.rdev === 0) return 'dir';
    return stats.isDirectory() ? 'dir' : 'file';
  }
  return 'dir';
}

/**
 * The read-only overlay of an `overlay` mount, on `mountDir` (in the run
 * dir), and the host path (valid inside the sandbox) to bind from it.
 */
function prepareSourceOverlay(m: OverlayMount, mountDir: string, rootless: boolean): { overlay: SourceOverlay; bindSource: string } {
  mkdirSync(mountDir, { recursive: true });
  const lower = [...m.lowerDirs];
  // overlayfs without an upper dir needs two lower dirs.
  while (lower.length < 2) {
    const empty = `${mountDir}-empty${lower.length}`;
    mkdirSync(empty);
    lower.push(empty);
  }
  const options = (dirs: string[]) => `ro,lowerdir=${dirs.join(':')}${rootless ? ',userxattr' : ''}`;
  let cwd: string | undefined;
  let dirs = lower;
  // mount(2) takes at most a page of options (see the rootfs overlay).
  if (options(dirs).length > 3000) {
    cwd = commonParent(lower);
    dirs = lower.map((p) => posix.relative(cwd!, p) || '.');
  }
  const subpath = overlaySubpath(m);
  return {
    overlay: {
      entry: { source: 'overlay', target: mountDir, type: 'overlay', options: options(dirs) },
      cwd,
      subpath,
      target: posix.normalize(m.target),
    },
    bindSource: subpath === '' ? mountDir : join(mountDir, subpath),
  };
}

function extraMountEntry(m: MountSpec, under: (p: string) => string, rootless: boolean, overlayView?: string): FstabEntry {
  const target = under(posix.normalize(m.target));
  if (m.type === 'tmpfs') {
    const size = m.sizeBytes !== undefined ? `,size=${m.sizeBytes}` : '';
    return { source: 'tmpfs', target, type: 'tmpfs', options: `nosuid,nodev,mode=1777${size}${m.readonly ? ',ro' : ''}` };
  }
  // The overlay was mounted in this namespace (no locked flags to keep) and is read-only itself.
  if (m.type === 'overlay') return { source: overlayView!, target, type: 'none', options: 'bind,ro' };
  return { source: m.source, target, type: 'none', options: m.readonly ? readonlyBindOptions(m.source, rootless) : 'rbind' };
}

/**
 * Binds are recursive, as Docker's are: in a user namespace a plain bind of
 * a mount with submounts (the host's /sys) is refused, since it would reveal
 * what the submounts cover. A read-only bind is a bind plus a remount, and
 * in a user namespace the remount must keep the source mount's nosuid,
 * nodev and noexec flags (they are locked) or the kernel refuses it.
 */
function readonlyBindOptions(source: string, rootless: boolean): string {
  return bindOptions(source, rootless, ['ro'], 'rbind');
}

/** A bind with extra flags (a remount, as above). */
function bindOptions(source: string, rootless: boolean, flags: string[], bind: 'bind' | 'rbind' = 'bind'): string {
  if (!rootless) return [bind, ...flags].join(',');
  const locked = mountFlagsOf(source).filter((f) => (f === 'nosuid' || f === 'nodev' || f === 'noexec') && !flags.includes(f));
  return [bind, ...flags, ...locked].join(',');
}

/** The per-mount flags of the mount that holds `path`, from /proc/self/mountinfo. */
function mountFlagsOf(path: string): string[] {
  let best = { point: '', flags: [] as string[] };
  for (const line of readFileSync('/proc/self/mountinfo', 'utf8').split('\n')) {
    const fields = line.split(' ');
    const point = (fields[4] ?? '').replace(/\\([0-7]{3})/g, (_, o: string) => String.fromCharCode(Number.parseInt(o, 8)));
    const inside = point === '/' || path === point || path.startsWith(`${point}/`);
    // Later lines are mounted on top of earlier ones, so a tie goes to the later.
    if (inside && point.length >= best.point.length) best = { point, flags: (fields[5] ?? '').split(',') };
  }
  return best.flags;
}

function overlayOptions(dirs: { lower: string[]; upper: string; work: string }, rootless: boolean): string {
  // volatile: no sync on unmount (2 ms instead of 16–110 ms); a build's upper
  // dir need not survive a crash. userxattr: overlay in a user namespace.
  return `lowerdir=${dirs.lower.join(':')},upperdir=${dirs.upper},workdir=${dirs.work},volatile${rootless ? ',userxattr' : ''}`;
}

function commonParent(paths: string[]): string {
  const split = paths.map((p) => p.split('/'));
  const first = split[0] ?? [];
  let n = 0;
  while (n < first.length && split.every((s) => s[n] === first[n])) n++;
  return first.slice(0, n).join('/') || '/';
}

/**
 * overlayfs' work dir must be empty of a previous mount's state; after a
 * `volatile` mount it even refuses to mount until work/incompat/volatile is
 * gone. Overlay leaves `work` at mode 000, so open it up first.
 */
function resetWorkDir(workDir: string): void {
  const work = join(workDir, 'work');
  if (!existsSync(work)) return;
  removeWorkDir(workDir, false);
}

/**
 * Removes an overlay work dir (or only its contents with `keepDir`). Rootless
 * overlay leaves a mode-000 `work` subdir that a plain recursive rm cannot
 * enter.
 */
export function removeWorkDir(workDir: string, removeSelf = true): void {
  const openUp = (dir: string) => {
    try {
      chmodSync(dir, 0o700);
      for (const entry of readdirSync(dir, { withFileTypes: true })) {
        if (entry.isDirectory()) openUp(join(dir, entry.name));
      }
    } catch {
      // not ours or already gone; rm reports what matters
    }
  };
  openUp(workDir);
  if (removeSelf) {
    rmSync(workDir, { recursive: true, force: true });
  } else {
    for (const entry of readdirSync(workDir)) rmSync(join(workDir, entry), { recursive: true, force: true });
  }
}

function readOptional(path: string): string | undefined {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return undefined;
  }
}

const CONTAINER_PATH = /^\//;

function validate(spec: RunSpec): void {
  if (spec.argv.length === 0) throw new InvalidRunSpecError('argv is empty');
  if (!CONTAINER_PATH.test(spec.cwd)) throw new InvalidRunSpecError(`cwd must be an absolute path: ${spec.cwd}`);
  for (const e of spec.env) {
    if (e.indexOf('=') <= 0) throw new InvalidRunSpecError(`env entry is not KEY=value: ${JSON.stringify(e)}`);
  }
  for (const m of spec.mounts ?? []) {
    if (!CONTAINER_PATH.test(m.target) || posix.normalize(m.target) === '/') {
      throw new InvalidRunSpecError(`mount target must be an absolute path below /: ${m.target}`);
    }
    if (m.type === 'overlay') validateOverlayMount(m);
    else if (m.type !== 'tmpfs' && !existsSync(m.source)) throw new InvalidRunSpecError(`mount source does not exist: ${m.source}`);
  }
  if (spec.hostname !== undefined && !/^[A-Za-z0-9][A-Za-z0-9.-]{0,62}$/.test(spec.hostname)) {
    throw new InvalidRunSpecError(`invalid hostname: ${spec.hostname}`);
  }
  if (isOverlayRootfs(spec.rootfs)) {
    const { lowerDirs, upperDir, workDir } = spec.rootfs;
    for (const dir of [...lowerDirs, upperDir, workDir]) {
      // overlayfs splits its options on "," and lower dirs on ":".
      if (!dir.startsWith('/') || /[,:\s]/.test(dir)) {
        throw new InvalidRunSpecError(`overlay dir must be an absolute path without ",", ":" or spaces: ${dir}`);
      }
      if (!existsSync(dir)) throw new InvalidRunSpecError(`overlay dir does not exist: ${dir}`);
    }
  } else if (!existsSync(spec.rootfs.dir)) {
    throw new InvalidRunSpecError(`rootfs dir does not exist: ${spec.rootfs.dir}`);
  }
}

function validateOverlayMount(m: OverlayMount): void {
  for (const dir of m.lowerDirs) {
    if (!dir.startsWith('/') || /[,:\s]/.test(dir)) {
      throw new InvalidRunSpecError(`overlay mount ${m.target}: lower dir must be an absolute path without ",", ":" or spaces: ${dir}`);
    }
    if (!existsSync(dir)) throw new InvalidRunSpecError(`overlay mount ${m.target}: lower dir does not exist: ${dir}`);
  }
}

function checkIdsMapped(spec: RunSpec, mapping: IdMapping): void {
  const who = userInfo().username;
  if (toHostId(mapping.uidMap, spec.user.uid) === undefined) throw new UnmappedIdError('uid', spec.user.uid, who);
  if (toHostId(mapping.gidMap, spec.user.gid) === undefined) throw new UnmappedIdError('gid', spec.user.gid, who);
  if (mapping.kind !== 'single') {
    for (const g of spec.user.groups) {
      if (toHostId(mapping.gidMap, g) === undefined) throw new UnmappedIdError('gid', g, who);
    }
  }
}
