/**
 * `layerlab pull` and `layerlab push` end to end through the CLI entry
 * point, against the test registry, with skopeo as the independent witness.
 */
import { execFileSync } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough, Writable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { main } from '../../../src/cli/main.js';
import { Store } from '../../../src/image/store.js';
import { testBaseImage, type TestBaseImage } from '../../helpers/busybox-image.js';
import { ensureRegistry } from '../../helpers/registry.js';
import { startFaultServer } from './fault-server.js';
import { uniqueRepository } from './test-images.js';

let release: () => Promise<void>;
let base: TestBaseImage;
let work: string;

beforeAll(async () => {
  release = await ensureRegistry();
  base = await testBaseImage();
  work = await mkdtemp(join(tmpdir(), 'layerlab-cli-registry-test-'));
});
afterAll(async () => {
  await rm(work, { recursive: true, force: true });
  await release();
});

function collector(): Writable & { text: () => string } {
  const chunks: Buffer[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _enc, done) {
      chunks.push(Buffer.from(chunk));
      done();
    },
  }) as Writable & { text: () => string };
  stream.text = () => Buffer.concat(chunks).toString('utf8');
  return stream;
}

async function layerlab(...argv: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  const stdout = collector();
  const stderr = collector();
  const code = await main(argv, { stdout, stderr, stdin: new PassThrough() });
  return { code, stdout: stdout.text(), stderr: stderr.text() };
}

describe('layerlab pull', () => {
  it('pulls into --root and prints the digest and the reference, like docker', async () => {
    const root = join(work, 'pull-root');
    const run = await layerlab('--root', root, '--insecure-registry', base.registry, 'pull', base.ref);
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    const lines = run.stdout.trimEnd().split('\n');
    expect(lines[0]).toBe(`Pulling ${base.ref}`);
    expect(lines).toContain(`${base.layerDigest.slice(7, 19)}: Downloading ${(base.layerSize / 1e6).toFixed(2)} MB`);
    expect(lines).toContain(`${base.layerDigest.slice(7, 19)}: Pull complete`);
    expect(lines).toContain(`Digest: ${base.digest}`);
    expect(lines).toContain(`Status: Downloaded newer image for ${base.ref}`);
    expect(lines.at(-1)).toBe(base.ref);
    const store = await Store.open(root);
    expect((await store.getRef(base.ref))?.digest).toBe(base.digest);

    const again = await layerlab('--root', root, '--insecure-registry', base.registry, 'pull', base.ref);
    expect(again.stdout).toContain(`${base.layerDigest.slice(7, 19)}: Already exists`);
    expect(again.stdout).toContain(`Status: Image is up to date for ${base.ref}`);
  });

  it('-q prints only the reference', async () => {
    const run = await layerlab('--root', join(work, 'quiet'), 'pull', '-q', base.ref, '--insecure-registry', base.registry);
    expect(run.code).toBe(0);
    expect(run.stdout).toBe(`${base.ref}\n`);
  });

  it('exits 2 with one line for a bad reference, an unknown tag and a missing --insecure-registry', async () => {
    const bad = await layerlab('--root', join(work, 'bad'), 'pull', 'Not/Valid');
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/^invalid image reference "Not\/Valid"/);

    const missing = await layerlab('--root', join(work, 'bad'), '--insecure-registry', base.registry, 'pull', `${base.registry}/${base.repository}:nope`);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toBe(`manifest unknown: ${base.registry}/${base.repository}:nope (MANIFEST_UNKNOWN: manifest unknown)\n`);

    const https = await layerlab('--root', join(work, 'bad'), 'pull', base.ref);
    expect(https.code).toBe(2);
    expect(https.stderr).toContain('--insecure-registry');

    const usage = await layerlab('pull');
    expect(usage.code).toBe(2);
  });
});

describe('layerlab push', () => {
  it('pushes what was pulled to a new name; skopeo sees the same digest; pull by digest brings it back', async () => {
    const root = join(work, 'push-root');
    expect((await layerlab('--root', root, '--insecure-registry', base.registry, 'pull', '-q', base.ref)).code).toBe(0);
    const dest = `${base.registry}/${uniqueRepository('cli-push')}:v1`;
    const run = await layerlab('--root', root, '--insecure-registry', base.registry, 'push', base.ref, dest);
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    const lines = run.stdout.trimEnd().split('\n');
    expect(lines[0]).toBe(`The push refers to repository [${dest.replace(/:v1$/, '')}]`);
    expect(lines).toContain(`${base.layerDigest.slice(7, 19)}: Mounted from source repository`);
    expect(lines.at(-1)).toMatch(new RegExp(`^v1: digest: ${base.digest} size: \\d+$`));

    const inspected = JSON.parse(execFileSync('skopeo', ['inspect', '--tls-verify=false', `docker://${dest}`], { encoding: 'utf8' }));
    expect(inspected.Digest).toBe(base.digest);

    const byDigest = `${dest.replace(/:v1$/, '')}@${base.digest}`;
    const back = await layerlab('--root', join(work, 'push-back'), '--insecure-registry', base.registry, 'pull', byDigest);
    expect(back.code).toBe(0);
    expect(back.stdout).toContain(`Digest: ${base.digest}`);
  });

  it('--chunk-size sends big blobs in PATCH chunks', async () => {
    const root = join(work, 'chunk-root');
    expect((await layerlab('--root', root, '--insecure-registry', base.registry, 'pull', '-q', base.ref)).code).toBe(0);
    const proxy = await startFaultServer({ upstream: `http://${base.registry}` });
    try {
      const dest = `${proxy.host}/${uniqueRepository('cli-chunk')}:v1`;
      const run = await layerlab('--root', root, '--insecure-registry', proxy.host, 'push', '--chunk-size', '256k', base.ref, dest);
      expect(run.code).toBe(0);
      expect(run.stdout).toContain(`${base.layerDigest.slice(7, 19)}: Pushed`);
      const patches = proxy.requests.filter((r) => r.method === 'PATCH');
      expect(patches).toHaveLength(Math.ceil(base.layerSize / (256 * 1024)));
      const inspected = JSON.parse(
        execFileSync('skopeo', ['inspect', '--tls-verify=false', `docker://${dest.replace(proxy.host, base.registry)}`], { encoding: 'utf8' }),
      );
      expect(inspected.Digest).toBe(base.digest);
    } finally {
      await proxy.close();
    }
  });

  it('exits 2 when the image is not in the store or the chunk size is not a size', async () => {
    const none = await layerlab('--root', join(work, 'empty'), 'push', 'nothing:here');
    expect(none.code).toBe(2);
    expect(none.stderr).toBe('no such image in the store: docker.io/library/nothing:here (see `layerlab images`)\n');
    const badSize = await layerlab('--root', join(work, 'empty'), 'push', '--chunk-size', 'lots', 'nothing:here');
    expect(badSize.code).toBe(2);
    expect(badSize.stderr).toContain('--chunk-size lots');
  });
});
