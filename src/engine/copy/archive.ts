/**
 * ADD of a local tar archive (BuildKit's file backend `unpack`): a regular
 * file whose content, after gzip, bzip2, xz or zstd decompression (detected
 * by magic bytes, never by name), starts with a valid tar header is extracted
 * into the destination instead of copied.
 *
 * Extraction follows BuildKit's applyRootArchive: names are cleaned and may
 * not climb out of the extraction root; paths are resolved inside it like a
 * chroot (an archive's own symlinks cannot lead a later entry outside);
 * implied parent directories are 0755 root; entries keep the archive's
 * owner (or --chown), mode and mtime; --chmod does not apply.
 */
import { spawn } from 'node:child_process';
import {
  chmodSync,
  closeSync,
  createReadStream,
  createWriteStream,
  lchownSync,
  linkSync,
  lstatSync,
  lutimesSync,
  mkdirSync,
  openSync,
  readSync,
  rmSync,
  symlinkSync,
} from 'node:fs';
import { dirname, posix } from 'node:path';
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { createGunzip } from 'node:zlib';
import { extract, type Header } from 'tar-stream';
import { ArchiveError, type CopyCommandName } from './errors.js';
import { makeDirectories } from './make-dirs.js';
import { inRootPath, resolveInRoot } from './root-path.js';
import { makeNode, ownerFor, type OwnershipOptions } from './tree-writer.js';
import type { CopiedEntry } from './types.js';

export type Compression = 'gzip' | 'bzip2' | 'xz' | 'zstd' | 'none';

const TAR_BLOCK = 512;

/** Which decompressor the first bytes call for (archiveutil.DecompressStream's magic numbers). */
export function sniffCompression(head: Buffer): Compression {
  if (head.length >= 3 && head[0] === 0x1f && head[1] === 0x8b && head[2] === 0x08) return 'gzip';
  if (head.length >= 3 && head.subarray(0, 3).toString('latin1') === 'BZh') return 'bzip2';
  if (head.length >= 6 && head.subarray(0, 6).equals(Buffer.from([0xfd, 0x37, 0x7a, 0x58, 0x5a, 0x00]))) return 'xz';
  if (head.length >= 4 && head.readUInt32LE(0) === 0xfd2fb528) return 'zstd';
  return 'none';
}

const DECOMPRESSORS: Record<Exclude<Compression, 'gzip' | 'none'>, string> = { bzip2: 'bzip2', xz: 'xz', zstd: 'zstd' };

/** A stream of the file's decompressed bytes, and how to stop it early. */
function openDecompressed(file: string, compression: Compression): { stream: Readable; stop(): void } {
  if (compression === 'none') {
    const stream = createReadStream(file);
    return { stream, stop: () => stream.destroy() };
  }
  if (compression === 'gzip') {
    const input = createReadStream(file);
    const gunzip = createGunzip();
    input.on('error', (err) => gunzip.destroy(err));
    input.pipe(gunzip);
    return {
      stream: gunzip,
      stop: () => {
        input.destroy();
        gunzip.destroy();
      },
    };
  }
  // Node's zlib has no bzip2 or xz (nor zstd before Node 22); the Debian tools do.
  const child = spawn(DECOMPRESSORS[compression], ['-dc', file], { stdio: ['ignore', 'pipe', 'ignore'] });
  child.on('error', (err) => child.stdout.destroy(err));
  return { stream: child.stdout, stop: () => child.kill('SIGKILL') };
}

/** Up to `size` bytes from the start of a stream, without reading the rest. */
async function readHead(stream: Readable, size: number): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let length = 0;
  try {
    for await (const chunk of stream) {
      chunks.push(chunk as Buffer);
      length += (chunk as Buffer).length;
      if (length >= size) break;
    }
  } catch {
    // A stream that fails to decompress is not an archive.
  }
  return Buffer.concat(chunks).subarray(0, size);
}

/** Is this 512-byte block a tar header (its checksum adds up)? */
export function isTarHeader(block: Buffer): boolean {
  if (block.length < TAR_BLOCK) return false;
  const field = block.subarray(148, 156).toString('latin1').replace(/[\0 ]+$/, '').replace(/^[\0 ]+/, '');
  if (!/^[0-7]+$/.test(field)) return false;
  const recorded = parseInt(field, 8);
  let unsigned = 0;
  let signed = 0;
  for (let i = 0; i < TAR_BLOCK; i++) {
    const byte = i >= 148 && i < 156 ? 0x20 : block[i]!;
    unsigned += byte;
    signed += byte > 127 ? byte - 256 : byte;
  }
  return recorded === unsigned || recorded === signed;
}

/** The compression of `file` when it is a tar archive ADD unpacks, else undefined. */
export async function detectTarArchive(file: string): Promise<Compression | undefined> {
  const fd = openSync(file, 'r');
  const magic = Buffer.alloc(8);
  let read: number;
  try {
    read = readSync(fd, magic, 0, magic.length, 0);
  } finally {
    closeSync(fd);
  }
  const compression = sniffCompression(magic.subarray(0, read));
  const { stream, stop } = openDecompressed(file, compression);
  try {
    return isTarHeader(await readHead(stream, TAR_BLOCK)) ? compression : undefined;
  } finally {
    stop();
  }
}

