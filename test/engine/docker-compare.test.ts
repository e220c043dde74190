/**
 * The same Dockerfiles built by Docker (BuildKit) and by layerlab must give
 * the same layers. A private dockerd is started by hand (test/helpers/dockerd)
 * with the busybox test base loaded from `layerlab save --format docker`;
 * each fixture under test/fixtures/engine/ is built by `docker build`
 * (DOCKER_BUILDKIT=1: the daemon's built-in BuildKit, no buildx needed) and by
 * a layerlab build session; both images are saved as docker-archives and
 * compared layer by layer.
 *
 * Per layer, an entry is compared by path, type, permission and special bits,
 * uid/gid, link target (symlink target, or hardlink's first name), and a
 * regular file's sha256. Whiteouts (`.wh.NAME`, `.wh..wh..opq`) are entries
 * like any other. Normalised away:
 * - mtimes (and uname/gname, atime/ctime PAX records);
 * - a directory entry whose type, mode and owner equal what the layers below
 *   already have at that path: such a parent is in a layer only because
 *   something below it changed, and differs from the lower dir in its mtime
 *   alone. Docker carries a few more of them than layerlab (e.g. `etc/` in
 *   every RUN layer, where runc made the /etc/hosts mount points); the test
 *   prints them but does not count them as differences.
 * The image configs are compared field by field (Env, Cmd, Entrypoint,
 * WorkingDir, User, ExposedPorts, Volumes, Labels, StopSignal, Healthcheck,
 * Shell, OnBuild, ArgsEscaped; null, empty and absent are the same), and the
 * history lines (created_by, empty_layer).
 *
 * The daemon is Debian bookworm's docker.io 20.10, whose built-in Dockerfile
 * frontend is 1.2: RUN --network, heredocs, COPY --parents/--exclude and ADD
 * --checksum are not in it, so those are covered by the build-*.test.ts files
 * only.
 */
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { cp, mkdir, readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { createGunzip } from 'node:zlib';
import { extract as tarExtract, type Header } from 'tar-stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { resolveImage } from '../../src/image/image.js';
import { saveImage } from '../../src/image/save.js';
import { startDockerd, type Dockerd } from '../helpers/dockerd.js';
import { BASE, build, createBuildEnv, expectOk, type BuildEnv } from './build-harness.js';

const fixtures = join(import.meta.dirname, '..', 'fixtures', 'engine');

let env: BuildEnv;
let daemon: Dockerd | undefined;
let unavailable: string | undefined;

beforeAll(async () => {
  env = await createBuildEnv();
  const started = await startDockerd();
  if ('unavailable' in started) {
    unavailable = started.unavailable;
    console.warn(`docker-compare tests skipped: ${unavailable}`);
    return;
  }
  daemon = started;
  const archive = join(env.root, 'base.tar');
  await saveImage(env.store, await resolveImage(env.store, BASE), archive, 'docker');
  const loaded = await daemon.docker(['load', '-i', archive]);
  expect(loaded.stdout).toContain(`Loaded image: ${BASE}`);
}, 180_000);

afterAll(async () => {
  await daemon?.stop();
  await env?.cleanup();
}, 60_000);

// ---- reading a docker-archive ----------------------------------------------

interface ArchiveImage {
  config: {
    config?: Record<string, unknown>;
    history?: Array<{ created_by?: string; empty_layer?: boolean }>;
    rootfs: { diff_ids: string[] };
  };
  /** Per layer: the entries as comparable lines, sorted. */
  layers: string[][];
  /** Per layer: directory entries left out as mtime-only parents. */
  parentsOnly: string[][];
}

interface TarEntry {
  path: string;
  type: string;
  mode: number;
  uid: number;
  gid: number;
  linkname?: string;
  sha256?: string;
}

function cleanPath(p: string): string {
  return p.replace(/^\.\//, '').replace(/^\/+/, '').replace(/\/+$/, '');
}

async function readLayer(path: string): Promise<TarEntry[]> {
  const head = (await readFile(path)).subarray(0, 2);
  const raw: Readable = createReadStream(path);
  const input = head[0] === 0x1f && head[1] === 0x8b ? raw.pipe(createGunzip()) : raw;
  const extract = tarExtract();
  const entries: TarEntry[] = [];
  const done = new Promise<void>((resolve, reject) => {
    extract.on('entry', (header: Header, stream, next) => {
      const hash = createHash('sha256');
      stream.on('data', (c: unknown) => {
        hash.update(c as Buffer);
      });
      stream.on('end', () => {
        entries.push({
          path: cleanPath(header.name),
          type: header.type ?? 'file',
          mode: (header.mode ?? 0) & 0o7777,
          uid: header.uid ?? 0,
          gid: header.gid ?? 0,
          linkname: header.linkname ? (header.type === 'link' ? cleanPath(header.linkname) : header.linkname) : undefined,
          sha256: header.type === 'file' ? hash.digest('hex').slice(0, 16) : undefined,
        });
        next();
      });
      stream.resume();
    });
    extract.on('finish', () => resolve());
    extract.on('error', reject);
    input.on('error', reject);
  });
  input.pipe(extract);
  await done;
  return entries;
}

function entryLine(e: TarEntry): string {
  const base = `${e.type} ${e.mode.toString(8).padStart(4, '0')} ${e.uid}:${e.gid} ${e.path}`;
  if (e.type === 'symlink') return `${base} -> ${e.linkname}`;
  if (e.type === 'link') return `${base} => ${e.linkname}`;
  if (e.type === 'file') return `${base} ${e.sha256}`;
  return base;
}

type Meta = { type: string; mode: number; uid: number; gid: number };

/** Applies OCI layer semantics to a path → metadata map, returning comparable lines per layer. */
function normaliseLayers(layers: TarEntry[][]): { lines: string[][]; parentsOnly: string[][] } {
  const state = new Map<string, Meta>();
  const lines: string[][] = [];
  const parentsOnly: string[][] = [];
  const removeUnder = (dir: string, self: boolean) => {
    for (const p of [...state.keys()]) if ((self && p === dir) || p.startsWith(`${dir}/`)) state.delete(p);
  };
  for (const entries of layers) {
    const kept: string[] = [];
    const dropped: string[] = [];
    const slash = (p: string) => p.lastIndexOf('/');
    // Whiteouts act on the layers below, so take them first.
    for (const e of entries) {
      const name = e.path.slice(slash(e.path) + 1);
      const dir = e.path.slice(0, Math.max(0, slash(e.path)));
      if (name === '.wh..wh..opq') {
        kept.push(`opaque ${dir}`);
        removeUnder(dir, false);
      } else if (name.startsWith('.wh.')) {
        const target = (dir ? `${dir}/` : '') + name.slice(4);
        kept.push(`whiteout ${target}`);
        removeUnder(target, true);
      }
    }
    for (const e of entries) {
      const name = e.path.slice(slash(e.path) + 1);
      if (name.startsWith('.wh.') || e.path === '') continue;
      const below = state.get(e.path);
      if (e.type === 'directory' && below && below.type === 'directory' && below.mode === e.mode && below.uid === e.uid && below.gid === e.gid) {
        dropped.push(e.path);
      } else {
        kept.push(entryLine(e));
      }
      if (below && below.type === 'directory' && e.type !== 'directory') removeUnder(e.path, false);
      state.set(e.path, { type: e.type === 'link' ? 'file' : e.type, mode: e.mode, uid: e.uid, gid: e.gid });
    }
    lines.push(kept.sort());
    parentsOnly.push(dropped.sort());
  }
  return { lines, parentsOnly };
}

async function readArchive(archive: string, scratch: string, dropPaths: ReadonlySet<string> = new Set()): Promise<ArchiveImage> {
  await rm(scratch, { recursive: true, force: true });
  await mkdir(scratch, { recursive: true });
  execFileSync('tar', ['-xf', archive, '-C', scratch]);
  const manifest = JSON.parse(await readFile(join(scratch, 'manifest.json'), 'utf8')) as Array<{ Config: string; Layers: string[] }>;
  const config = JSON.parse(await readFile(join(scratch, manifest[0]!.Config), 'utf8')) as ArchiveImage['config'];
  const raw: TarEntry[][] = [];
  for (const layer of manifest[0]!.Layers) raw.push(await readLayer(join(scratch, layer)));
  const { lines, parentsOnly } = normaliseLayers(raw.map((entries) => entries.filter((e) => !dropPaths.has(e.path) || e.type !== 'directory')));
  // A layer left with nothing but mtime-only parents is an empty diff: BuildKit's
  // exporter drops such layers and marks their history entry empty_layer.
  const history = (config.history ?? []).map((h) => ({ ...h }));
  const layers: string[][] = [];
  const parents: string[][] = [];
  let layerIndex = 0;
  for (const h of history) {
    if (h.empty_layer) continue;
    if (lines[layerIndex]?.length === 0) h.empty_layer = true;
    else {
      layers.push(lines[layerIndex] ?? []);
      parents.push(parentsOnly[layerIndex] ?? []);
    }
    layerIndex++;
  }
  return { config: { ...config, history }, layers, parentsOnly: parents };
}

const configFields = [
  'Env',
  'Cmd',
  'Entrypoint',
  'WorkingDir',
  'User',
  'ExposedPorts',
  'Volumes',
  'Labels',
  'StopSignal',
  'Healthcheck',
  'Shell',
  'OnBuild',
  'ArgsEscaped',
];

function isEmpty(v: unknown): boolean {
  return (
    v === undefined ||
    v === null ||
    v === '' ||
    v === false ||
    (Array.isArray(v) && v.length === 0) ||
    (typeof v === 'object' && v !== null && !Array.isArray(v) && Object.keys(v).length === 0)
  );
}

/** The fields both builders set, with zero values dropped (Go's omitempty). */
function comparableConfig(config: Record<string, unknown> | undefined): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const field of configFields) {
    let v = config?.[field];
    if (field === 'Healthcheck' && v && typeof v === 'object') {
      v = Object.fromEntries(Object.entries(v as Record<string, unknown>).filter(([, x]) => x !== 0 && !isEmpty(x)));
    }
    if (!isEmpty(v)) out[field] = v;
  }
  return out;
}

