import { createHash, randomBytes, type Hash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { mkdir, mkdtemp, open, readFile, rename, rm, stat, type FileHandle } from 'node:fs/promises';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { withFileLock } from './lock.js';
import { digestHex, isSha256Digest } from './oci-types.js';
import { applyLayer } from './layer-apply.js';
import { syncFileSystem, writeFileAtomic } from './atomic-file.js';
import { removeStoreTree } from './remove-tree.js';
import { unpackInUserNamespace } from './unpack-in-namespace.js';
import { storeUserNamespace } from './user-namespace.js';

/**
 * The content-addressed store. Layout under the root:
 *
 *   blobs/sha256/<hex>   manifests, configs and layer blobs, by digest
 *   layers/<hex>/        unpacked layers by diff_id hex, ready as overlay lower dirs
 *   refs.json            { "<normalized ref>": { digest, mediaType } }
 *   cache/index.json     the engine's build cache index (a GC root, see prune)
 *   tmp/                 work area; everything is made here and renamed into place
 *   locks/               lock files (see lock.ts)
 *
 * Crash safety: a blob or an unpacked layer only appears at its final path by
 * rename(2) after it has been fully written, synced and verified, so anything
 * found at a final path is complete. Leftovers in tmp/ are never trusted and
 * are removed by prune.
 */
export class Store {
  readonly root: string;

  private constructor(root: string) {
    this.root = root;
  }

  static defaultRoot(): string {
    if (process.env.LAYERLAB_ROOT) return process.env.LAYERLAB_ROOT;
    const dataHome = process.env.XDG_DATA_HOME || join(homedir(), '.local', 'share');
    return join(dataHome, 'layerlab');
  }

  /** root: explicit, else $LAYERLAB_ROOT, else $XDG_DATA_HOME/layerlab, else ~/.local/share/layerlab. */
  static async open(root?: string): Promise<Store> {
    const store = new Store(root ?? Store.defaultRoot());
    for (const dir of ['blobs/sha256', 'layers', 'tmp', 'locks', 'cache']) {
      await mkdir(join(store.root, dir), { recursive: true });
    }
    return store;
  }

  get tmpDir(): string {
    return join(this.root, 'tmp');
  }

  get refsPath(): string {
    return join(this.root, 'refs.json');
  }

  get cacheIndexPath(): string {
    return join(this.root, 'cache', 'index.json');
  }

  // ---- blobs ----------------------------------------------------------------

  blobPath(digest: string): string {
    return join(this.root, 'blobs', 'sha256', digestHex(digest));
  }

  async hasBlob(digest: string): Promise<boolean> {
    return (await this.blobSize(digest)) !== undefined;
  }

  async blobSize(digest: string): Promise<number | undefined> {
    try {
      const info = await stat(this.blobPath(digest));
      return info.isFile() ? info.size : undefined;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw err;
    }
  }

  /** The whole blob, re-hashed so a blob damaged on disk is never trusted. */
  async readBlob(digest: string): Promise<Buffer> {
    let data: Buffer;
    try {
      data = await readFile(this.blobPath(digest));
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') throw new BlobNotFoundError(digest);
      throw err;
    }
    const actual = sha256Digest(data);
    if (actual !== digest) throw new CorruptBlobError(digest, actual, this.blobPath(digest));
    return data;
  }

  async readJsonBlob<T>(digest: string): Promise<T> {
    return JSON.parse((await this.readBlob(digest)).toString('utf8')) as T;
  }

  /** Re-hash a stored blob by streaming it (for layers, too big for readBlob). */
  async verifyBlob(digest: string): Promise<void> {
    const hash = createHash('sha256');
    try {
      for await (const chunk of createReadStream(this.blobPath(digest))) hash.update(chunk as Buffer);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') throw new BlobNotFoundError(digest);
      throw err;
    }
    const actual = `sha256:${hash.digest('hex')}`;
    if (actual !== digest) throw new CorruptBlobError(digest, actual, this.blobPath(digest));
  }

  async writeBlob(data: Buffer | string, expected?: string): Promise<{ digest: string; size: number }> {
    const bytes = typeof data === 'string' ? Buffer.from(data, 'utf8') : data;
    const digest = sha256Digest(bytes);
    if (expected !== undefined && expected !== digest) throw new DigestMismatchError(expected, digest, bytes.length);
    if (!(await this.hasBlob(digest))) {
      await writeFileAtomic(this.blobPath(digest), bytes, this.tmpDir);
    }
    return { digest, size: bytes.length };
  }

  /** Streaming ingest: write chunks, then commit() verifies size/digest and renames; abort() deletes. */
  async createBlobWriter(expected?: { digest: string; size?: number }): Promise<BlobWriter> {
    if (expected && !isSha256Digest(expected.digest)) digestHex(expected.digest);
    const tmpPath = join(this.tmpDir, `blob-${randomBytes(8).toString('hex')}`);
    const handle = await open(tmpPath, 'wx', 0o644);
    return new FileBlobWriter(this, handle, tmpPath, expected);
  }

  // ---- unpacked layers --------------------------------------------------------

  unpackedLayerPath(diffId: string): string {
    return join(this.root, 'layers', digestHex(diffId));
  }

  async hasUnpackedLayer(diffId: string): Promise<boolean> {
    try {
      return (await stat(this.unpackedLayerPath(diffId))).isDirectory();
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return false;
      throw err;
    }
  }

  /**
   * Extract a layer blob into layers/<diffId hex>/ with overlay whiteouts, so
   * the dirs of an image's layers stack as overlay lower dirs. The blob is
   * hashed while it is extracted (both its own digest and the uncompressed
   * diff_id); only when both match is the temp dir renamed into place.
   * Concurrent callers for the same layer wait on one lock and one extraction.
   *
   * Rootless with subordinate ids, the extraction runs in the build's user
   * namespace (unpack-in-namespace.ts), so files get the shifted owners and
   * `user.overlay.*` markers a rootless RUN step's upper dir has. Without
   * ranges only container root exists, and every file is the user's.
   */
  async ensureUnpackedLayer(diffId: string, blobDigest: string, mediaType: string): Promise<string> {
    const target = this.unpackedLayerPath(diffId);
    if (await this.hasUnpackedLayer(diffId)) return target;
    return this.withLock(`layer-${digestHex(diffId)}`, async () => {
      if (await this.hasUnpackedLayer(diffId)) return target;
      if (!(await this.hasBlob(blobDigest))) throw new BlobNotFoundError(blobDigest);
      const work = await mkdtemp(join(this.tmpDir, `unpack-${digestHex(diffId).slice(0, 12)}-`));
      const into = join(work, 'rootfs');
      try {
        const description = `layer ${blobDigest}`;
        const namespace = await storeUserNamespace();
        const { result, renamed } =
          namespace === 'subordinate'
            ? await unpackInUserNamespace({
                blobPath: this.blobPath(blobDigest),
                into,
                target,
                mediaType,
                description,
                expectedBlobDigest: blobDigest,
                expectedDiffId: diffId,
              })
            : {
                result: await applyLayer(createReadStream(this.blobPath(blobDigest)), into, {
                  whiteouts: 'overlay',
                  mediaType,
                  description,
                  // Rootless overlay (mounted with userxattr) reads user.overlay.*; only root can set trusted.*.
                  overlayXattrNamespace: namespace === 'host' ? 'trusted' : 'user',
                }),
                renamed: false,
              };
        if (result.compressedDigest !== blobDigest) {
          throw new CorruptBlobError(blobDigest, result.compressedDigest, this.blobPath(blobDigest));
        }
        if (result.diffId !== diffId) throw new DiffIdMismatchError(blobDigest, diffId, result.diffId);
        if (!renamed) {
          await syncFileSystem(into);
          await rename(into, target);
        }
        return target;
      } finally {
        // A failed rootless extraction leaves files of subordinate ids.
        await removeStoreTree(work);
      }
    });
  }

  // ---- refs -----------------------------------------------------------------

  async setRef(name: string, target: { digest: string; mediaType: string }): Promise<void> {
    digestHex(target.digest);
    // A rebuild that changed nothing names the same image: no lock, no write.
    const current = await this.getRef(name);
    if (current?.digest === target.digest && current.mediaType === target.mediaType) return;
    await this.withLock('refs', async () => {
      const refs = await this.readRefs();
      refs[name] = { digest: target.digest, mediaType: target.mediaType };
      await this.writeRefs(refs);
    });
  }

  async getRef(name: string): Promise<{ digest: string; mediaType: string } | undefined> {
    const refs = await this.readRefs();
    return Object.hasOwn(refs, name) ? refs[name] : undefined;
  }

  async listRefs(): Promise<Array<{ name: string; digest: string; mediaType: string }>> {
    const refs = await this.readRefs();
    return Object.keys(refs)
      .sort()
      .map((name) => ({ name, ...refs[name]! }));
  }

  async deleteRef(name: string): Promise<boolean> {
    return this.withLock('refs', async () => {
      const refs = await this.readRefs();
      if (!Object.hasOwn(refs, name)) return false;
      delete refs[name];
      await this.writeRefs(refs);
      return true;
    });
  }

  private async readRefs(): Promise<Record<string, { digest: string; mediaType: string }>> {
    try {
      const parsed = JSON.parse(await readFile(this.refsPath, 'utf8')) as unknown;
      if (!parsed || typeof parsed !== 'object' || Array.isArray(parsed)) throw new CorruptRefsError(this.refsPath);
      return Object.assign(Object.create(null), parsed) as Record<string, { digest: string; mediaType: string }>;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return Object.create(null);
      if (err instanceof SyntaxError) throw new CorruptRefsError(this.refsPath);
      throw err;
    }
  }

  private async writeRefs(refs: Record<string, { digest: string; mediaType: string }>): Promise<void> {
    await writeFileAtomic(this.refsPath, `${JSON.stringify(refs, null, 2)}\n`, this.tmpDir);
  }

  // ---- locks ----------------------------------------------------------------

  /** Exclusive advisory lock across processes (see lock.ts). */
  async withLock<T>(name: string, fn: () => Promise<T>): Promise<T> {
    if (!/^[A-Za-z0-9._-]+$/.test(name)) throw new Error(`bad lock name "${name}"`);
    return withFileLock(join(this.root, 'locks', `${name}.lock`), fn);
  }
}

export interface BlobWriter {
  write(chunk: Buffer): Promise<void>;
  readonly written: number;
  commit(): Promise<{ digest: string; size: number }>;
  abort(): Promise<void>;
}

class FileBlobWriter implements BlobWriter {
  private readonly hash: Hash = createHash('sha256');
  private bytes = 0;
  private done = false;

  constructor(
    private readonly store: Store,
    private readonly handle: FileHandle,
    private readonly tmpPath: string,
    private readonly expected?: { digest: string; size?: number },
  ) {}

  get written(): number {
    return this.bytes;
  }

  async write(chunk: Buffer): Promise<void> {
    if (this.done) throw new Error('blob writer already committed or aborted');
    this.hash.update(chunk);
    this.bytes += chunk.length;
    let offset = 0;
    while (offset < chunk.length) {
      const { bytesWritten } = await this.handle.write(chunk, offset, chunk.length - offset);
      offset += bytesWritten;
    }
  }

  async commit(): Promise<{ digest: string; size: number }> {
    if (this.done) throw new Error('blob writer already committed or aborted');
    this.done = true;
    const digest = `sha256:${this.hash.digest('hex')}`;
    try {
      if (this.expected?.size !== undefined && this.expected.size !== this.bytes) {
        throw new SizeMismatchError(this.expected.digest, this.expected.size, this.bytes);
      }
      if (this.expected && this.expected.digest !== digest) {
        throw new DigestMismatchError(this.expected.digest, digest, this.bytes);
      }
      await this.handle.sync();
      await this.handle.close();
      await rename(this.tmpPath, this.store.blobPath(digest));
      return { digest, size: this.bytes };
    } catch (err) {
      await this.handle.close().catch(() => undefined);
      await rm(this.tmpPath, { force: true });
      throw err;
    }
  }

  async abort(): Promise<void> {
    if (this.done) return;
    this.done = true;
    await this.handle.close().catch(() => undefined);
    await rm(this.tmpPath, { force: true });
  }
}

export function sha256Digest(data: Buffer | string): string {
  return `sha256:${createHash('sha256').update(data).digest('hex')}`;
}

export class DigestMismatchError extends Error {
  readonly isUserError = true;
  readonly exitCode = 2;
  constructor(readonly expected: string, readonly actual: string, readonly size: number) {
    super(`content does not match its digest: expected ${expected}, got ${actual} (${size} bytes); nothing was stored`);
    this.name = 'DigestMismatchError';
  }
}

export class SizeMismatchError extends Error {
  readonly isUserError = true;
  readonly exitCode = 2;
  constructor(readonly digest: string, readonly expectedSize: number, readonly actualSize: number) {
    super(`blob ${digest} should be ${expectedSize} bytes but ${actualSize} arrived; nothing was stored`);
    this.name = 'SizeMismatchError';
  }
}

export class BlobNotFoundError extends Error {
  readonly isUserError = true;
  readonly exitCode = 2;
  constructor(readonly digest: string) {
    super(`blob ${digest} is not in the store`);
    this.name = 'BlobNotFoundError';
  }
}

export class CorruptBlobError extends Error {
  readonly isUserError = true;
  readonly exitCode = 2;
  constructor(readonly digest: string, readonly actual: string, readonly path: string) {
    super(`stored blob ${path} is damaged: its content hashes to ${actual}, not ${digest}; run \`layerlab prune\` and fetch the image again`);
    this.name = 'CorruptBlobError';
  }
}

export class DiffIdMismatchError extends Error {
  readonly isUserError = true;
  readonly exitCode = 2;
  constructor(readonly blobDigest: string, readonly expected: string, readonly actual: string) {
    super(`layer ${blobDigest} uncompresses to ${actual}, but the image config says its diff_id is ${expected}`);
    this.name = 'DiffIdMismatchError';
  }
}

export class CorruptRefsError extends Error {
  readonly isUserError = true;
  readonly exitCode = 2;
  constructor(readonly path: string) {
    super(`${path} is not a JSON object of image references; fix or remove it`);
    this.name = 'CorruptRefsError';
  }
}
