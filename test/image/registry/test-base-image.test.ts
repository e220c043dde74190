import { execFileSync } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { afterAll, describe, expect, it } from 'vitest';
import { buildBusyboxImage, testBaseImage } from '../../helpers/busybox-image.js';
import { ensureRegistry } from '../../helpers/registry.js';

const release = await ensureRegistry();
afterAll(release);

describe('test base image helper', () => {
  it('builds the same busybox layout twice with the same digests', async () => {
    const image = await buildBusyboxImage();
    const index = JSON.parse(await readFile(`${image.layoutDir}/index.json`, 'utf8'));
    expect(index.manifests[0].digest).toBe(image.manifestDigest);
    expect(image.applets).toContain('bin/sh');
    expect(image.applets.length).toBeGreaterThan(100);
    // Listing the rootfs with the system tar proves the archive is well formed.
    const listing = execFileSync('tar', ['--numeric-owner', '-tvf', image.rootfsTar], { encoding: 'utf8' });
    expect(listing).toMatch(/^drwxrwxrwt 0\/0 .* tmp\/$/m);
    expect(listing).toMatch(/^drwxr-xr-x 1000\/1000 .* home\/user\/$/m);
    expect(listing).toMatch(/^lrwxrwxrwx 0\/0 .* bin\/sh -> \/bin\/busybox$/m);
    expect(listing).toMatch(/ etc\/passwd$/m);
  });

  it('is in the registry under its manifest digest, as skopeo sees it', async () => {
    const base = await testBaseImage();
    expect(base.ref).toMatch(/\/layerlab-test\/busybox:latest$/);
    const inspect = JSON.parse(
      execFileSync('skopeo', ['inspect', '--tls-verify=false', `docker://${base.ref}`], { encoding: 'utf8' }),
    );
    expect(inspect.Digest).toBe(base.digest);
    expect(inspect.Layers).toEqual([base.layerDigest]);
    // A second call in the same process is memoized and answers the same.
    expect((await testBaseImage()).digest).toBe(base.digest);
  });
});