/**
 * History lines, with the three places where the daemon's BuildKit (v0.8, in
 * docker 20.10) words a line differently from current BuildKit, which
 * layerlab follows (frontend/dockerfile/dockerfile2llb/convert.go):
 * - COPY/ADD: current BuildKit writes --parents, --chown= and --chmod=; v0.8 left them out;
 * - ARG: current BuildKit writes the value in effect (build arg, global or default);
 *   v0.8 wrote the instruction's own default, so only the names are compared;
 * - HEALTHCHECK: v0.8 wrote `%q` of the config pointer, current BuildKit `%+v` of the
 *   struct (with StartInterval); the config's Healthcheck is compared field by field, so
 *   the line is reduced to its keyword;
 * - EXPOSE: v0.8 wrote `%v` of a port map (sorted), current BuildKit `%v` of the list in
 *   the order written; the ports are compared as a set.
 */
function historyLines(config: ArchiveImage['config']): string[] {
  return (config.history ?? []).map((h) => {
    let line = h.created_by ?? '';
    if (/^(COPY|ADD) /.test(line)) line = line.replace(/ --(chown|chmod)=\S+/g, '').replace(/ --parents/g, '');
    if (line.startsWith('ARG ')) line = `ARG ${line.slice(4).split(' ').map((kv) => kv.split('=')[0]).join(' ')}`;
    if (line.startsWith('HEALTHCHECK ')) line = 'HEALTHCHECK';
    if (line.startsWith('EXPOSE ')) line = `EXPOSE ${(line.match(/\d+\/[a-z]+/g) ?? []).sort().join(' ')}`;
    return `${line}${h.empty_layer ? ' (no layer)' : ''}`;
  });
}

