/**
 * Rootless builds, end to end: `layerlab build` (the built CLI in dist/) runs
 * as throwaway users, one with /etc/subuid and /etc/subgid ranges and one
 * without, and the ranged build's layers are compared entry by entry (path,
 * type, mode, owner, link target, content; not mtimes, which differ between
 * two builds) with the same build done as root. A ranged user also opens a
 * shell in a step (BuildSession.openShell from dist/) and prunes a store
 * whose layers hold subordinate-id files.
 *
 * Needs root (useradd), newuidmap (Debian: uidmap) and `npm run build`.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { chmodSync, chownSync, createReadStream, existsSync, lstatSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { createGunzip } from 'node:zlib';
import { extract } from 'tar-stream';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { mountLines, processesWith } from '../sandbox/leftovers.js';

const repo = resolve(import.meta.dirname, '../..');
const cli = join(repo, 'bin/layerlab.js');
const built = existsSync(join(repo, 'dist/engine/file-step-worker.js'));
const canRun = process.getuid?.() === 0 && spawnSync('newuidmap', ['--help']).error === undefined;
const suffix = String(process.pid % 100000);
const rangedName = `llrb${suffix}`;
const singleName = `llrbs${suffix}`;

interface User {
  name: string;
  uid: number;
  gid: number;
}

interface BuildResult {
  status: number | null;
  stdout: string;
  stderr: string;
  /** Layer digests of the steps, in order (`step-done` events), cached or not. */
  layers: string[];
}

function addUser(name: string): User {
  execFileSync('useradd', ['--no-create-home', '--shell', '/bin/sh', name]);
  const id = (flag: string) => Number(execFileSync('id', [flag, name], { encoding: 'utf8' }));
  return { name, uid: id('-u'), gid: id('-g') };
}

/** The user's first range in /etc/subuid-style `file`. */
function rangeOf(name: string, file: string): { start: number; count: number } | undefined {
  const line = readFileSync(file, 'utf8').split('\n').find((l) => l.startsWith(`${name}:`));
  if (!line) return undefined;
  const [, start, count] = line.split(':');
  return { start: Number(start), count: Number(count) };
}

/** Drops the user's ranges through usermod, which takes the shadow lock files. */
function dropRanges(name: string): void {
  for (const [file, flag] of [['/etc/subuid', '--del-subuids'], ['/etc/subgid', '--del-subgids']] as const) {
    const range = rangeOf(name, file);
    if (range) execFileSync('usermod', [flag, `${range.start}-${range.start + range.count - 1}`, name]);
  }
}

/** Runs `layerlab build` as `user` (or as root), with its own store and sandbox state dir. */
function build(user: User | undefined, storeRoot: string, context: string, extra: string[] = []): BuildResult {
  const env = {
    PATH: process.env.PATH ?? '/usr/sbin:/usr/bin:/sbin:/bin',
    HOME: storeRoot,
    TMPDIR: join(storeRoot, 'tmpdir'),
    LAYERLAB_ROOT: storeRoot,
  };
  mkdirSync(env.TMPDIR, { recursive: true });
  if (user) chownSync(env.TMPDIR, user.uid, user.gid);
  const argv = [cli, 'build', '--progress', 'json', ...extra, context];
  const result = user
    ? spawnSync('setpriv', ['--reuid', String(user.uid), '--regid', String(user.gid), '--init-groups', process.execPath, ...argv], {
        encoding: 'utf8',
        env,
        cwd: '/',
      })
    : spawnSync(process.execPath, argv, { encoding: 'utf8', env, cwd: '/' });
  const layers: string[] = [];
  for (const line of result.stdout.split('\n')) {
    if (!line.startsWith('{')) continue;
    const event = JSON.parse(line) as { type: string; layer?: { digest?: string } };
    if (event.type === 'step-done' && event.layer?.digest) layers.push(event.layer.digest);
  }
  return { status: result.status, stdout: result.stdout, stderr: result.stderr, layers };
}

