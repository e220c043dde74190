/**
 * Acceptance against real peers: images layerlab saves are read by skopeo and
 * umoci, and archives skopeo writes are loaded by layerlab with the same
 * diff_ids and the same files.
 */
import { execFile } from 'node:child_process';
import { lstat, mkdtemp, readFile, readdir, readlink, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildBusyboxImage, type BusyboxImage } from '../helpers/busybox-image.js';
import { importRootfs } from '../../src/image/import-rootfs.js';
import { loadArchive } from '../../src/image/load.js';
import { saveImage } from '../../src/image/save.js';
import { resolveImage, writeImage } from '../../src/image/image.js';
import { Store } from '../../src/image/store.js';
import type { ImageConfig, ImageManifest } from '../../src/image/oci-types.js';

const run = promisify(execFile);
let work: string;
let store: Store;
let busybox: BusyboxImage;

beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), 'layerlab-interop-'));
  store = await Store.open(join(work, 'store'));
  busybox = await buildBusyboxImage();
  await importRootfs(store, busybox.rootfsTar, 'localhost/interop/busybox:1', { changes: ['CMD ["echo", "hi"]', 'ENV A=b'] });
});

afterAll(async () => {
  await rm(work, { recursive: true, force: true });
});

async function skopeoInspect(transport: string): Promise<{ Layers: string[]; Digest: string }> {
  const { stdout } = await run('skopeo', ['inspect', transport]);
  return JSON.parse(stdout);
}

async function skopeoRawConfig(transport: string): Promise<ImageConfig> {
  const { stdout } = await run('skopeo', ['inspect', '--config', '--raw', transport]);
  return JSON.parse(stdout);
}

/** path → "type size|target" for every entry under dir, to compare trees. */
async function treeListing(dir: string, prefix = ''): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  for (const name of (await readdir(dir)).sort()) {
    const path = join(dir, name);
    const rel = `${prefix}${name}`;
    const info = await lstat(path);
    if (info.isSymbolicLink()) out[rel] = `link ${await readlink(path)}`;
    else if (info.isDirectory()) {
      out[rel] = `dir ${(info.mode & 0o7777).toString(8)}`;
      Object.assign(out, await treeListing(path, `${rel}/`));
    } else out[rel] = `file ${(info.mode & 0o7777).toString(8)} ${info.size}`;
  }
  return out;
}

describe('save is accepted by skopeo and umoci', () => {
  it('OCI layout directory: skopeo inspect oci:DIR:TAG and umoci unpack', async () => {
    const image = await resolveImage(store, 'localhost/interop/busybox:1');
    const dir = join(work, 'oci-dir');
    const saved = await saveImage(store, image, dir, 'oci');
    const inspected = await skopeoInspect(`oci:${dir}:1`);
    expect(inspected.Digest).toBe(saved.manifestDigest);
    expect(inspected.Layers).toHaveLength(1);
    const config = await skopeoRawConfig(`oci:${dir}:1`);
    expect(config.rootfs.diff_ids).toEqual([busybox.diffId]);
    expect(config.config?.Cmd).toEqual(['echo', 'hi']);
    expect(config.history?.[0]?.comment).toMatch(/^Imported from /);

    const bundle = join(work, 'bundle');
    await run('umoci', ['unpack', '--image', `${dir}:1`, bundle]);
    expect(await readlink(join(bundle, 'rootfs/bin/sh'))).toBe('/bin/busybox');
    const runtime = JSON.parse(await readFile(join(bundle, 'config.json'), 'utf8'));
    expect(runtime.process.args).toEqual(['echo', 'hi']);
    expect(runtime.process.env).toContain('A=b');
  });

  it('OCI layout tar (PATH ends in .tar): skopeo inspect oci-archive:', async () => {
    const image = await resolveImage(store, 'localhost/interop/busybox:1');
    const path = join(work, 'image-oci.tar');
    const saved = await saveImage(store, image, path, 'oci');
    expect((await skopeoInspect(`oci-archive:${path}:1`)).Digest).toBe(saved.manifestDigest);
  });

  it('docker-archive: skopeo inspect docker-archive: sees the layers and config', async () => {
    const image = await resolveImage(store, 'localhost/interop/busybox:1');
    const path = join(work, 'image-docker.tar');
    await saveImage(store, image, path, 'docker');
    const inspected = await skopeoInspect(`docker-archive:${path}`);
    expect(inspected.Layers).toHaveLength(1);
    const config = await skopeoRawConfig(`docker-archive:${path}`);
    expect(config.rootfs.diff_ids).toEqual([busybox.diffId]);
    const { stdout } = await run('skopeo', ['inspect', `docker-archive:${path}:localhost/interop/busybox:1`]);
    expect(JSON.parse(stdout).Layers).toHaveLength(1);
  });

  it('a multi-layer image with empty_layer history survives save → skopeo copy → load', async () => {
    const base = await resolveImage(store, 'localhost/interop/busybox:1');
    const { buildGzipTar } = await import('./tar-builder.js');
    const { ingestLayer } = await import('../../src/image/layer-ingest.js');
    const second = await ingestLayer(
      store,
      (async function* () {
        yield await buildGzipTar([{ name: 'etc/motd', content: 'layer two\n' }, { name: 'bin/.wh.cat' }]);
      })(),
      { compression: 'keep', what: 'test layer' },
    );
    const history = [
      ...(base.config.history ?? []),
      { created: '2024-01-01T00:00:00Z', created_by: 'ENV X=1', empty_layer: true },
      { created: '2024-01-01T00:00:00Z', created_by: 'RUN echo two > /etc/motd' },
    ];
    const { rootfs: _rootfs, ...baseConfig } = base.config;
    void _rootfs;
    await writeImage(store, { ...baseConfig, history }, [...base.layers, { descriptor: second.descriptor, diffId: second.diffId }], 'localhost/interop/two:1');
    const image = await resolveImage(store, 'localhost/interop/two:1');
    const archive = join(work, 'two-docker.tar');
    await saveImage(store, image, archive, 'docker');
    const copied = join(work, 'two-copied-oci');
    await run('skopeo', ['copy', `docker-archive:${archive}`, `oci:${copied}:two`]);
    const other = await Store.open(join(work, 'store-two'));
    const [loaded] = await loadArchive(other, copied);
    const back = await resolveImage(other, loaded!.manifestDigest);
    expect(back.diffIds).toEqual(image.diffIds);
    expect(back.config.history?.map((h) => Boolean(h.empty_layer))).toEqual([false, true, false]);
    const dirs = await back.unpackLayers(other);
    expect(await readFile(join(dirs[1]!, 'etc/motd'), 'utf8')).toBe('layer two\n');
    expect((await lstat(join(dirs[1]!, 'bin/cat'))).isCharacterDevice()).toBe(true);
  });
});