// ---- the cases -------------------------------------------------------------

interface CompareBuild {
  dockerfile?: string;
  tag: string;
  target?: string;
  buildArgs?: Record<string, string>;
}

interface CompareCase {
  name: string;
  fixture: string;
  builds: CompareBuild[];
  prepare?: (contextDir: string) => void;
  /**
   * Empty mount-point dirs docker 20.10 leaves in RUN --mount layers. Current
   * BuildKit removes them after the run (executor.MountStubsCleaner), and so
   * does layerlab: they are dropped from docker's side.
   */
  dockerMountStubs?: string[];
}

const cases: CompareCase[] = [
  { name: 'RUN file operations', fixture: 'run-files', builds: [{ tag: 'cmp/run-files:1' }] },
  {
    name: 'COPY from the context',
    fixture: 'copy-context',
    builds: [{ tag: 'cmp/copy-context:1' }],
    // Git keeps neither a 0600 mode nor an owner: COPY must keep the first and drop the second.
    prepare: (ctx) => execFileSync('sh', ['-c', `chmod 600 ${ctx}/b.txt && chown 1234:1234 ${ctx}/b.txt ${ctx}/a.txt`]),
  },
  {
    name: 'ADD of a local tar and a plain file',
    fixture: 'add-tar',
    builds: [{ tag: 'cmp/add-tar:1' }],
    prepare: (ctx) =>
      execFileSync('sh', [
        '-c',
        `t=${ctx}/tree && mkdir -p $t/app/bin $t/app/empty && echo x > $t/app/bin/tool && chmod 750 $t/app/bin/tool && ` +
          `ln -s bin/tool $t/app/tool-link && ln $t/app/bin/tool $t/app/tool-hard && chmod 1777 $t/app/empty && ` +
          `tar --numeric-owner --owner=1000 --group=1000 -C $t -czf ${ctx}/app.tar.gz app && rm -rf $t`,
      ]),
  },
  { name: 'multi-stage, COPY --from', fixture: 'multi-stage', builds: [{ tag: 'cmp/multi-stage:1' }] },
  { name: 'multi-stage --target', fixture: 'multi-stage', builds: [{ tag: 'cmp/multi-stage:middle', target: 'middle' }] },
  { name: 'WORKDIR and USER', fixture: 'workdir-user', builds: [{ tag: 'cmp/workdir-user:1' }] },
  { name: 'config instructions and build args', fixture: 'config', builds: [{ tag: 'cmp/config:1', buildArgs: { STAGE_ARG: 'cli' } }] },
  {
    name: 'RUN --mount bind, cache, tmpfs',
    fixture: 'run-mounts',
    builds: [{ tag: 'cmp/run-mounts:1' }],
    dockerMountStubs: ['mnt', 'mnt/ctx', 'var/cache', 'var/cache/app', 'scratch', 'root/.cache'],
  },
  {
    name: 'ONBUILD triggers of a base image',
    fixture: 'onbuild',
    builds: [{ dockerfile: 'Dockerfile.parent', tag: 'layerlab-test/onbuild-parent:1' }, { tag: 'cmp/onbuild:1' }],
  },
];

