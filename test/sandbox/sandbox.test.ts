/**
 * The sandbox for real: namespaces, overlayfs and mounts on a busybox rootfs.
 * Runs as root (the CI user); rootless.test.ts covers the other case.
 */
import { execFileSync, spawn } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import {
  resolveUser,
  run,
  sweepLeftovers,
  type RunSpec,
  type SandboxRunResult,
} from '../../src/sandbox/index.js';
import { BASE_ENV, makeTempDir, userDb, writeBusyboxRootfs } from './busybox-rootfs.js';
import { compileSandbox } from './compiled-sandbox.js';
import { mountLines, processesWith, waitFor } from './leftovers.js';

let base: string;
let lower: string;
let stateDir: string;
let counter = 0;

beforeAll(() => {
  base = makeTempDir('sandbox');
  lower = join(base, 'lower');
  mkdirSync(lower);
  writeBusyboxRootfs(lower);
  stateDir = join(base, 'state');
});
afterAll(() => rmSync(base, { recursive: true, force: true }));

function freshOverlay(lowerDirs = [lower]) {
  const n = ++counter;
  const upperDir = join(base, `upper-${n}`);
  const workDir = join(base, `work-${n}`);
  mkdirSync(upperDir);
  mkdirSync(workDir);
  return { lowerDirs, upperDir, workDir };
}

function spec(argv: string[], extra: Partial<RunSpec> = {}): RunSpec {
  return {
    rootfs: freshOverlay(),
    argv,
    env: BASE_ENV,
    cwd: '/',
    user: { uid: 0, gid: 0, groups: [] },
    network: 'default',
    stateDir,
    ...extra,
  };
}

async function runCollect(s: RunSpec): Promise<{ stdout: string; stderr: string; result: SandboxRunResult }> {
  const proc = await run(s);
  let stdout = '';
  let stderr = '';
  proc.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
  proc.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  const result = await proc.wait();
  return { stdout, stderr, result };
}

/** Every entry of a tree, relative, with type; for "nothing else changed" checks. */
function listTree(dir: string, prefix = ''): string[] {
  const out: string[] = [];
  for (const e of readdirSync(join(dir, prefix), { withFileTypes: true })) {
    const rel = join(prefix, e.name);
    out.push(rel);
    if (e.isDirectory()) out.push(...listTree(dir, rel));
  }
  return out.sort();
}

describe('running a process', () => {
  test('echo and exit codes', async () => {
    const ok = await runCollect(spec(['echo', 'hello', 'world']));
    expect(ok.stdout).toBe('hello world\n');
    expect(ok.result).toMatchObject({ exitCode: 0, signal: null, timedOut: false });
    const failed = await runCollect(spec(['sh', '-c', 'echo oops >&2; exit 42']));
    expect(failed.stderr).toBe('oops\n');
    expect(failed.result.exitCode).toBe(42);
    const missing = await runCollect(spec(['no-such-program']));
    expect(missing.result.exitCode).toBe(127);
  });

  test('env, cwd and a user resolved from names', async () => {
    const user = resolveUser('app', userDb(lower));
    const { stdout } = await runCollect(
      spec(['sh', '-c', 'id; pwd; echo "$GREETING"; env | sort; umask'], {
        env: [...BASE_ENV, 'GREETING=hi there'],
        cwd: '/home/app',
        user,
      }),
    );
    const lines = stdout.split('\n');
    // busybox id lists getgroups() only; runc sets no group beyond /etc/group membership.
    expect(lines[0]).toBe('uid=1000(app) gid=1000(app) groups=10(wheel),29(audio)');
    expect(lines[1]).toBe('/home/app');
    expect(lines[2]).toBe('hi there');
    // Exactly the given environment, nothing of the host's (busybox sh adds PWD and SHLVL).
    const envLines = lines.slice(3, -2).filter((l) => !/^(PWD|SHLVL)=/.test(l));
    expect(envLines).toEqual(['GREETING=hi there', ...BASE_ENV].sort());
    expect(lines.at(-2)).toBe('0022');
  });

  test('an explicit numeric user and group without entries', async () => {
    const { stdout } = await runCollect(spec(['id'], { user: resolveUser('4242:4343', userDb(lower)) }));
    expect(stdout.trim()).toBe('uid=4242 gid=4343');
  });

  test('stdout streams while the process runs', async () => {
    const proc = await run(spec(['sh', '-c', 'echo first; sleep 1; echo second']));
    const firstChunkAt = await new Promise<number>((resolve) => proc.stdout.once('data', () => resolve(Date.now())));
    const exitedAt = await proc.wait().then(() => Date.now());
    expect(exitedAt - firstChunkAt).toBeGreaterThan(700);
  });

  test('the hostname is a short container id unless given', async () => {
    const generated = await runCollect(spec(['sh', '-c', 'hostname; cat /etc/hostname']));
    const [name, file] = generated.stdout.trim().split('\n');
    expect(name).toMatch(/^[0-9a-f]{12}$/);
    expect(file).toBe(name);
    const given = await runCollect(spec(['hostname'], { hostname: 'builder' }));
    expect(given.stdout).toBe('builder\n');
  });
});

