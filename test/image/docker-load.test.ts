/**
 * Acceptance against a real Docker daemon, started by hand for this test with
 * its own data root, exec root, pidfile and socket under a temp dir (no
 * bridge, no iptables), and stopped at the end. Needs Debian's docker.io.
 * When dockerd cannot start here, the tests are skipped and say why.
 */
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildBusyboxImage, type BusyboxImage } from '../helpers/busybox-image.js';
import { importRootfs } from '../../src/image/import-rootfs.js';
import { ingestLayer } from '../../src/image/layer-ingest.js';
import { loadArchive } from '../../src/image/load.js';
import { saveImage } from '../../src/image/save.js';
import { resolveImage, writeImage } from '../../src/image/image.js';
import { Store } from '../../src/image/store.js';
import { buildGzipTar } from './tar-builder.js';

const run = promisify(execFile);
const dockerClient = existsSync('/usr/bin/docker') ? '/usr/bin/docker' : 'docker';

let work: string;
let daemon: ChildProcess | undefined;
let socket: string;
let unavailable: string | undefined;
let store: Store;
let busybox: BusyboxImage;

async function docker(...args: string[]): Promise<string> {
  const { stdout } = await run(dockerClient, ['-H', `unix://${socket}`, ...args], { maxBuffer: 64 * 1024 * 1024 });
  return stdout;
}

async function startDockerd(): Promise<string | undefined> {
  if (!existsSync('/usr/sbin/dockerd') && !existsSync('/usr/bin/dockerd')) return 'dockerd is not installed (apt-get install -y docker.io)';
  if (process.getuid?.() !== 0) return 'dockerd needs root here';
  socket = join(work, 'docker.sock');
  const logPath = join(work, 'dockerd.log');
  const { openSync } = await import('node:fs');
  const log = openSync(logPath, 'w');
  daemon = spawn(
    'dockerd',
    [
      '--data-root', join(work, 'data'),
      '--exec-root', join(work, 'exec'),
      '--pidfile', join(work, 'dockerd.pid'),
      '-H', `unix://${socket}`,
      '--iptables=false',
      '--ip6tables=false',
      '--bridge=none',
    ],
    { stdio: ['ignore', log, log] },
  );
  let exited = false;
  daemon.on('exit', () => (exited = true));
  for (let i = 0; i < 60 && !exited; i++) {
    try {
      await docker('version');
      return undefined;
    } catch {
      await new Promise((resolve) => setTimeout(resolve, 500));
    }
  }
  const tail = (await readFile(logPath, 'utf8').catch(() => '')).split('\n').slice(-8).join('\n');
  return `dockerd did not start within 30s${exited ? ' (it exited)' : ''}; last log lines:\n${tail}`;
}

beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), 'layerlab-dockerd-'));
  store = await Store.open(join(work, 'store'));
  busybox = await buildBusyboxImage();
  unavailable = await startDockerd();
  if (unavailable) console.warn(`docker-load tests skipped: ${unavailable}`);
}, 120_000);

afterAll(async () => {
  if (daemon && daemon.exitCode === null) {
    const exited = new Promise((resolve) => daemon!.once('exit', resolve));
    daemon.kill('SIGTERM');
    await Promise.race([exited, new Promise((resolve) => setTimeout(resolve, 20_000))]);
    if (daemon.exitCode === null) daemon.kill('SIGKILL');
  }
  // dockerd unmounts its overlays on shutdown; sweep any it left before deleting.
  const mounts = (await readFile('/proc/mounts', 'utf8')).split('\n').map((l) => l.split(' ')[1] ?? '').filter((m) => m.startsWith(work));
  for (const mount of mounts.reverse()) await run('umount', ['-l', mount]).catch(() => undefined);
  await rm(work, { recursive: true, force: true });
}, 60_000);

describe('docker accepts what layerlab saves', () => {
  it('docker load of a saved docker-archive, then docker run prints what CMD says', async (ctx) => {
    if (unavailable) return ctx.skip();
    const base = await importRootfs(store, busybox.rootfsTar, 'localhost/dockertest/busybox:1');
    const motd = await ingestLayer(
      store,
      (async function* () {
        yield await buildGzipTar([{ name: 'etc/motd', content: 'second layer\n' }]);
      })(),
      { compression: 'keep', what: 'motd layer' },
    );
    const { rootfs: _rootfs, ...baseConfig } = base.config;
    void _rootfs;
    await writeImage(
      store,
      {
        ...baseConfig,
        config: { Env: ['PATH=/bin:/usr/bin', 'GREETING=hello from layerlab'], Cmd: ['sh', '-c', 'echo "$GREETING"; cat /etc/motd'] },
        history: [
          ...(base.config.history ?? []),
          { created: '2024-01-01T00:00:00Z', created_by: 'ENV GREETING=hello from layerlab', empty_layer: true },
          { created: '2024-01-01T00:00:00Z', created_by: 'COPY motd /etc/motd' },
          { created: '2024-01-01T00:00:00Z', created_by: 'CMD ["sh" "-c" "…"]', empty_layer: true },
        ],
      },
      [...base.layers, { descriptor: motd.descriptor, diffId: motd.diffId }],
      'localhost/dockertest/app:1',
    );
    const image = await resolveImage(store, 'localhost/dockertest/app:1');
    const archive = join(work, 'app.tar');
    await saveImage(store, image, archive, 'docker');

    expect(await docker('load', '-i', archive)).toContain('Loaded image: localhost/dockertest/app:1');
    expect((await docker('image', 'inspect', '--format', '{{.Id}}', 'localhost/dockertest/app:1')).trim()).toBe(image.id);
    const history = await docker('history', '--no-trunc', '--format', '{{.CreatedBy}}|{{.Size}}', 'localhost/dockertest/app:1');
    expect(history).toContain('ENV GREETING=hello from layerlab|0B');
    const output = await docker('run', '--rm', '--network', 'none', 'localhost/dockertest/app:1');
    expect(output).toBe('hello from layerlab\nsecond layer\n');
  });

  it('docker save output (legacy docker-archive) loads into layerlab with the same image id and diff_ids', async (ctx) => {
    if (unavailable) return ctx.skip();
    const archive = join(work, 'from-docker.tar');
    await docker('save', '-o', archive, 'localhost/dockertest/app:1');
    const other = await Store.open(join(work, 'store-from-docker'));
    const loaded = await loadArchive(other, archive);
    expect(loaded.map((l) => l.refs)).toEqual([['localhost/dockertest/app:1']]);
    const image = await resolveImage(other, 'localhost/dockertest/app:1');
    const original = await resolveImage(store, 'localhost/dockertest/app:1');
    expect(image.id).toBe(original.id);
    expect(image.diffIds).toEqual(original.diffIds);
    const dirs = await image.unpackLayers(other);
    expect(await readFile(join(dirs[1]!, 'etc/motd'), 'utf8')).toBe('second layer\n');
  });
});
