/**
 * The small base image every test builds on: busybox-static with its applet
 * links, /etc/passwd (root, nobody, user 1000), /etc/group, /tmp 1777, /root
 * and /home/user. One gzip layer, an OCI manifest, built by hand with tar-stream
 * and sha256 so that nothing but the busybox binary decides its digests: the
 * same machine always gets the same manifest digest.
 *
 *   const base = await testBaseImage();   // pushed to the test registry
 *   base.ref   // '127.0.0.1:5000/layerlab-test/busybox:latest'
 *
 *   const local = await buildBusyboxImage();  // only the OCI layout + rootfs tar
 *
 * The built layout is cached under the temp dir, keyed by the busybox binary's
 * digest, and written atomically (build in a sibling dir, then rename), so
 * parallel test processes and repeated runs share it. Pushing is skipped when
 * the registry already serves the same manifest digest under the tag.
 */
import { spawn, execFileSync } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import type { Header } from 'tar-stream';
import { ensureRegistry, registryAddress } from './registry.js';
import { packTar, type PackedEntry } from './tar.js';

export const BUSYBOX_PATH = process.env.LAYERLAB_TEST_BUSYBOX || '/bin/busybox';
export const TEST_BASE_REPOSITORY = 'layerlab-test/busybox';
export const TEST_BASE_TAG = 'latest';

const OCI_MANIFEST = 'application/vnd.oci.image.manifest.v1+json';
const OCI_CONFIG = 'application/vnd.oci.image.config.v1+json';
const OCI_LAYER_GZIP = 'application/vnd.oci.image.layer.v1.tar+gzip';
const OCI_INDEX = 'application/vnd.oci.image.index.v1+json';

/** Fixed timestamp for every entry and the config, so the digests are stable. */
const EPOCH = new Date('2024-01-01T00:00:00Z');

export interface BusyboxImage {
  /** OCI image layout dir (oci-layout, index.json, blobs/sha256/...). Tag "latest" in index.json. */
  layoutDir: string;
  /** The layer uncompressed: a rootfs tarball, as `layerlab import` takes. */
  rootfsTar: string;
  /** The layer gzip'd (the blob in the layout). */
  layerBlob: string;
  manifestDigest: string;
  manifestMediaType: string;
  manifestSize: number;
  configDigest: string;
  layerDigest: string;
  layerSize: number;
  diffId: string;
  /** Applet paths (e.g. "bin/sh", "usr/bin/wc") that are symlinks to /bin/busybox. */
  applets: string[];
  architecture: string;
}

export interface TestBaseImage extends BusyboxImage {
  /** '127.0.0.1:5000/layerlab-test/busybox:latest' (with the test registry's address). */
  ref: string;
  /** Same image pinned by digest: '127.0.0.1:5000/layerlab-test/busybox@sha256:…'. */
  refByDigest: string;
  registry: string;
  repository: string;
  tag: string;
  /** Same as manifestDigest: what the registry answers for the tag. */
  digest: string;
  /** Pass as `insecureRegistries` to pull/push/engine options: the test registry is plain HTTP. */
  insecureRegistries: string[];
}

/** GOARCH spelling of the host architecture, as image configs write it. */
export function hostGoArch(): string {
  const map: Record<string, string> = { x64: 'amd64', arm64: 'arm64', arm: 'arm', ia32: '386', ppc64: 'ppc64le', s390x: 's390x', riscv64: 'riscv64' };
  return map[process.arch] ?? process.arch;
}

function sha256(data: Buffer | string): string {
  return 'sha256:' + createHash('sha256').update(data).digest('hex');
}

function listApplets(): string[] {
  const out = execFileSync(BUSYBOX_PATH, ['--list-full'], { encoding: 'utf8' });
  const applets = out
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l && l !== 'bin/busybox');
  return [...new Set(applets)].sort();
}

const PASSWD = [
  'root:x:0:0:root:/root:/bin/sh',
  'nobody:x:65534:65534:nobody:/nonexistent:/bin/false',
  'user:x:1000:1000:user:/home/user:/bin/sh',
  '',
].join('\n');
const GROUP = ['root:x:0:', 'nogroup:x:65534:', 'user:x:1000:', ''].join('\n');