describe('the rootfs', () => {
  test('writes land in the upper dir only; lower dirs are untouched', async () => {
    const before = listTree(lower);
    const s = spec(['sh', '-c', 'echo new > /root/new.txt && rm /etc/group && mkdir -p /opt/x && chown 1000:1000 /opt/x']);
    const { result } = await runCollect(s);
    expect(result.exitCode).toBe(0);
    const upper = (s.rootfs as { upperDir: string }).upperDir;
    expect(listTree(upper)).toEqual(['etc', 'etc/group', 'opt', 'opt/x', 'root', 'root/new.txt']);
    expect(readFileSync(join(upper, 'root/new.txt'), 'utf8')).toBe('new\n');
    expect(readFileSync(join(lower, 'etc/group'), 'utf8')).toContain('wheel');
    expect(listTree(lower)).toEqual(before);
  });

  test('/proc, /dev, /sys and the /etc files are there but never reach the upper dir', async () => {
    const s = spec(['sh', '-c', 'cat /etc/hosts /etc/resolv.conf /etc/hostname >/dev/null && ls /dev/pts /dev/shm >/dev/null && echo x > /dev/null && head -c 4 /dev/urandom | wc -c && test -e /proc/self/status && ls /sys/kernel >/dev/null && ! touch /sys/x 2>/dev/null && echo ok']);
    const { stdout, result } = await runCollect(s);
    expect(result.exitCode).toBe(0);
    expect(stdout).toBe('4\nok\n');
    expect(listTree((s.rootfs as { upperDir: string }).upperDir)).toEqual([]);
    expect(result.createdMountpoints).toEqual([]);
  });

  test('FROM scratch: no lower dirs, mountpoints come from the stub layer', async () => {
    const s = spec(['/busybox', 'sh', '-c', '/busybox ls / && /busybox cat /etc/hosts | /busybox head -1'], {
      rootfs: freshOverlay([]),
      mounts: [{ type: 'bind', source: '/bin/busybox', target: '/busybox', readonly: true }],
    });
    const { stdout, result } = await runCollect(s);
    expect(result.exitCode).toBe(0);
    expect(stdout.split('\n').slice(0, 5)).toEqual(['busybox', 'dev', 'etc', 'proc', 'sys']);
    expect(stdout).toContain('127.0.0.1\tlocalhost');
    expect(listTree((s.rootfs as { upperDir: string }).upperDir)).toEqual([]);
  });

  test('a plain dir rootfs: created mountpoints are removed afterwards', async () => {
    const dir = join(base, 'plain');
    mkdirSync(dir);
    writeBusyboxRootfs(dir);
    const before = listTree(dir);
    const { stdout, result } = await runCollect(spec(['sh', '-c', 'echo hi > /tmp/made; cat /etc/hostname >/dev/null; ls /cache'], {
      rootfs: { dir },
      mounts: [{ type: 'tmpfs', target: '/cache/tmp' }],
    }));
    expect(result.exitCode).toBe(0);
    expect(stdout).toBe('tmp\n');
    expect(result.createdMountpoints.sort()).toEqual(['/cache', '/cache/tmp', '/dev', '/etc/hostname', '/etc/hosts', '/etc/resolv.conf', '/proc', '/sys'].sort());
    expect(listTree(dir)).toEqual([...before, 'tmp/made'].sort());
  });

  test('mount targets never follow the image\'s symlinks onto the host', async () => {
    const linked = join(base, 'linked');
    mkdirSync(join(linked, 'etc'), { recursive: true });
    symlinkSync('/', join(linked, 'hostroot'));
    symlinkSync('/nonexistent/resolv.conf', join(linked, 'etc/resolv.conf'));
    const rootfs = freshOverlay([linked, lower]);
    // A symlinked /etc/resolv.conf is left as the image has it.
    const ok = await runCollect(spec(['sh', '-c', 'readlink /etc/resolv.conf'], { rootfs }));
    expect(ok.stdout).toBe('/nonexistent/resolv.conf\n');
    expect(listTree(rootfs.upperDir)).toEqual([]);
    // An extra mount through a symlink is refused before anything runs.
    const refused = await run(spec(['true'], { rootfs: freshOverlay([linked, lower]), mounts: [{ type: 'tmpfs', target: '/hostroot/tmp/escape' }] }));
    await expect(refused.wait()).rejects.toThrow(/\/hostroot\/tmp\/escape goes through a symlink/);
    expect(existsSync('/tmp/escape')).toBe(false);
  });

  test('bind, read-only bind and tmpfs mounts', async () => {
    const share = join(base, 'share');
    mkdirSync(share);
    writeFileSync(join(share, 'in.txt'), 'from host\n');
    const s = spec(['sh', '-c', 'cat /mnt/ro/in.txt; ! touch /mnt/ro/y 2>/dev/null; echo w > /mnt/rw/out.txt; echo t > /scratch/t; echo done'], {
      mounts: [
        { type: 'bind', source: share, target: '/mnt/ro', readonly: true },
        { type: 'cache', source: share, target: '/mnt/rw' },
        { type: 'tmpfs', target: '/scratch' },
      ],
    });
    const { stdout, result } = await runCollect(s);
    expect(result.exitCode).toBe(0);
    expect(stdout).toBe('from host\ndone\n');
    expect(readFileSync(join(share, 'out.txt'), 'utf8')).toBe('w\n');
    expect(listTree((s.rootfs as { upperDir: string }).upperDir)).toEqual([]);
  });

  test('overlay mounts: a read-only stack of layer dirs inside the sandbox, whole or a subpath', async () => {
    // Two layers: the top one deletes bottom/gone (whiteout) and makes dir/ opaque.
    const bottom = join(base, 'ovl-bottom');
    const top = join(base, 'ovl-top');
    mkdirSync(join(bottom, 'out/dir'), { recursive: true });
    writeFileSync(join(bottom, 'out/keep.txt'), 'kept\n');
    writeFileSync(join(bottom, 'out/gone.txt'), 'gone\n');
    writeFileSync(join(bottom, 'out/dir/old.txt'), 'old\n');
    mkdirSync(join(top, 'out/dir'), { recursive: true });
    writeFileSync(join(top, 'out/dir/new.txt'), 'new\n');
    execFileSync('mknod', [join(top, 'out/gone.txt'), 'c', '0', '0']);
    execFileSync('setfattr', ['-n', 'trusted.overlay.opaque', '-v', 'y', join(top, 'out/dir')]);
    symlinkSync('/etc', join(top, 'out/hostetc'));
    const before = mountLines();
    const script = 'ls /all/out; ls /dir; cat /keep.txt; ! touch /dir/x 2>/dev/null && echo read-only';
    const s = spec(['sh', '-c', script], {
      mounts: [
        { type: 'overlay', lowerDirs: [top, bottom], target: '/all' },
        { type: 'overlay', lowerDirs: [top, bottom], target: '/dir', subpath: '/out/dir' },
        { type: 'overlay', lowerDirs: [bottom], target: '/keep.txt', subpath: 'out/keep.txt' },
      ],
    });
    const { stdout, result } = await runCollect(s);
    expect(result.exitCode).toBe(0);
    expect(stdout).toBe('dir\nhostetc\nkeep.txt\nnew.txt\nkept\nread-only\n');
    expect(listTree((s.rootfs as { upperDir: string }).upperDir)).toEqual([]);
    expect(mountLines()).toEqual(before);
    // A subpath through a symlink would resolve on the host; a missing one cannot be mounted.
    for (const subpath of ['out/hostetc/passwd', 'out/gone.txt', 'nothing']) {
      const refused = await run(spec(['true'], { mounts: [{ type: 'overlay', lowerDirs: [top, bottom], target: '/m', subpath }] }));
      await expect(refused.wait()).rejects.toThrow(`mount source /${subpath} for /m does not exist or goes through a symlink`);
    }
  });

  test('/dev is private to a run: writable by root, 0755, never in the upper dir, gone afterwards', async () => {
    const script = 'stat -c %a /dev; echo x > /dev/mine; ls /dev/mine; readlink /dev/stderr; readlink /dev/ptmx';
    const first = spec(['sh', '-c', script]);
    const { stdout, result } = await runCollect(first);
    expect(result.exitCode).toBe(0);
    expect(stdout).toBe('755\n/dev/mine\n/proc/self/fd/2\npts/ptmx\n');
    expect(listTree((first.rootfs as { upperDir: string }).upperDir)).toEqual([]);
    const second = await runCollect(spec(['sh', '-c', 'test ! -e /dev/mine && echo fresh']));
    expect(second.stdout).toBe('fresh\n');
  });

  test('extra mounts under /dev get their mountpoints; none through /dev symlinks', async () => {
    const share = join(base, 'dev-share');
    mkdirSync(share);
    writeFileSync(join(share, 'f'), 'in dev\n');
    const s = spec(['sh', '-c', 'cat /dev/data/f; touch /dev/big/t && echo ok'], {
      mounts: [
        { type: 'bind', source: share, target: '/dev/data', readonly: true },
        { type: 'tmpfs', target: '/dev/big' },
      ],
    });
    const { stdout, result } = await runCollect(s);
    expect(result.exitCode).toBe(0);
    expect(stdout).toBe('in dev\nok\n');
    expect(listTree((s.rootfs as { upperDir: string }).upperDir)).toEqual([]);
    await expect(run(spec(['true'], { mounts: [{ type: 'tmpfs', target: '/dev/fd/escape' }] }))).rejects.toThrow(
      /\/dev\/fd\/escape goes through a symlink/,
    );
  });

  test('the same upper and work dirs can be mounted again (volatile state is reset)', async () => {
    const s = spec(['sh', '-c', 'echo 1 > /a']);
    await runCollect(s);
    const again = await runCollect({ ...s, argv: ['cat', '/a'] });
    expect(again.stdout).toBe('1\n');
  });
});