describe('docker build and layerlab build make the same layers', () => {
  for (const c of cases) {
    it(c.name, async (ctx) => {
      if (unavailable || !daemon) return ctx.skip();
      const contextDir = await env.tempDir(c.fixture);
      await cp(join(fixtures, c.fixture), contextDir, { recursive: true, verbatimSymlinks: true });
      c.prepare?.(contextDir);
      for (const b of c.builds) {
        const dockerfileName = b.dockerfile ?? 'Dockerfile';
        const dockerArgs = ['build', '--network', 'none', '-q', '-f', join(contextDir, dockerfileName), '-t', b.tag];
        if (b.target) dockerArgs.push('--target', b.target);
        for (const [k, v] of Object.entries(b.buildArgs ?? {})) dockerArgs.push('--build-arg', `${k}=${v}`);
        dockerArgs.push(contextDir);
        await daemon.docker(dockerArgs, { env: { DOCKER_BUILDKIT: '1' } });
        const dockerArchive = join(contextDir, '..', `${c.fixture}-docker.tar`);
        await daemon.docker(['save', '-o', dockerArchive, b.tag]);

        const ours = await build(env, {
          dockerfile: await readFile(join(contextDir, dockerfileName), 'utf8'),
          context: contextDir,
          target: b.target,
          buildArgs: b.buildArgs,
          tags: [b.tag],
        });
        expectOk(ours);
        const ourArchive = join(contextDir, '..', `${c.fixture}-layerlab.tar`);
        await saveImage(env.store, await resolveImage(env.store, b.tag), ourArchive, 'docker');

        const theirs = await readArchive(dockerArchive, join(contextDir, '..', `${c.fixture}-docker`), new Set(c.dockerMountStubs));
        const mine = await readArchive(ourArchive, join(contextDir, '..', `${c.fixture}-layerlab`));
        const extraParents = theirs.parentsOnly
          .map((p, i) => [i, p.filter((x) => !mine.parentsOnly[i]?.includes(x))] as const)
          .filter(([, p]) => p.length > 0);
        if (extraParents.length > 0) {
          console.info(`${c.name} (${b.tag}): mtime-only parent dirs docker has and layerlab has not: ${JSON.stringify(extraParents)}`);
        }
        expect({ tag: b.tag, layers: mine.layers }).toEqual({ tag: b.tag, layers: theirs.layers });
        expect(comparableConfig(mine.config.config)).toEqual(comparableConfig(theirs.config.config));
        expect(historyLines(mine.config)).toEqual(historyLines(theirs.config));
      }
    }, 120_000);
  }
});