function buildRootfsTar(busybox: Buffer, applets: string[]): Promise<Buffer> {
  const base = { mtime: EPOCH, uid: 0, gid: 0, uname: 'root', gname: 'root' };
  const entries: PackedEntry[] = [];
  const entry = (header: Partial<Header> & { name: string }, body: Buffer | string = ''): void => {
    entries.push({ header: { ...base, ...header }, body });
  };

  const dirs = new Set(['bin', 'dev', 'etc', 'home', 'proc', 'root', 'sbin', 'sys', 'tmp', 'usr', 'usr/bin', 'usr/sbin', 'var']);
  for (const applet of applets) {
    const parts = applet.split('/');
    for (let i = 1; i < parts.length; i++) dirs.add(parts.slice(0, i).join('/'));
  }
  for (const dir of [...dirs].sort()) {
    const mode = dir === 'tmp' ? 0o1777 : dir === 'root' ? 0o700 : 0o755;
    entry({ name: `${dir}/`, type: 'directory', mode });
  }
  entry({ name: 'home/user/', type: 'directory', mode: 0o755, uid: 1000, gid: 1000, uname: 'user', gname: 'user' });
  entry({ name: 'bin/busybox', type: 'file', mode: 0o755 }, busybox);
  entry({ name: 'etc/passwd', type: 'file', mode: 0o644 }, PASSWD);
  entry({ name: 'etc/group', type: 'file', mode: 0o644 }, GROUP);
  for (const applet of applets) {
    entry({ name: applet, type: 'symlink', linkname: '/bin/busybox', mode: 0o777 });
  }
  return packTar(entries);
}

let built: Promise<BusyboxImage> | undefined;

/** Builds (or finds in the cache) the busybox OCI layout. Needs no registry. */
export function buildBusyboxImage(): Promise<BusyboxImage> {
  built ??= buildBusyboxImageUncached();
  return built;
}

async function buildBusyboxImageUncached(): Promise<BusyboxImage> {
  const busybox = await readFile(BUSYBOX_PATH);
  const key = sha256(busybox).slice(7, 19);
  const cacheDir = join(tmpdir(), `layerlab-test-busybox-${key}`);
  const infoFile = join(cacheDir, 'image.json');
  if (existsSync(infoFile)) return JSON.parse(await readFile(infoFile, 'utf8')) as BusyboxImage;

  const applets = listApplets();
  const rootfs = await buildRootfsTar(busybox, applets);
  // Node's gzip writes mtime 0 and a fixed OS byte, so this is deterministic.
  const layer = gzipSync(rootfs, { level: 6 });
  const diffId = sha256(rootfs);
  const layerDigest = sha256(layer);
  const architecture = hostGoArch();
  const config = JSON.stringify({
    created: EPOCH.toISOString(),
    architecture,
    os: 'linux',
    config: {
      Env: ['PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin'],
      Cmd: ['sh'],
    },
    rootfs: { type: 'layers', diff_ids: [diffId] },
    history: [{ created: EPOCH.toISOString(), created_by: 'layerlab test helper: busybox-static rootfs' }],
  });
  const configDigest = sha256(config);
  const manifest = JSON.stringify({
    schemaVersion: 2,
    mediaType: OCI_MANIFEST,
    config: { mediaType: OCI_CONFIG, digest: configDigest, size: Buffer.byteLength(config) },
    layers: [{ mediaType: OCI_LAYER_GZIP, digest: layerDigest, size: layer.length }],
  });
  const manifestDigest = sha256(manifest);
  const index = JSON.stringify({
    schemaVersion: 2,
    mediaType: OCI_INDEX,
    manifests: [
      {
        mediaType: OCI_MANIFEST,
        digest: manifestDigest,
        size: Buffer.byteLength(manifest),
        annotations: { 'org.opencontainers.image.ref.name': TEST_BASE_TAG },
      },
    ],
  });

  const work = `${cacheDir}.tmp-${process.pid}-${randomBytes(4).toString('hex')}`;
  const blobs = join(work, 'blobs', 'sha256');
  await mkdir(blobs, { recursive: true });
  await writeFile(join(work, 'oci-layout'), JSON.stringify({ imageLayoutVersion: '1.0.0' }));
  await writeFile(join(work, 'index.json'), index);
  await writeFile(join(blobs, layerDigest.slice(7)), layer);
  await writeFile(join(blobs, configDigest.slice(7)), config);
  await writeFile(join(blobs, manifestDigest.slice(7)), manifest);
  await writeFile(join(work, 'rootfs.tar'), rootfs);
  const info: BusyboxImage = {
    layoutDir: join(cacheDir, 'layout'),
    rootfsTar: join(cacheDir, 'rootfs.tar'),
    layerBlob: join(cacheDir, 'layout', 'blobs', 'sha256', layerDigest.slice(7)),
    manifestDigest,
    manifestMediaType: OCI_MANIFEST,
    manifestSize: Buffer.byteLength(manifest),
    configDigest,
    layerDigest,
    layerSize: layer.length,
    diffId,
    applets,
    architecture,
  };
  // Final shape: <cacheDir>/{layout/, rootfs.tar, image.json}; image.json last
  // inside the temp dir so a cache dir that exists is always complete.
  const staged = `${work}-final`;
  await mkdir(staged);
  await rename(work, join(staged, 'layout'));
  await rename(join(staged, 'layout', 'rootfs.tar'), join(staged, 'rootfs.tar'));
  await writeFile(join(staged, 'image.json'), JSON.stringify(info, null, 2));
  try {
    await rename(staged, cacheDir);
  } catch (err) {
    // Another test process finished first: theirs is identical, use it.
    const code = (err as NodeJS.ErrnoException).code;
    if (code !== 'ENOTEMPTY' && code !== 'EEXIST') throw err;
    await rm(staged, { recursive: true, force: true });
  }
  return info;
}