/** The busybox base image (scripts/make-example-base.sh) imported into a store, as `user`. */
function importBase(user: User | undefined, storeRoot: string): void {
  const script = join(repo, 'scripts/make-example-base.sh');
  const env = { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: storeRoot, TMPDIR: join(storeRoot, 'tmpdir') };
  mkdirSync(env.TMPDIR, { recursive: true });
  if (user) chownSync(env.TMPDIR, user.uid, user.gid);
  const command = user ? 'setpriv' : script;
  const args = user
    ? ['--reuid', String(user.uid), '--regid', String(user.gid), '--init-groups', script, '--root', storeRoot]
    : ['--root', storeRoot];
  execFileSync(command, args, { env, cwd: repo, stdio: ['ignore', 'ignore', 'inherit'] });
}

/** Runs `program` (an ES module body) with node as `user`; returns the JSON of its last stdout line. */
function runProgramAs(user: User, storeRoot: string, program: string): any {
  const file = join(storeRoot, 'program.mjs');
  writeFileSync(file, program);
  chmodSync(file, 0o644);
  const env = { PATH: process.env.PATH ?? '/usr/sbin:/usr/bin:/sbin:/bin', HOME: storeRoot, TMPDIR: join(storeRoot, 'tmpdir') };
  mkdirSync(env.TMPDIR, { recursive: true });
  chownSync(env.TMPDIR, user.uid, user.gid);
  const out = execFileSync('setpriv', ['--reuid', String(user.uid), '--regid', String(user.gid), '--init-groups', process.execPath, file], {
    encoding: 'utf8',
    env,
    cwd: '/',
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  return JSON.parse(out.trim().split('\n').at(-1)!);
}

/** Runs the built CLI as `user` on a store. */
function cliAs(user: User, storeRoot: string, args: string[]) {
  return spawnSync('setpriv', ['--reuid', String(user.uid), '--regid', String(user.gid), '--init-groups', process.execPath, cli, ...args], {
    encoding: 'utf8',
    env: { PATH: process.env.PATH ?? '/usr/sbin:/usr/bin:/sbin:/bin', HOME: storeRoot, LAYERLAB_ROOT: storeRoot },
    cwd: '/',
  });
}

/** One line per tar entry: what a layer holds, without mtimes. */
async function layerEntries(storeRoot: string, digest: string): Promise<string[]> {
  const lines: string[] = [];
  const tar = extract();
  tar.on('entry', (header, stream, next) => {
    const hash = createHash('sha256');
    stream.on('data', (chunk: unknown) => {
      hash.update(chunk as Buffer);
    });
    stream.on('end', () => {
      const content = header.type === 'file' ? ` sha256:${hash.digest('hex').slice(0, 16)}` : '';
      const link = header.linkname ? ` -> ${header.linkname}` : '';
      const mode = (header.mode ?? 0).toString(8).padStart(4, '0');
      lines.push(`${header.type} ${header.name} ${mode} ${header.uid}:${header.gid}${link}${content}`);
      next();
    });
  });
  await pipeline(createReadStream(join(storeRoot, 'blobs/sha256', digest.slice('sha256:'.length))), createGunzip(), tar);
  return lines;
}

const dockerfile = `FROM layerlab/busybox:latest AS src
RUN mkdir /s && echo from-a-stage > /s/f && chown 1234:2345 /s/f && chmod 640 /s/f

FROM layerlab/busybox:latest
RUN mkdir -p /data/keep /data/gone /o && echo 1 > /data/gone/f && echo a > /o/a \\
 && chown -R 1000:1000 /data && chown 2000:3000 /o/a && chmod 2755 /o/a \\
 && ln -s /data/keep /link && ln /o/a /o/hard
RUN rm -rf /data/gone /bin/ls /o && mkdir /o && echo b > /o/b && chown 65534:65534 /o/b
COPY --chown=1000 files/ /app/
COPY --chown=user:user one.txt /app/sub/
COPY --from=src /s /from-src
RUN --mount=type=bind,from=src,source=/s,target=/mnt/s --mount=type=bind,from=layerlab/busybox:latest,source=/etc/group,target=/mnt/group \\
    stat -c '%u:%g %a %n' /mnt/s/f > /seen && cat /mnt/s/f /mnt/group >> /seen
ADD files.tar /unpacked/
WORKDIR /w1
USER 1000:1000
WORKDIR /w2/deeper
USER root
RUN ls -ln /app /from-src /w2 /unpacked > /listing && touch /o/again
`;

function writeContext(dir: string): void {
  mkdirSync(join(dir, 'files/nested'), { recursive: true });
  writeFileSync(join(dir, 'Dockerfile'), dockerfile);
  writeFileSync(join(dir, 'files/a.txt'), 'a\n');
  writeFileSync(join(dir, 'files/nested/b.sh'), '#!/bin/sh\n');
  chmodSync(join(dir, 'files/nested/b.sh'), 0o755);
  writeFileSync(join(dir, 'one.txt'), 'one\n');
  // An archive whose entries have their own owners: ADD keeps them.
  const staging = join(dir, 'staging');
  mkdirSync(join(staging, 'pkg'), { recursive: true });
  writeFileSync(join(staging, 'pkg/owned'), 'owned\n');
  execFileSync('tar', ['--numeric-owner', '--owner=4321', '--group=8765', '-C', staging, '-cf', join(dir, 'files.tar'), 'pkg']);
  rmSync(staging, { recursive: true });
}

describe.skipIf(!canRun)('rootless build', () => {
  let base: string;
  let ranged: User;
  let single: User;

  beforeAll(() => {
    if (!built) throw new Error(`${join(repo, 'dist')} has no file-step worker: run npm run build first`);
    base = mkdtempSync(join(tmpdir(), 'layerlab-rootless-build-'));
    chmodSync(base, 0o755);
    ranged = addUser(rangedName);
    if (!rangeOf(rangedName, '/etc/subuid') || !rangeOf(rangedName, '/etc/subgid')) {
      // This useradd allocated none (SUB_UID_COUNT=0 in login.defs): add some.
      execFileSync('usermod', ['--add-subuids', '400000-465535', '--add-subgids', '400000-465535', rangedName]);
    }
    single = addUser(singleName);
    dropRanges(singleName);
  });

  afterAll(() => {
    for (const name of [rangedName, singleName]) {
      dropRanges(name);
      spawnSync('userdel', [name]);
    }
    if (base) removeAsRoot(base);
  });

  test('with subordinate ranges: the same layers as a root build', async () => {
    const context = join(base, 'context');
    mkdirSync(context);
    writeContext(context);
    execFileSync('chmod', ['-R', 'a+rX', context]);

    const rootStore = join(base, 'store-root');
    const userStore = join(base, 'store-ranged');
    mkdirSync(userStore);
    chownSync(userStore, ranged.uid, ranged.gid);
    importBase(undefined, rootStore);
    importBase(ranged, userStore);

    const asRoot = build(undefined, rootStore, context);
    expect(asRoot.stderr).toBe('');
    expect(asRoot.status, failureOf(asRoot)).toBe(0);
    const rootless = build(ranged, userStore, context);
    expect(rootless.stderr).toBe('');
    expect(rootless.status, failureOf(rootless)).toBe(0);

    // Every layer-making step: RUN ×2 in the first stage… in order, both builds.
    expect(rootless.layers).toHaveLength(asRoot.layers.length);
    expect(asRoot.layers.length).toBeGreaterThanOrEqual(10);
    for (let i = 0; i < asRoot.layers.length; i++) {
      const fromRoot = await layerEntries(rootStore, asRoot.layers[i]!);
      const fromUser = await layerEntries(userStore, rootless.layers[i]!);
      expect({ layer: i, entries: fromUser }).toEqual({ layer: i, entries: fromRoot });
    }

    // What the layers must hold (checked on the root build; the rootless one is equal).
    const all = (await Promise.all(asRoot.layers.map((d) => layerEntries(rootStore, d)))).flat();
    const expected = [
      /^file app\/a\.txt 0644 1000:1000 /,
      /^directory app\/ 0755 1000:1000/,
      /^file app\/sub\/one\.txt 0644 1000:1000 /,
      /^file from-src\/f 0640 1234:2345 /,
      // RUN --mount=type=bind from a stage and from an image: owners and content as the stage has them.
      new RegExp(`^file seen 0644 0:0 sha256:${sha256Prefix('1234:2345 640 /mnt/s/f\nfrom-a-stage\nroot:x:0:\nnogroup:x:65534:\nuser:x:1000:\n')}$`),
      /^file unpacked\/pkg\/owned 0644 4321:8765 /,
      /^file bin\/\.wh\.ls 0000 0:0/,
      /^file o\/\.wh\.\.wh\.\.opq 0000 0:0/,
      /^file o\/b 0644 65534:65534 /,
      /^file o\/a 2755 2000:3000 /,
      /^link o\/hard 2755 2000:3000 -> o\/a/,
      /^directory w2\/deeper\/ 0755 1000:1000/,
      /^directory w2\/ 0755 1000:1000/,
      /^directory w1\/ 0755 0:0/,
    ];
    for (const pattern of expected) expect(all.some((line) => pattern.test(line)), String(pattern)).toBe(true);

    // On disk, the rootless store holds shifted ids and user.overlay markers.
    const uidStart = rangeOf(rangedName, '/etc/subuid')!.start;
    const gidStart = rangeOf(rangedName, '/etc/subgid')!.start;
    const layerDir = (digestIndex: number, path: string) => {
      const events = rootless.stdout.split('\n').filter((l) => l.includes('"step-done"') && l.includes('"layer"'));
      const diffId = (JSON.parse(events[digestIndex]!) as { layer: { diffId: string } }).layer.diffId;
      return join(userStore, 'layers', diffId.slice('sha256:'.length), path);
    };
    const appLayer = rootless.layers.findIndex((_, i) => existsSync(layerDir(i, 'app/a.txt')));
    const appFile = lstatSync(layerDir(appLayer, 'app/a.txt'));
    expect([appFile.uid, appFile.gid]).toEqual([uidStart + 999, gidStart + 999]);
    const opaqueLayer = rootless.layers.findIndex((_, i) => existsSync(layerDir(i, 'o/b')));
    const opaque = execFileSync('getfattr', ['--absolute-names', '-n', 'user.overlay.opaque', '--only-values', layerDir(opaqueLayer, 'o')], {
      encoding: 'utf8',
    });
    expect(opaque).toBe('y');
    const whiteout = lstatSync(layerDir(opaqueLayer, 'bin/ls'));
    expect(whiteout.isCharacterDevice() && whiteout.rdev === 0).toBe(true);
  }, 240_000);

  // A rootless store unpacks pulled or imported layers in the build's user
  // namespace (Store.ensureUnpackedLayer), so base-image files keep their
  // owners as shifted ids: copying up /home/user (uid 1000 in the base) gives
  // the same layer as a root build.
  test('a rootless store unpacks base layers with shifted owners', async () => {
    const context = join(base, 'copy-up');
    mkdirSync(context);
    writeFileSync(join(context, 'Dockerfile'), 'FROM layerlab/busybox:latest\nRUN touch /home/user/x\n');
    execFileSync('chmod', ['-R', 'a+rX', context]);
    const rootStore = join(base, 'copy-up-root');
    const userStore = join(base, 'copy-up-ranged');
    mkdirSync(userStore);
    chownSync(userStore, ranged.uid, ranged.gid);
    importBase(undefined, rootStore);
    importBase(ranged, userStore);
    const asRoot = build(undefined, rootStore, context);
    const rootless = build(ranged, userStore, context);
    expect(asRoot.status, failureOf(asRoot)).toBe(0);
    expect(rootless.status, failureOf(rootless)).toBe(0);
    const fromRoot = await layerEntries(rootStore, asRoot.layers[0]!);
    expect(fromRoot.some((l) => /^directory home\/user\/ 0755 1000:1000/.test(l))).toBe(true);
    expect(await layerEntries(userStore, rootless.layers[0]!)).toEqual(fromRoot);

    // The base layer's dir holds the shifted owner, as a RUN step's upper dir would.
    const baseDirs = readdirSync(join(userStore, 'layers')).filter((hex) => existsSync(join(userStore, 'layers', hex, 'bin/busybox')));
    expect(baseDirs).toHaveLength(1);
    const home = lstatSync(join(userStore, 'layers', baseDirs[0]!, 'home/user'));
    expect([home.uid, home.gid]).toEqual([rangeOf(rangedName, '/etc/subuid')!.start + 999, rangeOf(rangedName, '/etc/subgid')!.start + 999]);
    expect(lstatSync(join(userStore, 'layers', baseDirs[0]!, 'bin/busybox')).uid).toBe(ranged.uid);
  }, 120_000);

  test('a base layer owner outside the user\'s ranges fails with a clear error and leaves nothing', () => {
    const storeRoot = join(base, 'unmapped-store');
    const context = join(base, 'unmapped-context');
    mkdirSync(storeRoot);
    chownSync(storeRoot, ranged.uid, ranged.gid);
    mkdirSync(join(context, 'rootfs/x'), { recursive: true });
    writeFileSync(join(context, 'rootfs/x/f'), 'x\n');
    execFileSync('tar', ['--numeric-owner', '--owner=70000', '--group=70000', '-C', join(context, 'rootfs'), '-cf', join(context, 'big.tar'), 'x']);
    writeFileSync(join(context, 'Dockerfile'), 'FROM big-ids:latest\nRUN true\n');
    execFileSync('chmod', ['-R', 'a+rX', context]);
    expect(cliAs(ranged, storeRoot, ['import', join(context, 'big.tar'), 'big-ids:latest']).status).toBe(0);
    const refused = build(ranged, storeRoot, context);
    expect(refused.status).toBe(2);
    const failed = refused.stdout.split('\n').find((l) => l.includes('"step-failed"'));
    expect((JSON.parse(failed!) as { message: string }).message).toMatch(
      /Dockerfile:1: layer sha256:[0-9a-f]{64}: "x\/" is owned by uid 70000, which this rootless store cannot hold: its user namespace has uids 0-65535 \(the ranges of \/etc\/subuid and \/etc\/subgid\)/,
    );
    expect(readdirSync(join(storeRoot, 'layers'))).toEqual([]);
    expect(readdirSync(join(storeRoot, 'tmp')).filter((n) => n.startsWith('unpack-'))).toEqual([]);
  }, 60_000);

  test('a shell in a step: base owners as the image has them, changes read back, nothing left after discard', () => {
    const storeRoot = join(base, 'shell-store');
    const context = join(base, 'shell-context');
    mkdirSync(storeRoot);
    chownSync(storeRoot, ranged.uid, ranged.gid);
    mkdirSync(context);
    writeFileSync(join(context, 'Dockerfile'), 'FROM layerlab/busybox:latest\nRUN mkdir -m 700 /secret && touch /secret/f && chown -R 1000:1000 /secret\n');
    execFileSync('chmod', ['-R', 'a+rX', context]);
    importBase(ranged, storeRoot);
    const mounts = mountLines();
    const marker = `shell-marker-${suffix}`;
    const program = `
      import { readdirSync } from 'node:fs';
      import { BuildSession } from ${JSON.stringify(join(repo, 'dist/engine/session.js'))};
      import { Store } from ${JSON.stringify(join(repo, 'dist/image/store.js'))};
      const store = await Store.open(${JSON.stringify(storeRoot)});
      const session = await BuildSession.open({ store, dockerfilePath: ${JSON.stringify(join(context, 'Dockerfile'))}, contextDir: ${JSON.stringify(context)} });
      const built = await session.runAll();
      const shell = await session.openShell({ step: 1, state: 'after' }, { cols: 100, rows: 30 });
      let output = '';
      shell.onData((d) => (output += d));
      const exited = new Promise((resolve) => shell.onExit(resolve));
      const until = async (text) => {
        const deadline = Date.now() + 20000;
        while (!output.includes(text)) {
          if (Date.now() > deadline) throw new Error('timed out waiting for ' + text + ' in ' + output);
          await new Promise((r) => setTimeout(r, 50));
        }
      };
      shell.write("id -u; stat -c 'home=%u:%g' /home/user; ls -n /secret | grep -c ' 1000 ' | sed s/^/secret=/; " +
        "echo hi > /home/user/from-shell && chown 1000:1000 /home/user/from-shell; echo ${marker.slice(0, 6)}''${marker.slice(6)}\\r");
      await until('${marker}');
      shell.write('exit\\r');
      const code = await exited;
      const changes = (await shell.changes()).map((c) => c.kind + ' ' + c.path + ' ' + c.uid + ':' + c.gid);
      await shell.discard();
      await session.close();
      const left = readdirSync(store.tmpDir).filter((n) => n.startsWith('shell-'));
      console.log(JSON.stringify({ built, code, output, changes, left }));
    `;
    const result = runProgramAs(ranged, storeRoot, program);
    expect(result.built).toBe(true);
    expect(result.code).toBe(0);
    const output = (result.output as string).replace(/\r/g, '');
    expect(output).toMatch(/^0$/m);
    expect(output).toMatch(/^home=1000:1000$/m);
    expect(output).toMatch(/^secret=1$/m);
    expect(result.changes).toEqual(expect.arrayContaining(['added home/user/from-shell 1000:1000']));
    expect(result.left).toEqual([]);
    expect(mountLines()).toEqual(mounts);
    expect(processesWith(marker)).toEqual([]);
  }, 120_000);

  test('prune removes layer dirs and step leftovers that hold subordinate-id files', () => {
    const storeRoot = join(base, 'prune-store');
    const context = join(base, 'prune-context');
    mkdirSync(storeRoot);
    chownSync(storeRoot, ranged.uid, ranged.gid);
    mkdirSync(context);
    writeFileSync(join(context, 'Dockerfile'), 'FROM layerlab/busybox:latest\nRUN mkdir -p /p/q && echo x > /p/q/f && chown -R 1000:1000 /p && chmod 700 /p\n');
    execFileSync('chmod', ['-R', 'a+rX', context]);
    importBase(ranged, storeRoot);
    const built = build(ranged, storeRoot, context, ['-t', 'pruned:latest']);
    expect(built.status, failureOf(built)).toBe(0);
    const layers = readdirSync(join(storeRoot, 'layers'));
    expect(layers).toHaveLength(2);
    // A RUN's leftovers from a killed session: an upper dir with a dir of container uid 1000, an hour old.
    const uidStart = rangeOf(rangedName, '/etc/subuid')!.start;
    const gidStart = rangeOf(rangedName, '/etc/subgid')!.start;
    const leftover = join(storeRoot, 'tmp', 'run-killed');
    mkdirSync(join(leftover, 'upper/owned'), { recursive: true });
    writeFileSync(join(leftover, 'upper/owned/f'), 'x\n');
    chownSync(leftover, ranged.uid, ranged.gid);
    chownSync(join(leftover, 'upper'), ranged.uid, ranged.gid);
    chownSync(join(leftover, 'upper/owned'), uidStart + 999, gidStart + 999);
    chownSync(join(leftover, 'upper/owned/f'), uidStart + 999, gidStart + 999);
    const hourAgo = new Date(Date.now() - 2 * 60 * 60 * 1000);
    utimesSync(leftover, hourAgo, hourAgo);

    for (const ref of ['pruned:latest', 'layerlab/busybox:latest']) expect(cliAs(ranged, storeRoot, ['rmi', ref]).status).toBe(0);
    // The build cache index is a GC root too; without it nothing reaches the layers.
    rmSync(join(storeRoot, 'cache/index.json'), { force: true });
    const pruned = cliAs(ranged, storeRoot, ['prune']);
    expect(pruned.stderr).toBe('');
    expect(pruned.status).toBe(0);
    expect(pruned.stdout).toMatch(/^Deleted \d+ blobs, 2 unpacked layers and 1 stale temp file\n/);
    const freed = Number(/Total reclaimed space: ([\d.]+)/.exec(pruned.stdout)?.[1]);
    expect(freed).toBeGreaterThan(0);
    expect(readdirSync(join(storeRoot, 'layers'))).toEqual([]);
    expect(readdirSync(join(storeRoot, 'tmp')).filter((n) => !n.endsWith('.lock'))).toEqual([]);
  }, 120_000);

  test('without ranges: root-owned steps build; another uid fails with a clear error', () => {
    const store = join(base, 'store-single');
    mkdirSync(store);
    chownSync(store, single.uid, single.gid);
    importBase(single, store);

    const ok = join(base, 'single-ok');
    mkdirSync(join(ok, 'files'), { recursive: true });
    writeFileSync(join(ok, 'files/a.txt'), 'a\n');
    writeFileSync(
      join(ok, 'Dockerfile'),
      'FROM layerlab/busybox:latest\nRUN mkdir /made && rm /bin/ls\nCOPY files/ /app/\nWORKDIR /w\nRUN test -f /app/a.txt && test -d /w\n',
    );
    execFileSync('chmod', ['-R', 'a+rX', ok]);
    const built = build(single, store, ok);
    expect(built.stderr).toBe('');
    expect(built.status, failureOf(built)).toBe(0);
    // RUN, COPY, WORKDIR (the last RUN changes nothing).
    expect(built.layers).toHaveLength(3);

    const chownCopy = join(base, 'single-chown');
    mkdirSync(chownCopy);
    writeFileSync(join(chownCopy, 'a.txt'), 'a\n');
    writeFileSync(join(chownCopy, 'Dockerfile'), 'FROM layerlab/busybox:latest\nCOPY --chown=1000 a.txt /app/\n');
    execFileSync('chmod', ['-R', 'a+rX', chownCopy]);
    const refused = build(single, store, chownCopy);
    expect(refused.status).toBe(2);
    const failed = refused.stdout.split('\n').find((l) => l.includes('"step-failed"'));
    expect(failed).toBeDefined();
    const message = (JSON.parse(failed!) as { message: string }).message;
    expect(message).toContain('Dockerfile:2: COPY --chown=1000: uid 1000 does not exist in this rootless build');
    expect(message).toContain(`/etc/subuid`);
    expect(message).toContain(singleName);

    const workdirAsUser = join(base, 'single-workdir');
    mkdirSync(workdirAsUser);
    writeFileSync(join(workdirAsUser, 'Dockerfile'), 'FROM layerlab/busybox:latest\nUSER user\nWORKDIR /app\n');
    execFileSync('chmod', ['-R', 'a+rX', workdirAsUser]);
    const refusedWorkdir = build(single, store, workdirAsUser);
    expect(refusedWorkdir.status).toBe(2);
    expect(refusedWorkdir.stdout).toContain('WORKDIR /app (USER user): uid 1000 does not exist in this rootless build');

    const runChown = join(base, 'single-run');
    mkdirSync(runChown);
    writeFileSync(join(runChown, 'Dockerfile'), 'FROM layerlab/busybox:latest\nRUN touch /f && chown 1000 /f\n');
    execFileSync('chmod', ['-R', 'a+rX', runChown]);
    const failedRun = build(single, store, runChown);
    expect(failedRun.status).toBe(1);
    expect(failedRun.stdout).toContain('Invalid argument');
    expect(failedRun.stdout).toContain('only uid and gid 0 exist');
  }, 180_000);
});

function sha256Prefix(text: string): string {
  return createHash('sha256').update(text).digest('hex').slice(0, 16);
}

/** The step-failed message of a build, for assertion messages. */
function failureOf(result: BuildResult): string {
  return result.stdout.split('\n').find((l) => l.includes('"step-failed"')) ?? result.stderr;
}

/** rm -rf of trees that hold subordinate-id files (root can remove them all). */
function removeAsRoot(dir: string): void {
  rmSync(dir, { recursive: true, force: true });
}
