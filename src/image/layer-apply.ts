import { createHash } from 'node:crypto';
import { chmod, lchown, link, lstat, lutimes, mkdir, open, readdir, rm, symlink, utimes } from 'node:fs/promises';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import tarStream from 'tar-stream';
import { runCommand } from './external-command.js';
import { decompressLayer, drainOrClose, type DetectedCompression } from './layer-compression.js';
import {
  entryPathComponents,
  HardlinkEscapeError,
  LayerPathTraversalError,
  resolveDirectoryInRoot,
  SymlinkEscapeError,
} from './safe-path.js';
import { TarXattrScanner } from './tar-xattr-scanner.js';

/**
 * Apply one layer tar (gzip or plain) to a directory.
 *
 * Two ways to treat OCI whiteouts (`.wh.NAME` hides NAME of lower layers,
 * `.wh..wh..opq` hides all lower content of its directory):
 * - `overlay`: the directory is this layer alone, later stacked as an overlay
 *   lower dir. Whiteouts become overlay whiteouts: a 0/0 character device for
 *   a removed path, the `<ns>.overlay.opaque=y` xattr on an opaque dir.
 * - `delete`: the directory is a flat rootfs holding the layers below; the
 *   whiteouts delete from it, sparing what this same layer wrote (the spec
 *   says whiteouts apply to lower layers only).
 *
 * Nothing is ever written outside `target` (see safe-path.ts for the rules).
 * While extracting, the compressed and uncompressed bytes are hashed, so the
 * caller can check the blob digest and the diff_id before trusting the result.
 */
export type WhiteoutMode = 'overlay' | 'delete';

export interface LayerWarning {
  code: 'device-skipped' | 'xattr-skipped' | 'unsupported-entry' | 'aufs-metadata' | 'hardlink-missing';
  path: string;
  message: string;
}

export interface ApplyLayerOptions {
  whiteouts: WhiteoutMode;
  /** Declared media type, used in messages only: the compression is sniffed from the bytes. */
  mediaType?: string;
  /** Map tar uid/gid to host ids (rootless stores hold shifted ids); `path` is the entry's name, for messages. */
  mapIds?: (uid: number, gid: number, path: string) => { uid: number; gid: number };
  /**
   * Act as root: chown, create device nodes, set trusted.* and security.*
   * xattrs. Default: whether this process runs as uid 0.
   */
  privileged?: boolean;
  /**
   * The process is root of a user namespace, not the host's root: chown to
   * the namespace's ids works, but of the non-user xattrs only
   * security.capability can be set (the kernel stores it namespaced);
   * trusted.* and the rest are skipped with a warning.
   */
  inUserNamespace?: boolean;
  /** xattr namespace of overlay markers: "trusted" (default) or "user" (overlay mounted with userxattr). */
  overlayXattrNamespace?: 'trusted' | 'user';
  /** A description of the layer for messages, e.g. its digest. */
  description?: string;
  onWarning?: (warning: LayerWarning) => void;
}

export interface ApplyLayerResult {
  diffId: string;
  compressedDigest: string;
  compressedSize: number;
  uncompressedSize: number;
  compression: DetectedCompression;
  entries: number;
  warnings: LayerWarning[];
}

export class LayerFormatError extends Error {
  readonly isUserError = true;
  readonly exitCode = 2;
  constructor(readonly path: string, problem: string) {
    super(`layer entry "${path}": ${problem}`);
    this.name = 'LayerFormatError';
  }
}

export { HardlinkEscapeError, LayerPathTraversalError, SymlinkEscapeError };

type TarEntry = AsyncIterable<Buffer> & { header: tarStream.Header };

const whiteoutPrefix = '.wh.';
const opaqueMarker = '.wh..wh..opq';

interface DeferredDirectory {
  path: string;
  mode: number;
  uid: number;
  gid: number;
  mtime: Date;
}

export async function applyLayer(source: Readable | AsyncIterable<Buffer>, target: string, options: ApplyLayerOptions): Promise<ApplyLayerResult> {
  const applier = new LayerApplier(target, options);
  return applier.run(source);
}

class LayerApplier {
  private readonly privileged: boolean;
  private readonly warnings: LayerWarning[] = [];
  /** Root-relative real paths this layer wrote (files, dirs, links, dirs made on the way). */
  private readonly written = new Set<string>();
  private readonly deferredDirectories = new Map<string, DeferredDirectory>();
  private readonly overlayWhiteouts: string[] = [];
  private readonly xattrs: Array<{ path: string; name: string; value: Buffer }> = [];
  private readonly scanner = new TarXattrScanner();
  private scannedIndex = 0;

  constructor(
    private readonly target: string,
    private readonly options: ApplyLayerOptions,
  ) {
    this.privileged = options.privileged ?? process.getuid?.() === 0;
  }