describe('isolation', () => {
  test('no host pids are visible', async () => {
    const { stdout } = await runCollect(spec(['sh', '-c', 'ls /proc | grep -E "^[0-9]+$" | sort -n | tr "\\n" " "; echo; ps -o pid,comm']));
    const [pids, ...ps] = stdout.trim().split('\n');
    // pid 1 is sh, the rest are ls/grep/sort/tr of the same pipeline.
    expect(pids!.trim().split(' ').map(Number).every((p) => p < 20)).toBe(true);
    expect(ps.slice(1).map((l) => l.trim().split(/\s+/)[0])).toContain('1');
    expect(ps.length).toBeLessThan(6);
  });

  test('host files outside the rootfs cannot be read', async () => {
    const secretDir = makeTempDir('secret');
    const secret = join(secretDir, 'secret.txt');
    writeFileSync(secret, 'top secret\n');
    const { stdout, result } = await runCollect(spec(['sh', '-c', `cat ${secret} 2>&1; cat /proc/1/root${secret} 2>&1; ls / `]));
    expect(result.exitCode).toBe(0);
    expect(stdout).not.toContain('top secret');
    expect(stdout).toContain('No such file or directory');
    rmSync(secretDir, { recursive: true });
  });

  test("root keeps only Docker's default capabilities; a user has none", async () => {
    const root = await runCollect(spec(['sh', '-c', 'grep -E "^Cap(Inh|Eff|Bnd)" /proc/self/status']));
    expect(root.stdout).toBe('CapInh:\t0000000000000000\nCapEff:\t00000000a80425fb\nCapBnd:\t00000000a80425fb\n');
    const user = await runCollect(spec(['sh', '-c', 'grep -E "^Cap(Eff|Bnd)" /proc/self/status'], { user: resolveUser('app', userDb(lower)) }));
    expect(user.stdout).toBe('CapEff:\t0000000000000000\nCapBnd:\t00000000a80425fb\n');
  });

  // Each probe is harmless even where it succeeds: the mount and the hostname
  // are the sandbox's own namespaces, and the sysctl write is its current value.
  test("root cannot mount, rename its host or write sysctls, and Docker's masked /proc files read empty", async () => {
    const overcommit = readFileSync('/proc/sys/vm/overcommit_memory', 'utf8').trim();
    const masked = ['/proc/keys', '/proc/timer_list', '/proc/sched_debug', '/proc/kcore'].filter(
      (f) => existsSync(f) && readFileSync(f).length > 0,
    );
    expect(masked.length).toBeGreaterThan(0);
    const { stdout } = await runCollect(
      spec([
        'sh',
        '-c',
        [
          'mount -t tmpfs none /mnt 2>/dev/null && echo mounted || echo no-mount',
          'hostname renamed 2>/dev/null && echo renamed || echo no-rename',
          `echo ${overcommit} > /proc/sys/vm/overcommit_memory 2>/dev/null && echo sysctl-written || echo no-sysctl`,
          ...masked.map((f) => `echo "${f} $(wc -c < ${f})"`),
        ].join('; '),
      ]),
    );
    expect(stdout).toBe(['no-mount', 'no-rename', 'no-sysctl', ...masked.map((f) => `${f} 0`), ''].join('\n'));
  });

  test("a device node made in the rootfs does not open, so the host's disk stays out of reach", async () => {
    // The block device under the test's own files, from the host's mount table.
    const line = readFileSync('/proc/self/mountinfo', 'utf8')
      .split('\n')
      .map((l) => l.split(' '))
      .filter((f) => f[4] && (base === f[4] || base.startsWith(`${f[4] === '/' ? '' : f[4]}/`)))
      .sort((a, b) => b[4]!.length - a[4]!.length)[0]!;
    const [major, minor] = line[2]!.split(':');
    const { stdout } = await runCollect(spec(['sh', '-c', `mknod /disk b ${major} ${minor} && echo made; head -c 16 /disk >/dev/null 2>&1 && echo read || echo refused`]));
    expect(stdout).toBe('made\nrefused\n');
  });

  test("network 'none' has only a loopback device", async () => {
    const { stdout } = await runCollect(spec(['sh', '-c', 'ls /sys/class/net; cat /proc/net/dev | tail -n +3 | cut -d: -f1'], { network: 'none' }));
    expect(stdout.split('\n').filter(Boolean).map((l) => l.trim())).toEqual(['lo', 'lo']);
    const host = await runCollect(spec(['sh', '-c', 'cat /proc/net/dev | tail -n +3 | wc -l']));
    expect(Number(host.stdout.trim())).toBeGreaterThan(1);
  });
});