describe('load reads what skopeo writes', () => {
  for (const [name, transport, isDir] of [
    ['docker-archive tar', 'docker-archive', false],
    ['OCI layout directory', 'oci', true],
    ['OCI layout tar', 'oci-archive', false],
    ['docker v2s2 dir (not an archive: refused)', 'dir', true],
  ] as const) {
    it(`skopeo copy → ${name} → layerlab load: same diff_ids, same files`, async () => {
      const dest = join(work, `skopeo-${transport}${isDir ? '' : '.tar'}`);
      const destRef = transport === 'docker-archive' ? `${transport}:${dest}:localhost/from-skopeo/busybox:${transport}` : `${transport}:${dest}${transport === 'dir' ? '' : `:${transport}`}`;
      await run('skopeo', ['copy', `oci:${busybox.layoutDir}:latest`, destRef]);
      const target = await Store.open(join(work, `store-${transport}`));
      if (transport === 'dir') {
        await expect(loadArchive(target, dest)).rejects.toThrow(/neither an OCI image layout/);
        return;
      }
      const loaded = await loadArchive(target, dest);
      expect(loaded).toHaveLength(1);
      const expectedRef =
        transport === 'docker-archive' ? 'localhost/from-skopeo/busybox:docker-archive' : `localhost/skopeo-${transport}:${transport}`;
      expect(loaded[0]!.refs).toEqual([expectedRef]);
      const image = await resolveImage(target, expectedRef);
      expect(image.diffIds).toEqual([busybox.diffId]);
      expect(image.configDigest).toBe(busybox.configDigest);
      const [dir] = await image.unpackLayers(target);
      const reference = join(work, 'reference-rootfs');
      await rm(reference, { recursive: true, force: true });
      await run('mkdir', ['-p', reference]);
      await run('tar', ['-C', reference, '-xf', busybox.rootfsTar]);
      expect(await treeListing(dir!)).toEqual(await treeListing(reference));
    });
  }

  it('a layout whose blob does not match its digest is refused and stores no ref', async () => {
    const dir = join(work, 'tampered');
    await run('cp', ['-r', busybox.layoutDir, dir]);
    const manifest = JSON.parse(await readFile(join(dir, 'blobs/sha256', busybox.manifestDigest.slice(7)), 'utf8')) as ImageManifest;
    await run('sh', ['-c', `printf x >> ${join(dir, 'blobs/sha256', manifest.config.digest.slice(7))}`]);
    const target = await Store.open(join(work, 'store-tampered'));
    await expect(loadArchive(target, dir)).rejects.toThrow(/blob|digest/);
    expect(await target.listRefs()).toEqual([]);
    expect(await target.hasBlob(manifest.config.digest)).toBe(false);
  });
});
