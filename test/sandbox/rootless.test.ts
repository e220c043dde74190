/**
 * Rootless: a throwaway user runs the sandbox in a user namespace. With
 * /etc/subuid and /etc/subgid ranges, container ids 1..65535 map to the
 * range and files chowned inside show shifted ids in the upper dir; without
 * ranges only root exists inside and other ids fail clearly.
 * Needs root (to create users) and newuidmap (Debian: uidmap).
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { chmodSync, lstatSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { makeTempDir, writeBusyboxRootfs } from './busybox-rootfs.js';
import { compileSandbox } from './compiled-sandbox.js';
import { mountLines } from './leftovers.js';

const canRun = process.getuid?.() === 0 && spawnSync('newuidmap', ['--help']).error === undefined;
const suffix = String(process.pid % 100000);
const withRanges = `llsbx${suffix}`;
const withoutRanges = `llsbxs${suffix}`;
let entry: string;
let base: string;

function addUser(name: string): { uid: number; gid: number } {
  execFileSync('useradd', ['--no-create-home', '--shell', '/bin/sh', name]);
  return {
    uid: Number(execFileSync('id', ['-u', name], { encoding: 'utf8' })),
    gid: Number(execFileSync('id', ['-g', name], { encoding: 'utf8' })),
  };
}

function subRangeStart(name: string, file: string): number | undefined {
  const line = readFileSync(file, 'utf8').split('\n').find((l) => l.startsWith(`${name}:`));
  return line ? Number(line.split(':')[1]) : undefined;
}

function removeSubRanges(name: string): void {
  for (const file of ['/etc/subuid', '/etc/subgid']) {
    const kept = readFileSync(file, 'utf8').split('\n').filter((l) => !l.startsWith(`${name}:`));
    writeFileSync(file, kept.join('\n'));
  }
}

/** Runs `program` (an ES module body) with node as `user`; returns its JSON output. */
function runAs(user: { uid: number; gid: number }, program: string): any {
  const out = execFileSync(
    'setpriv',
    ['--reuid', String(user.uid), '--regid', String(user.gid), '--init-groups', '--reset-env', process.execPath, '--input-type=module', '-e', program],
    { encoding: 'utf8', cwd: '/', stdio: ['ignore', 'pipe', 'inherit'] },
  );
  return JSON.parse(out.trim().split('\n').at(-1)!);
}

/** An overlay (busybox lower, upper, work) owned by `owner`, as a rootless store would hold it. */
function ownedOverlay(name: string, owner: { uid: number; gid: number }) {
  const dir = join(base, name);
  const lower = join(dir, 'lower');
  mkdirSync(lower, { recursive: true });
  writeBusyboxRootfs(lower);
  mkdirSync(join(dir, 'upper'));
  mkdirSync(join(dir, 'work'));
  execFileSync('chown', ['-R', `${owner.uid}:${owner.gid}`, dir]);
  return { lowerDirs: [lower], upperDir: join(dir, 'upper'), workDir: join(dir, 'work') };
}