  private get what(): string {
    return this.options.description ?? `layer (${this.options.mediaType ?? 'unknown media type'})`;
  }

  async run(source: Readable | AsyncIterable<Buffer>): Promise<ApplyLayerResult> {
    await mkdir(this.target, { recursive: true, mode: 0o755 });
    const compressedHash = createHash('sha256');
    const diffHash = createHash('sha256');
    let compressedSize = 0;
    let uncompressedSize = 0;
    let compression: DetectedCompression = 'none';
    const scanner = this.scanner;
    const uncompressed = decompressLayer(
      source as AsyncIterable<Buffer>,
      this.what,
      (chunk) => {
        compressedHash.update(chunk);
        compressedSize += chunk.length;
      },
      (detected) => (compression = detected),
    );

    const extract = tarStream.extract();
    const feeding = (async () => {
      try {
        for await (const chunk of uncompressed) {
          diffHash.update(chunk);
          uncompressedSize += chunk.length;
          scanner.feed(chunk);
          if (extract.destroyed) continue;
          if (!extract.write(chunk)) await drainOrClose(extract);
        }
        if (!extract.destroyed) extract.end(undefined);
      } catch (err) {
        extract.destroy(err as Error);
        throw err;
      }
    })();
    // The loop below reports feeding errors through extract; keep Node quiet meanwhile.
    feeding.catch(() => undefined);

    let entries = 0;
    try {
      for await (const entry of extract) {
        entries++;
        await this.applyEntry(entry as unknown as TarEntry);
      }
    } catch (err) {
      extract.destroy(err as Error);
      await feeding.catch(() => undefined);
      throw err;
    }
    await feeding;

    await this.finish();
    return {
      diffId: `sha256:${diffHash.digest('hex')}`,
      compressedDigest: `sha256:${compressedHash.digest('hex')}`,
      compressedSize,
      uncompressedSize,
      compression,
      entries,
      warnings: this.warnings,
    };
  }

  private warn(code: LayerWarning['code'], path: string, message: string): void {
    const warning = { code, path, message };
    this.warnings.push(warning);
    this.options.onWarning?.(warning);
  }

  private ids(header: tarStream.Header): { uid: number; gid: number } {
    const uid = header.uid ?? 0;
    const gid = header.gid ?? 0;
    return this.options.mapIds ? this.options.mapIds(uid, gid, header.name) : { uid, gid };
  }

  private async applyEntry(entry: TarEntry): Promise<void> {
    const header = entry.header;
    const name = header.name;
    const rawXattrs = this.takeScannedXattrs(name, header);
    try {
      const parts = entryPathComponents(name);
      const base = parts.at(-1) ?? '';
      if (base.startsWith(whiteoutPrefix)) {
        await this.applyWhiteout(name, parts.slice(0, -1), base);
        return;
      }
      if (parts.length === 0) {
        if (header.type !== 'directory') throw new LayerFormatError(name, `a ${header.type} cannot replace the root directory`);
        this.deferDirectory('', this.target, header);
        this.queueXattrs(this.target, rawXattrs);
        return;
      }
      const parentParts = await resolveDirectoryInRoot(this.target, parts.slice(0, -1), {
        create: true,
        entryName: name,
        onCreate: (relative) => this.written.add(relative),
      });
      const relative = [...parentParts!, base].join('/');
      const path = join(this.target, relative);
      const written = await this.writeEntry(entry, name, relative, path);
      if (written) {
        this.written.add(relative);
        this.queueXattrs(path, rawXattrs);
      }
    } finally {
      // Whatever happened, the entry's body must be read for the next entry to come.
      for await (const _chunk of entry) void _chunk;
    }
  }

  /** Binary-safe xattrs of this entry from the raw scanner, falling back to tar-stream's UTF-8 view. */
  private takeScannedXattrs(name: string, header: tarStream.Header): Map<string, Buffer> {
    const scanned = this.scanner.entries[this.scannedIndex];
    if (scanned) this.scannedIndex++;
    if (scanned && scanned.name === name.replace(/\/+$/, '')) return scanned.xattrs;
    const fallback = new Map<string, Buffer>();
    for (const [key, value] of Object.entries((header.pax ?? {}) as Record<string, string>)) {
      if (key.startsWith('SCHILY.xattr.')) fallback.set(key.slice('SCHILY.xattr.'.length), Buffer.from(value, 'utf8'));
    }
    return fallback;
  }

  private queueXattrs(path: string, xattrs: Map<string, Buffer>): void {
    for (const [name, value] of xattrs) {
      if (!this.privileged && !name.startsWith('user.')) {
        this.warn('xattr-skipped', path, `xattr ${name} needs root; skipped`);
        continue;
      }
      if (this.options.inUserNamespace && !name.startsWith('user.') && name !== 'security.capability') {
        this.warn('xattr-skipped', path, `xattr ${name} needs the host's root; skipped in a user namespace`);
        continue;
      }
      this.xattrs.push({ path, name, value });
    }
  }