export interface ExtractOptions extends OwnershipOptions {
  command: CopyCommandName;
  written: string;
  /** Host path of the rootfs (for image paths in results and errors). */
  destRoot: string;
  /** Host path of the directory the archive is extracted into (already resolved in destRoot). */
  extractRoot: string;
  /** Label of the archive for results. */
  fromLabel: string;
  copied: CopiedEntry[];
}

/** Clean an archive entry name; undefined for the root itself; error if it climbs out. */
function cleanEntryName(name: string, options: ExtractOptions): string | undefined {
  const cleaned = posix.normalize(name.replace(/^\/+/, ''));
  if (cleaned === '.' || cleaned === '' || cleaned === './') return undefined;
  const trimmed = cleaned.replace(/\/+$/, '');
  if (trimmed === '..' || trimmed.startsWith('../')) {
    throw new ArchiveError(
      options.command,
      `archive ${options.written}: entry ${JSON.stringify(name)} is outside the extraction root`,
      options.written,
    );
  }
  return trimmed;
}

export async function extractTarArchive(file: string, compression: Compression, options: ExtractOptions): Promise<void> {
  const { stream, stop } = openDecompressed(file, compression);
  // Old v7 archives have no ustar magic; Go's archive/tar reads them, so do we.
  const tar = extract({ allowUnknownFormat: true } as Parameters<typeof extract>[0]);
  // A failure here also ends the entry loop below, which reports it.
  const feeding = pipeline(stream, tar).catch(() => undefined);
  const impliedOwner = options.idMap ? options.idMap(0, 0) : { uid: 0, gid: 0 };
  const dirTimes: Array<{ path: string; mtime: number }> = [];
  try {
    for await (const entry of tar) {
      const header = entry.header;
      const name = cleanEntryName(header.name, options);
      if (name === undefined) {
        entry.resume();
        continue;
      }
      const isDir = header.type === 'directory';
      const target = resolveInRoot(options.extractRoot, name, isDir);
      makeDirectories(options.extractRoot, dirname(target), impliedOwner, options.command, options.written);
      const existing = lstatSync(target, { throwIfNoEntry: false });
      if (existing !== undefined && (!existing.isDirectory() || !isDir)) rmSync(target, { recursive: true, force: true });

      const owner = ownerFor(options, header.uid, header.gid);
      const mode = header.mode & 0o7777;
      const mtime = header.mtime.getTime() / 1000;
      await writeEntry(entry as unknown as Readable, header, target, options);
      lchownSync(target, owner.uid, owner.gid);
      if (header.type !== 'symlink') chmodSync(target, mode);
      if (isDir) dirTimes.push({ path: target, mtime });
      else lutimesSync(target, mtime, mtime);
      options.copied.push({ from: `${options.fromLabel}:${name}`, to: inRootPath(options.destRoot, target) });
    }
    await feeding;
  } catch (err) {
    if (err instanceof ArchiveError || (err as { isUserError?: boolean }).isUserError) throw err;
    throw new ArchiveError(options.command, `archive ${options.written}: ${(err as Error).message}`, options.written);
  } finally {
    stop();
  }
  // Directories last, deepest first, so that writing their contents does not move their mtimes.
  for (const { path, mtime } of dirTimes.reverse()) lutimesSync(path, mtime, mtime);
}

async function writeEntry(entry: Readable, header: Header, target: string, options: ExtractOptions): Promise<void> {
  switch (header.type) {
    case 'directory':
      entry.resume();
      if (lstatSync(target, { throwIfNoEntry: false }) === undefined) mkdirSync(target, { mode: 0o700 });
      return;
    case 'file':
    case 'contiguous-file':
      await pipeline(entry, createWriteStream(target, { mode: 0o600 }));
      return;
    case 'symlink':
      entry.resume();
      symlinkSync(header.linkname, target);
      return;
    case 'link': {
      entry.resume();
      const linkName = cleanEntryName(header.linkname, options);
      if (linkName === undefined) {
        throw new ArchiveError(options.command, `archive ${options.written}: hardlink ${header.name} targets the extraction root`, options.written);
      }
      linkSync(resolveInRoot(options.extractRoot, linkName, false), target);
      return;
    }
    case 'fifo':
    case 'character-device':
    case 'block-device': {
      entry.resume();
      const kind = header.type === 'fifo' ? 'p' : header.type === 'character-device' ? 'c' : 'b';
      const major = BigInt(header.devmajor);
      const minor = BigInt(header.devminor);
      const rdev = ((major & 0xfffn) << 8n) | ((major & ~0xfffn) << 32n) | (minor & 0xffn) | ((minor & ~0xffn) << 12n);
      makeNode(target, { rdev, kind });
      return;
    }
    default:
      entry.resume();
      throw new ArchiveError(
        options.command,
        `archive ${options.written}: unsupported tar entry ${JSON.stringify(header.name)} of type ${String(header.type)}`,
        options.written,
      );
  }
}

/** The extraction root: `dest` resolved in the rootfs and created (0755, --chown) when missing. */
export function prepareExtractRoot(destRoot: string, destImagePath: string, options: OwnershipOptions, command: CopyCommandName, written: string): string {
  const extractRoot = resolveInRoot(destRoot, destImagePath);
  makeDirectories(destRoot, extractRoot, ownerFor(options), command, written);
  return extractRoot;
}

