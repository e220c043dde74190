/** `layerlab save` and `layerlab load` through the CLI, round-tripping between stores. */
import { execFileSync } from 'node:child_process';
import { mkdtemp, readFile, readdir, rm, mkdir, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildBusyboxImage, type BusyboxImage } from '../helpers/busybox-image.js';
import { layerlab } from '../image/cli-runner.js';
import { resolveImage } from '../../src/image/image.js';
import { Store } from '../../src/image/store.js';
import type { ImageIndex } from '../../src/image/oci-types.js';

let work: string;
let root: string;
let busybox: BusyboxImage;

beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), 'layerlab-cli-save-'));
  root = join(work, 'store');
  busybox = await buildBusyboxImage();
  const imported = await layerlab(['--root', root, 'import', '-c', 'CMD ["echo","hi"]', busybox.rootfsTar, 'registry.test:5000/app/box:v1']);
  expect(imported.code).toBe(0);
});
afterAll(async () => {
  await rm(work, { recursive: true, force: true });
});

describe('layerlab save', () => {
  it('writes an OCI layout dir with oci-layout, index.json (ref.name = tag) and blobs', async () => {
    const dir = join(work, 'layout');
    const saved = await layerlab(['--root', root, 'save', 'registry.test:5000/app/box:v1', '-o', dir]);
    expect(saved).toMatchObject({ code: 0, stderr: '' });
    expect((await readdir(dir)).sort()).toEqual(['blobs', 'index.json', 'oci-layout']);
    const index = JSON.parse(await readFile(join(dir, 'index.json'), 'utf8')) as ImageIndex;
    expect(index.manifests[0]!.annotations).toEqual({
      'org.opencontainers.image.ref.name': 'v1',
      'io.containerd.image.name': 'registry.test:5000/app/box:v1',
    });
    expect(await readdir(join(dir, 'blobs/sha256'))).toHaveLength(3);
  });

  it('writes a docker-archive tar with manifest.json, config and uncompressed layer tars', async () => {
    const path = join(work, 'box-docker.tar');
    expect((await layerlab(['--root', root, 'save', 'registry.test:5000/app/box:v1', '--format', 'docker', '-o', path])).code).toBe(0);
    const manifest = JSON.parse(execFileSync('tar', ['-xOf', path, 'manifest.json'], { encoding: 'utf8' }));
    const image = await resolveImage(await Store.open(root), 'registry.test:5000/app/box:v1');
    expect(manifest).toEqual([{ Config: `${image.id.slice(7)}.json`, RepoTags: ['registry.test:5000/app/box:v1'], Layers: [`${busybox.diffId.slice(7)}/layer.tar`] }]);
    const layer = execFileSync('tar', ['-xOf', path, `${busybox.diffId.slice(7)}/layer.tar`], { maxBuffer: 64 << 20 });
    expect(layer.equals(await readFile(busybox.rootfsTar))).toBe(true);
  });

  it('refuses a non-empty destination dir, an unknown format and an unknown image with exit 2', async () => {
    const full = join(work, 'full');
    await mkdir(full);
    await writeFile(join(full, 'x'), 'x');
    const nonEmpty = await layerlab(['--root', root, 'save', 'registry.test:5000/app/box:v1', '-o', full]);
    expect(nonEmpty.code).toBe(2);
    expect(nonEmpty.stderr).toContain('the directory exists and is not empty');
    const badFormat = await layerlab(['--root', root, 'save', 'registry.test:5000/app/box:v1', '--format', 'zip', '-o', join(work, 'z')]);
    expect(badFormat).toMatchObject({ code: 2 });
    expect(badFormat.stderr).toContain('--format must be oci or docker');
    const missing = await layerlab(['--root', root, 'save', 'nothing:here', '-o', join(work, 'n')]);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toContain('image "nothing:here" is not in the store');
    expect((await readdir(work)).filter((n) => n.includes('layerlab-partial'))).toEqual([]);
  });
});

describe('layerlab load', () => {
  for (const [name, file, format] of [
    ['OCI layout dir', 'rt-layout', 'oci'],
    ['OCI layout tar', 'rt-layout.tar', 'oci'],
    ['docker-archive', 'rt-docker.tar', 'docker'],
  ] as const) {
    it(`${name}: save from one store, load into another, same image id and diff_ids`, async () => {
      const path = join(work, file);
      expect((await layerlab(['--root', root, 'save', 'registry.test:5000/app/box:v1', '--format', format, '-o', path])).code).toBe(0);
      const otherRoot = join(work, `store-${file}`);
      const loaded = await layerlab(['--root', otherRoot, 'load', path]);
      expect(loaded).toMatchObject({ code: 0, stdout: 'Loaded image: registry.test:5000/app/box:v1\n', stderr: '' });
      const original = await resolveImage(await Store.open(root), 'registry.test:5000/app/box:v1');
      const copy = await resolveImage(await Store.open(otherRoot), 'registry.test:5000/app/box:v1');
      expect(copy.id).toBe(original.id);
      expect(copy.diffIds).toEqual(original.diffIds);
    });
  }

  it('a gzip-compressed docker-archive (docker save | gzip) loads too', async () => {
    const gz = join(work, 'rt-docker.tar.gz');
    await writeFile(gz, gzipSync(await readFile(join(work, 'rt-docker.tar'))));
    const loaded = await layerlab(['--root', join(work, 'store-gz'), 'load', '-i', gz]);
    expect(loaded).toMatchObject({ code: 0, stdout: 'Loaded image: registry.test:5000/app/box:v1\n' });
  });

  it('a bare ref.name tag is named localhost/<archive>:<tag>', async () => {
    const otherRoot = join(work, 'store-bare');
    const loaded = await layerlab(['--root', otherRoot, 'load', busybox.layoutDir]);
    expect(loaded.code).toBe(0);
    const refs = await (await Store.open(otherRoot)).listRefs();
    expect(refs.map((r) => r.name)).toEqual([expect.stringMatching(/^localhost\/[a-z0-9._-]+:latest$/)]);
  });

  it('refuses something that is not an image archive with exit 2', async () => {
    const dir = join(work, 'random-dir');
    await mkdir(dir);
    await writeFile(join(dir, 'hello'), 'x');
    const result = await layerlab(['--root', join(work, 'store-bad'), 'load', dir]);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('is neither an OCI image layout');
    const missing = await layerlab(['--root', join(work, 'store-bad'), 'load', join(work, 'does-not-exist.tar')]);
    expect(missing.code).toBe(2);
  });
});