  /** Returns whether something was written at `path`. */
  private async writeEntry(entry: TarEntry, name: string, relative: string, path: string): Promise<boolean> {
    const header = entry.header;
    const mode = (header.mode ?? 0o644) & 0o7777;
    const existing = await lstat(path).catch(() => undefined);
    switch (header.type) {
      case 'directory': {
        if (existing && !existing.isDirectory()) await rm(path, { recursive: true, force: true });
        if (!existing || !existing.isDirectory()) await mkdir(path, { mode: 0o700 });
        this.deferDirectory(relative, path, header);
        return true;
      }
      case 'file':
      case 'contiguous-file': {
        if (existing) await rm(path, { recursive: true, force: true });
        // O_EXCL: never follow a symlink that something put at this path.
        const handle = await open(path, 'wx', 0o600);
        try {
          for await (const chunk of entry) await handle.write(chunk as Buffer);
        } finally {
          await handle.close();
        }
        await this.setMetadata(path, header, mode);
        return true;
      }
      case 'symlink': {
        if (existing) await rm(path, { recursive: true, force: true });
        await symlink(header.linkname ?? '', path);
        if (this.privileged) {
          const { uid, gid } = this.ids(header);
          await lchown(path, uid, gid);
        }
        if (header.mtime) await lutimes(path, header.mtime, header.mtime);
        return true;
      }
      case 'link':
        return this.writeHardlink(name, header.linkname ?? '', path, existing !== undefined);
      case 'character-device':
      case 'block-device': {
        if (!this.privileged) {
          this.warn('device-skipped', name, `device node ${name} skipped: creating device nodes needs root`);
          return false;
        }
        if (existing) await rm(path, { recursive: true, force: true });
        const kind = header.type === 'character-device' ? 'c' : 'b';
        try {
          await runCommand('mknod', ['-m', mode.toString(8), path, kind, String(header.devmajor ?? 0), String(header.devminor ?? 0)]);
        } catch (err) {
          // Inside a user namespace uid 0 still cannot make devices; Docker skips them there too.
          this.warn('device-skipped', name, `device node ${name} skipped: ${(err as Error).message}`);
          return false;
        }
        await this.setMetadata(path, header, mode);
        return true;
      }
      case 'fifo': {
        if (existing) await rm(path, { recursive: true, force: true });
        await runCommand('mknod', ['-m', mode.toString(8), path, 'p']);
        await this.setMetadata(path, header, mode);
        return true;
      }
      default:
        this.warn('unsupported-entry', name, `entry ${name} of type ${header.type} skipped`);
        return false;
    }
  }

  private async writeHardlink(name: string, linkname: string, path: string, pathExists: boolean): Promise<boolean> {
    let targetParts: string[];
    try {
      targetParts = entryPathComponents(linkname);
    } catch (err) {
      if (err instanceof LayerPathTraversalError) throw new HardlinkEscapeError(name, linkname, 'which climbs out of the target with ".."');
      throw err;
    }
    if (targetParts.length === 0) throw new HardlinkEscapeError(name, linkname, 'which is the root directory');
    let parent: string[] | undefined;
    try {
      parent = await resolveDirectoryInRoot(this.target, targetParts.slice(0, -1), { create: false, entryName: name });
    } catch (err) {
      if (err instanceof SymlinkEscapeError) {
        throw new HardlinkEscapeError(name, linkname, `whose directory leads outside the target through symlink "${err.via}"`);
      }
      throw err;
    }
    const linkTarget = parent ? join(this.target, ...parent, targetParts.at(-1)!) : undefined;
    const info = linkTarget ? await lstat(linkTarget).catch(() => undefined) : undefined;
    if (!linkTarget || !info) {
      throw new LayerFormatError(name, `hard link to "${linkname}", which is not in the layer`);
    }
    if (info.isDirectory()) throw new LayerFormatError(name, `hard link to directory "${linkname}"`);
    if (linkTarget === path) return true;
    if (pathExists) await rm(path, { recursive: true, force: true });
    await link(linkTarget, path);
    return true;
  }

  private async setMetadata(path: string, header: tarStream.Header, mode: number): Promise<void> {
    if (this.privileged) {
      const { uid, gid } = this.ids(header);
      await lchown(path, uid, gid);
    }
    // After chown, which clears setuid/setgid bits.
    await chmod(path, mode);
    if (header.mtime) await utimes(path, header.mtime, header.mtime);
  }

  private deferDirectory(relative: string, path: string, header: tarStream.Header): void {
    const { uid, gid } = this.ids(header);
    this.deferredDirectories.set(relative, {
      path,
      mode: (header.mode ?? 0o755) & 0o7777,
      uid,
      gid,
      mtime: header.mtime ?? new Date(0),
    });
  }