describe('cleanup', () => {
  test('after a run: no new mounts, no processes, no run dir', async () => {
    const mounts = mountLines();
    const marker = `cleanup-run-${process.pid}`;
    const { result } = await runCollect(spec(['sh', '-c', `(sleep 30; : ${marker}) & echo started`]));
    expect(result.exitCode).toBe(0);
    expect(processesWith(marker)).toEqual([]);
    expect(mountLines()).toEqual(mounts);
    expect(readdirSync(join(stateDir, 'runs'))).toEqual([]);
  });

  test('a timeout kills the whole namespace', async () => {
    const mounts = mountLines();
    const marker = `cleanup-timeout-${process.pid}`;
    const started = Date.now();
    const { result } = await runCollect(spec(['sh', '-c', `(sleep 60; : ${marker}) & sleep 60; : ${marker}`], { timeoutMs: 300 }));
    expect(Date.now() - started).toBeLessThan(5000);
    expect(result).toMatchObject({ timedOut: true, exitCode: null, signal: 'SIGKILL' });
    expect(processesWith(marker)).toEqual([]);
    expect(mountLines()).toEqual(mounts);
  });

  test('kill() ends a run at once', async () => {
    const marker = `cleanup-kill-${process.pid}`;
    const proc = await run(spec(['sh', '-c', `sleep 60; : ${marker}`]));
    await waitFor(() => processesWith(marker).length > 0);
    proc.kill();
    const result = await proc.wait();
    expect(result.signal).toBe('SIGKILL');
    expect(processesWith(marker)).toEqual([]);
  });

  test('kill -9 of the parent node process leaves no process or mount; sweep removes the rest', async () => {
    const entry = compileSandbox();
    const mounts = mountLines();
    const marker = `cleanup-parent-${process.pid}`;
    const childState = join(base, 'state-parent');
    const upper = freshOverlay();
    const program = `
      import { run } from ${JSON.stringify(entry)};
      const proc = await run({ rootfs: ${JSON.stringify(upper)}, argv: ['sh', '-c', 'echo up; sleep 600; : ${marker}'],
        env: [], cwd: '/', user: { uid: 0, gid: 0, groups: [] }, network: 'none', stateDir: ${JSON.stringify(childState)} });
      proc.stdout.pipe(process.stdout);
      await proc.wait();
    `;
    const parent = spawn(process.execPath, ['--input-type=module', '-e', program], { stdio: ['ignore', 'pipe', 'inherit'] });
    await new Promise<void>((resolve) => parent.stdout.on('data', (d: Buffer) => d.toString().includes('up') && resolve()));
    expect(processesWith(marker).length).toBeGreaterThan(0);
    const parentExited = new Promise((resolve) => parent.once('exit', resolve));
    parent.kill('SIGKILL');
    await parentExited;
    expect(await waitFor(() => processesWith(marker).length === 0)).toBe(true);
    expect(await waitFor(() => JSON.stringify(mountLines()) === JSON.stringify(mounts))).toBe(true);
    expect(readdirSync(join(childState, 'runs'))).toHaveLength(1);
    const report = sweepLeftovers(childState);
    expect(report.removedRunDirs).toHaveLength(1);
    expect(report.unmounted).toEqual([]);
    expect(readdirSync(join(childState, 'runs'))).toEqual([]);
    rmSync(dirname(entry), { recursive: true, force: true });
  });

  test('sweepLeftovers leaves live runs alone', async () => {
    const proc = await run(spec(['sleep', '30']));
    const report = sweepLeftovers(stateDir);
    expect(report.removedRunDirs).toEqual([]);
    expect(readdirSync(join(stateDir, 'runs'))).toHaveLength(1);
    proc.kill();
    await proc.wait();
    expect(existsSync(join(stateDir, 'runs'))).toBe(true);
  });
});
