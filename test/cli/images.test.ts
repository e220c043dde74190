/** `layerlab images`, `rmi` and `prune` on a real store. */
import { mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildBusyboxImage, type BusyboxImage } from '../helpers/busybox-image.js';
import { layerlab } from '../image/cli-runner.js';
import { Store } from '../../src/image/store.js';
import { formatBytes, timeAgo } from '../../src/image/list-images.js';

let work: string;
let root: string;
let busybox: BusyboxImage;

beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), 'layerlab-cli-images-'));
  root = join(work, 'store');
  busybox = await buildBusyboxImage();
});
afterAll(async () => {
  await rm(work, { recursive: true, force: true });
});

describe('layerlab images / rmi / prune', () => {
  it('lists imported images as a table and as JSON', async () => {
    expect((await layerlab(['--root', root, 'import', busybox.rootfsTar, 'box:one'])).code).toBe(0);
    expect((await layerlab(['import', busybox.rootfsTar, 'example.com:5000/team/box:two', '--root', root])).code).toBe(0);
    const table = await layerlab(['--root', root, 'images']);
    expect(table.code).toBe(0);
    const lines = table.stdout.trimEnd().split('\n');
    expect(lines[0]).toMatch(/^REPOSITORY\s+TAG\s+IMAGE ID\s+CREATED\s+SIZE$/);
    expect(lines.slice(1).map((l) => l.split(/\s{3,}/).slice(0, 2))).toEqual([
      ['box', 'one'],
      ['example.com:5000/team/box', 'two'],
    ]);
    const json = JSON.parse((await layerlab(['--root', root, 'images', '--json'])).stdout) as Array<Record<string, unknown>>;
    expect(json.map((r) => r.name)).toEqual(['docker.io/library/box:one', 'example.com:5000/team/box:two']);
    expect(json[0]!.id).toMatch(/^sha256:[a-f0-9]{64}$/);
    expect(lines[1]).toContain((json[0]!.id as string).slice(7, 19));
    expect(json[0]!.size).toBeGreaterThan(500_000);
  });

  it('rmi says what it untagged, and fails with exit 2 on an unknown image', async () => {
    const removed = await layerlab(['--root', root, 'rmi', 'example.com:5000/team/box:two']);
    expect(removed).toMatchObject({ code: 0, stdout: 'Untagged: example.com:5000/team/box:two\n' });
    const missing = await layerlab(['--root', root, 'rmi', 'nope:1']);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toContain('image "nope:1" is not in the store');
  });

  it('prune keeps what refs and the build cache index reach, frees the rest and says how much', async () => {
    const store = await Store.open(root);
    // A blob only the engine's cache index mentions must survive.
    const cached = await store.writeBlob('cached layer stand-in');
    await writeFile(store.cacheIndexPath, JSON.stringify({ entries: [{ key: 'k', layerDiffId: 'sha256:' + 'a'.repeat(64), blobDigest: cached.digest }] }));
    const garbage = await store.writeBlob(Buffer.alloc(123_456, 1));
    const before = await readdir(join(root, 'blobs/sha256'));
    const pruned = await layerlab(['--root', root, 'prune']);
    expect(pruned.code).toBe(0);
    // Image two's manifest and config go with the garbage blob; its layer is shared with image one.
    expect(pruned.stdout).toMatch(/^Deleted 3 blobs, 0 unpacked layers\nTotal reclaimed space: 12\dkB\n$/);
    const after = await readdir(join(root, 'blobs/sha256'));
    expect(before.length - after.length).toBe(3);
    expect(await store.hasBlob(garbage.digest)).toBe(false);
    expect(await store.hasBlob(cached.digest)).toBe(true);
    expect((await layerlab(['--root', root, 'save', 'box:one', '-o', join(work, 'still-whole')])).code).toBe(0);
    expect((await layerlab(['--root', root, 'prune'])).stdout).toBe('Deleted 0 blobs, 0 unpacked layers\nTotal reclaimed space: 0B\n');
  });

  it('prune removes unpacked layers of images that are gone', async () => {
    const store = await Store.open(root);
    const { resolveImage } = await import('../../src/image/image.js');
    await (await resolveImage(store, 'box:one')).unpackLayers(store);
    expect(await readdir(join(root, 'layers'))).toHaveLength(1);
    expect((await layerlab(['--root', root, 'prune'])).stdout).toMatch(/^Deleted 0 blobs, 0 unpacked layers/);
    await layerlab(['--root', root, 'rmi', 'box:one']);
    await rm(store.cacheIndexPath);
    const pruned = await layerlab(['--root', root, 'prune']);
    expect(pruned.stdout).toMatch(/^Deleted 4 blobs, 1 unpacked layer\nTotal reclaimed space: \d\.\d+MB\n$/);
    expect(await readdir(join(root, 'layers'))).toEqual([]);
    expect(await readdir(join(root, 'blobs/sha256'))).toEqual([]);
  });

  it('formats sizes and ages the way docker does', () => {
    expect(formatBytes(0)).toBe('0B');
    expect(formatBytes(1_052_656)).toBe('1.05MB');
    expect(formatBytes(999)).toBe('999B');
    const now = new Date('2024-01-10T00:00:00Z');
    expect(timeAgo(new Date('2024-01-09T00:00:00Z'), now)).toBe('A day ago');
    expect(timeAgo(new Date('2024-01-07T00:00:00Z'), now)).toBe('3 days ago');
    expect(timeAgo(new Date('2024-01-09T22:00:00Z'), now)).toBe('2 hours ago');
  });
});