describe.skipIf(!canRun)('rootless', () => {
  let ranged: { uid: number; gid: number };
  let single: { uid: number; gid: number };

  beforeAll(() => {
    entry = compileSandbox();
    base = makeTempDir('rootless');
    chmodSync(base, 0o755);
    ranged = addUser(withRanges);
    if (subRangeStart(withRanges, '/etc/subuid') === undefined) {
      // This useradd did not allocate ranges; add them by hand.
      execFileSync('usermod', ['--add-subuids', '300000-365535', '--add-subgids', '300000-365535', withRanges]);
    }
    single = addUser(withoutRanges);
    removeSubRanges(withoutRanges);
  });

  afterAll(() => {
    for (const name of [withRanges, withoutRanges]) {
      spawnSync('userdel', [name]);
      removeSubRanges(name);
    }
    if (base) rmSync(base, { recursive: true, force: true });
    if (entry) rmSync(dirname(entry), { recursive: true, force: true });
  });

  test('with subordinate ranges: ids map, chowned files show shifted ids in the upper dir', () => {
    const mounts = mountLines();
    const rootfs = ownedOverlay('ranged', ranged);
    const program = `
      import { run, getIdMapping } from ${JSON.stringify(entry)};
      const mapping = await getIdMapping();
      const common = { rootfs: ${JSON.stringify(rootfs)}, env: ['PATH=/bin'], cwd: '/', network: 'none',
        stateDir: ${JSON.stringify(join(base, 'ranged', 'state'))} };
      const collect = async (spec) => {
        const proc = await run({ ...common, ...spec });
        let out = '';
        proc.stdout.on('data', (d) => (out += d));
        proc.stderr.on('data', (d) => (out += d));
        return { ...(await proc.wait()), out };
      };
      const asRoot = await collect({ argv: ['sh', '-c', 'id -u; echo r > /root/by-root; echo a > /tmp/for-app; chown 1000:1000 /tmp/for-app; rm /bin/yes'],
        user: { uid: 0, gid: 0, groups: [] } });
      const asApp = await collect({ argv: ['sh', '-c', 'id; echo x > /tmp/by-app'], user: { uid: 1000, gid: 1000, groups: [10] } });
      console.log(JSON.stringify({ mapping, asRoot, asApp }));
    `;
    const { mapping, asRoot, asApp } = runAs(ranged, program);
    const start = subRangeStart(withRanges, '/etc/subuid')!;
    const gidStart = subRangeStart(withRanges, '/etc/subgid')!;
    expect(mapping.kind).toBe('subordinate');
    expect(mapping.uidMap).toEqual([
      { containerId: 0, hostId: ranged.uid, size: 1 },
      { containerId: 1, hostId: start, size: 65535 },
    ]);
    expect(mapping.overlayXattrPrefix).toBe('user.overlay.');
    expect(asRoot).toMatchObject({ exitCode: 0, out: '0\n' });
    expect(asApp).toMatchObject({ exitCode: 0, out: 'uid=1000(app) gid=1000(app) groups=10(wheel)\n' });
    const owner = (p: string) => {
      const st = lstatSync(join(rootfs.upperDir, p));
      return [st.uid, st.gid];
    };
    expect(owner('root/by-root')).toEqual([ranged.uid, ranged.gid]);
    expect(owner('tmp/for-app')).toEqual([start + 999, gidStart + 999]);
    expect(owner('tmp/by-app')).toEqual([start + 999, gidStart + 999]);
    // A whiteout for the deleted file: a 0/0 char device.
    const whiteout = lstatSync(join(rootfs.upperDir, 'bin/yes'));
    expect(whiteout.isCharacterDevice() && whiteout.rdev === 0).toBe(true);
    expect(mountLines()).toEqual(mounts);
  });

  test('an overlay mount of layer dirs works rootless and shows nothing on the host', () => {
    const mounts = mountLines();
    const rootfs = ownedOverlay('overlay-mount', ranged);
    // A layer over the busybox lower that deletes /bin/yes (an overlay whiteout).
    const top = join(base, 'overlay-mount', 'top');
    mkdirSync(join(top, 'bin'), { recursive: true });
    execFileSync('mknod', [join(top, 'bin/yes'), 'c', '0', '0']);
    writeFileSync(join(top, 'bin/added'), 'added\n');
    execFileSync('chown', ['-R', `${ranged.uid}:${ranged.gid}`, top]);
    const program = `
      import { run } from ${JSON.stringify(entry)};
      const proc = await run({ rootfs: ${JSON.stringify(rootfs)}, env: ['PATH=/bin'], cwd: '/', network: 'none',
        user: { uid: 0, gid: 0, groups: [] }, stateDir: ${JSON.stringify(join(base, 'overlay-mount', 'state'))},
        mounts: [{ type: 'overlay', lowerDirs: [${JSON.stringify(top)}, ${JSON.stringify(rootfs.lowerDirs[0])}], target: '/stage', subpath: '/bin' }],
        argv: ['sh', '-c', 'cat /stage/added; test -e /stage/busybox && echo has-busybox; test -e /stage/yes || echo no-yes'] });
      let out = '';
      proc.stdout.on('data', (d) => (out += d));
      proc.stderr.on('data', (d) => (out += d));
      console.log(JSON.stringify({ ...(await proc.wait()), out }));
    `;
    expect(runAs(ranged, program)).toMatchObject({ exitCode: 0, out: 'added\nhas-busybox\nno-yes\n' });
    expect(mountLines()).toEqual(mounts);
  });

  test('without ranges: root works, another uid fails with a clear error', () => {
    const rootfs = ownedOverlay('single', single);
    const program = `
      import { run, getIdMapping } from ${JSON.stringify(entry)};
      const mapping = await getIdMapping();
      const common = { rootfs: ${JSON.stringify(rootfs)}, env: ['PATH=/bin'], cwd: '/', network: 'default',
        stateDir: ${JSON.stringify(join(base, 'single', 'state'))} };
      const proc = await run({ ...common, argv: ['sh', '-c', 'id -u; echo r > /root/f'], user: { uid: 0, gid: 0, groups: [10] } });
      let out = '';
      proc.stdout.on('data', (d) => (out += d));
      const asRoot = { ...(await proc.wait()), out };
      let error;
      try { await run({ ...common, argv: ['id'], user: { uid: 1000, gid: 1000, groups: [] } }); }
      catch (e) { error = { name: e.name, message: e.message, isUserError: e.isUserError }; }
      console.log(JSON.stringify({ mapping, asRoot, error }));
    `;
    const { mapping, asRoot, error } = runAs(single, program);
    expect(mapping.kind).toBe('single');
    expect(asRoot).toMatchObject({ exitCode: 0, out: '0\n' });
    expect(lstatSync(join(rootfs.upperDir, 'root/f')).uid).toBe(single.uid);
    expect(error).toMatchObject({ name: 'UnmappedIdError', isUserError: true });
    expect(error.message).toContain('/etc/subuid');
  });
});