  private async applyWhiteout(name: string, parentParts: string[], base: string): Promise<void> {
    const mode = this.options.whiteouts;
    const hidden = base.slice(whiteoutPrefix.length);
    if (hidden === '' || hidden === '.' || hidden === '..') throw new LayerPathTraversalError(name);
    const parent = await resolveDirectoryInRoot(this.target, parentParts, {
      create: mode === 'overlay',
      entryName: name,
      onCreate: (relative) => this.written.add(relative),
    });
    if (!parent) return; // delete mode: nothing below to hide
    const parentPath = join(this.target, ...parent);
    if (base === opaqueMarker) {
      if (mode === 'overlay') {
        this.xattrs.push({ path: parentPath, name: `${this.overlayNamespace}.overlay.opaque`, value: Buffer.from('y') });
      } else {
        for (const child of await readdir(parentPath)) {
          const relative = [...parent, child].join('/');
          if (!this.written.has(relative)) await rm(join(parentPath, child), { recursive: true, force: true });
        }
      }
      return;
    }
    if (base.startsWith(`${whiteoutPrefix}${whiteoutPrefix}`)) {
      // AUFS bookkeeping (.wh..wh.plnk, .wh..wh.aufs): not content.
      this.warn('aufs-metadata', name, `AUFS metadata entry ${name} ignored`);
      return;
    }
    const relative = [...parent, hidden].join('/');
    if (this.written.has(relative)) return; // this layer's own content is not hidden by its own whiteout
    const path = join(parentPath, hidden);
    if (mode === 'overlay') this.overlayWhiteouts.push(relative);
    else await rm(path, { recursive: true, force: true });
  }

  private get overlayNamespace(): string {
    return this.options.overlayXattrNamespace ?? 'trusted';
  }

  private async finish(): Promise<void> {
    // Overlay whiteouts last, so an entry of this layer at the same path wins.
    const whiteouts: string[] = [];
    for (const relative of this.overlayWhiteouts) {
      if (this.written.has(relative)) continue;
      const path = join(this.target, relative);
      if (await lstat(path).catch(() => undefined)) continue;
      whiteouts.push(path);
    }
    await makeOverlayWhiteouts(whiteouts);

    // Directories deepest first: making children changed their mtimes, and a
    // read-only parent must stay writable until its children are done.
    const directories = [...this.deferredDirectories.entries()].sort((a, b) => depth(b[0]) - depth(a[0]));
    for (const [, dir] of directories) {
      if (this.privileged) await lchown(dir.path, dir.uid, dir.gid);
      await chmod(dir.path, dir.mode);
      await utimes(dir.path, dir.mtime, dir.mtime);
    }

    // xattrs after chown, which clears security.capability.
    await setXattrs(this.xattrs);
  }
}

function depth(relative: string): number {
  return relative === '' ? 0 : relative.split('/').length;
}

/** One `mknod` per path would mean thousands of processes for a big cleanup layer; batch them in one shell. */
async function makeOverlayWhiteouts(paths: string[]): Promise<void> {
  const script = 'for p; do mknod "$p" c 0 0 || exit 1; done';
  for (let start = 0; start < paths.length; ) {
    const batch: string[] = [];
    let bytes = 0;
    while (start < paths.length && bytes < 64 * 1024) {
      batch.push(paths[start]!);
      bytes += paths[start]!.length + 1;
      start++;
    }
    await runCommand('sh', ['-c', script, 'sh', ...batch]);
  }
}

/** All xattrs in one `setfattr --restore` run, in the getfattr dump format. */
async function setXattrs(xattrs: Array<{ path: string; name: string; value: Buffer }>): Promise<void> {
  if (xattrs.length === 0) return;
  const byPath = new Map<string, Array<{ name: string; value: Buffer }>>();
  for (const { path, name, value } of xattrs) {
    const list = byPath.get(path) ?? [];
    list.push({ name, value });
    byPath.set(path, list);
  }
  let dump = '';
  for (const [path, list] of byPath) {
    dump += `# file: ${quoteForAttr(path)}\n`;
    for (const { name, value } of list) dump += `${quoteForAttr(name)}=0x${value.toString('hex')}\n`;
    dump += '\n';
  }
  await runCommand('setfattr', ['-h', '--restore=-'], { input: dump });
}

/** The escaping getfattr uses and setfattr undoes: backslash-octal for bytes outside printable ASCII, "\" and "=". */
function quoteForAttr(text: string): string {
  let out = '';
  for (const byte of Buffer.from(text, 'utf8')) {
    if (byte <= 0x20 || byte >= 0x7f || byte === 0x5c || byte === 0x3d) out += `\\${byte.toString(8).padStart(3, '0')}`;
    else out += String.fromCharCode(byte);
  }
  return out;
}