async function registryServes(registry: string, repository: string, tag: string, digest: string): Promise<boolean> {
  try {
    const res = await fetch(`http://${registry}/v2/${repository}/manifests/${tag}`, {
      method: 'HEAD',
      headers: { Accept: OCI_MANIFEST },
      signal: AbortSignal.timeout(5000),
    });
    return res.status === 200 && res.headers.get('docker-content-digest') === digest;
  } catch {
    return false;
  }
}

function skopeo(args: string[]): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn('skopeo', args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (d: Buffer) => (output += d.toString()));
    child.stderr.on('data', (d: Buffer) => (output += d.toString()));
    child.on('error', reject);
    child.on('close', (code) =>
      code === 0 ? resolve() : reject(new Error(`skopeo ${args.join(' ')} exited with ${code}:\n${output}`)),
    );
  });
}

/**
 * Copies an OCI layout's image to `registry/repository:tag` with skopeo over
 * plain HTTP, keeping its digests. Exported for tests that need other images
 * in the registry.
 */
export async function pushLayoutWithSkopeo(layoutDir: string, layoutTag: string, destination: string): Promise<void> {
  await skopeo([
    'copy',
    '--quiet',
    '--preserve-digests',
    '--dest-tls-verify=false',
    `oci:${layoutDir}:${layoutTag}`,
    `docker://${destination}`,
  ]);
}

let pushed: Promise<TestBaseImage> | undefined;

/**
 * The busybox base image, present in the test registry (started if needed,
 * see ensureRegistry). Cheap after the first call in a process; across
 * processes, pushing is skipped when the registry already has it.
 */
export function testBaseImage(): Promise<TestBaseImage> {
  pushed ??= pushTestBaseImage().catch((err: unknown) => {
    pushed = undefined;
    throw err;
  });
  return pushed;
}

async function pushTestBaseImage(): Promise<TestBaseImage> {
  await ensureRegistry();
  const image = await buildBusyboxImage();
  const registry = registryAddress();
  const ref = `${registry}/${TEST_BASE_REPOSITORY}:${TEST_BASE_TAG}`;
  if (!(await registryServes(registry, TEST_BASE_REPOSITORY, TEST_BASE_TAG, image.manifestDigest))) {
    await pushLayoutWithSkopeo(image.layoutDir, TEST_BASE_TAG, ref);
    if (!(await registryServes(registry, TEST_BASE_REPOSITORY, TEST_BASE_TAG, image.manifestDigest))) {
      throw new Error(`skopeo pushed ${ref} but the registry does not answer digest ${image.manifestDigest} for it`);
    }
  }
  return {
    ...image,
    ref,
    refByDigest: `${registry}/${TEST_BASE_REPOSITORY}@${image.manifestDigest}`,
    registry,
    repository: TEST_BASE_REPOSITORY,
    tag: TEST_BASE_TAG,
    digest: image.manifestDigest,
    insecureRegistries: [registry],
  };
}
