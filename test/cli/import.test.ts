/** `layerlab import ROOTFS.tar REF`, like `docker import`. */
import { execFileSync } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildBusyboxImage, hostGoArch, type BusyboxImage } from '../helpers/busybox-image.js';
import { layerlab } from '../image/cli-runner.js';
import { resolveImage } from '../../src/image/image.js';
import { Store } from '../../src/image/store.js';
import { MediaTypes } from '../../src/image/oci-types.js';

let work: string;
let root: string;
let busybox: BusyboxImage;

beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), 'layerlab-cli-import-'));
  root = join(work, 'store');
  busybox = await buildBusyboxImage();
});
afterAll(async () => {
  await rm(work, { recursive: true, force: true });
});

describe('layerlab import', () => {
  it('makes a one-layer gzip image: linux, host arch, diff_id of the tar, "Imported from" history, --change applied', async () => {
    const result = await layerlab(['--root', root, 'import', '-c', 'CMD ["sh"]', '--change', 'ENV A=1 B="two words"', '-c', 'WORKDIR /root', busybox.rootfsTar, 'imported:1']);
    expect(result.code).toBe(0);
    const store = await Store.open(root);
    const image = await resolveImage(store, 'imported:1');
    expect(result.stdout).toBe(`${image.id}\n`);
    expect(image.layers).toHaveLength(1);
    expect(image.layers[0]!.descriptor.mediaType).toBe(MediaTypes.ociLayerGzip);
    expect(image.diffIds).toEqual([busybox.diffId]);
    expect(image.config).toMatchObject({ os: 'linux', architecture: hostGoArch(), config: { Cmd: ['sh'], Env: ['A=1', 'B=two words'], WorkingDir: '/root' } });
    expect(image.config.history).toEqual([{ created: image.config.created, created_by: '', comment: `Imported from ${busybox.rootfsTar.split('/').pop()}` }]);
    const [dir] = await image.unpackLayers(store);
    expect((await readFile(join(dir!, 'etc/passwd'), 'utf8'))).toContain('root:x:0:0');
  });

  it('keeps an already gzip tarball as it is (same digest)', async () => {
    const gz = join(work, 'rootfs.tar.gz');
    const bytes = gzipSync(await readFile(busybox.rootfsTar));
    await writeFile(gz, bytes);
    expect((await layerlab(['--root', root, 'import', gz, 'imported:gz'])).code).toBe(0);
    const image = await resolveImage(await Store.open(root), 'imported:gz');
    expect(image.diffIds).toEqual([busybox.diffId]);
    expect(image.layers[0]!.descriptor.size).toBe(bytes.length);
  });

  it('refuses a file that is not a tar, a bad reference and a bad --change, with exit 2 and nothing stored', async () => {
    const notTar = join(work, 'notes.txt');
    await writeFile(notTar, 'just text, not a tarball\n');
    const bad = await layerlab(['--root', root, 'import', notTar, 'x:1']);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain(`${notTar} is not a tar archive`);
    const badRef = await layerlab(['--root', root, 'import', busybox.rootfsTar, 'UPPER:1']);
    expect(badRef.code).toBe(2);
    expect(badRef.stderr).toContain('invalid image reference');
    const badChange = await layerlab(['--root', root, 'import', '-c', 'RUN rm -rf /', busybox.rootfsTar, 'x:1']);
    expect(badChange.code).toBe(2);
    expect(badChange.stderr).toContain('RUN cannot be changed on import');
    const store = await Store.open(root);
    expect(await store.getRef('docker.io/library/x:1')).toBeUndefined();
    expect(execFileSync('ls', [join(root, 'tmp')], { encoding: 'utf8' })).toBe('');
  });
});
