import { createReadStream, createWriteStream } from 'node:fs';
import { open, readFile, realpath, stat } from 'node:fs/promises';
import { join, posix, sep } from 'node:path';
import { pipeline } from 'node:stream/promises';
import tarStream from 'tar-stream';
import { decompressLayer, detectCompression } from './layer-compression.js';
import { entryPathComponents } from './safe-path.js';

/**
 * Read-only access to the files of an image archive (docker-archive or OCI
 * layout), whether it is a directory or a tar. A tar is indexed once (member
 * name → byte range) and members are then read straight from it, so a
 * multi-gigabyte `docker save` output is not copied. A compressed tar
 * (`docker save | gzip`) is first uncompressed into a scratch file.
 * Member paths cannot leave the archive: ".." is refused and symlinks are
 * resolved inside it.
 */
export interface ArchiveReader {
  readonly description: string;
  has(path: string): Promise<boolean>;
  readBuffer(path: string): Promise<Buffer>;
  open(path: string): AsyncIterable<Buffer>;
  size(path: string): Promise<number>;
}

export class ArchiveMemberMissingError extends Error {
  readonly isUserError = true;
  readonly exitCode = 2;
  constructor(readonly archive: string, readonly member: string) {
    super(`${archive}: "${member}" is missing from the archive`);
    this.name = 'ArchiveMemberMissingError';
  }
}

export async function openArchive(path: string, scratchDir: string): Promise<ArchiveReader> {
  const info = await stat(path);
  if (info.isDirectory()) return new DirectoryArchive(path, await realpath(path));
  const handle = await open(path, 'r');
  const head = Buffer.alloc(6);
  try {
    await handle.read(head, 0, 6, 0);
  } finally {
    await handle.close();
  }
  let tarPath = path;
  if (detectCompression(head, path) === 'gzip') {
    tarPath = join(scratchDir, 'archive.tar');
    await pipeline(decompressLayer(createReadStream(path), path), createWriteStream(tarPath));
  }
  return TarArchive.index(path, tarPath);
}

function cleanMember(path: string): string {
  return entryPathComponents(path).join('/');
}

class DirectoryArchive implements ArchiveReader {
  constructor(
    readonly description: string,
    private readonly realRoot: string,
  ) {}

  private async resolve(member: string): Promise<string> {
    const candidate = join(this.realRoot, cleanMember(member));
    let real: string;
    try {
      real = await realpath(candidate);
    } catch {
      throw new ArchiveMemberMissingError(this.description, member);
    }
    if (real !== this.realRoot && !real.startsWith(this.realRoot + sep)) throw new ArchiveMemberMissingError(this.description, member);
    return real;
  }

  async has(member: string): Promise<boolean> {
    return this.resolve(member).then(
      () => true,
      () => false,
    );
  }

  async readBuffer(member: string): Promise<Buffer> {
    return readFile(await this.resolve(member));
  }

  async *open(member: string): AsyncIterable<Buffer> {
    yield* createReadStream(await this.resolve(member)) as AsyncIterable<Buffer>;
  }

  async size(member: string): Promise<number> {
    return (await stat(await this.resolve(member))).size;
  }
}

interface TarMember {
  type: string;
  offset: number;
  size: number;
  linkname?: string;
}

class TarArchive implements ArchiveReader {
  private constructor(
    readonly description: string,
    private readonly tarPath: string,
    private readonly members: Map<string, TarMember>,
  ) {}

  static async index(description: string, tarPath: string): Promise<TarArchive> {
    const members = new Map<string, TarMember>();
    const extract = tarStream.extract();
    const feeding = pipeline(createReadStream(tarPath), extract as unknown as NodeJS.WritableStream);
    feeding.catch(() => undefined);
    for await (const entry of extract) {
      const header = entry.header;
      const name = cleanMember(header.name);
      // `offset` is where the entry's own header starts; its data follows that 512-byte block.
      members.set(name, { type: header.type, offset: entry.offset + 512, size: header.size ?? 0, linkname: header.linkname ?? undefined });
      entry.resume();
    }
    await feeding;
    return new TarArchive(description, tarPath, members);
  }

  private lookup(member: string, hops = 0): TarMember & { name: string } {
    const name = cleanMember(member);
    const found = this.members.get(name);
    if (!found || hops > 16) throw new ArchiveMemberMissingError(this.description, member);
    if (found.type === 'symlink') {
      // Legacy `docker save` links repeated layers: "<id>/layer.tar -> ../<other>/layer.tar".
      const target = found.linkname!.startsWith('/') ? found.linkname! : posix.join(posix.dirname(name), found.linkname!);
      return this.lookup(posix.normalize(target).replace(/^(\.\.\/)+/, ''), hops + 1);
    }
    if (found.type === 'link') return this.lookup(found.linkname!, hops + 1);
    if (found.type !== 'file' && found.type !== 'contiguous-file') throw new ArchiveMemberMissingError(this.description, member);
    return { ...found, name };
  }

  async has(member: string): Promise<boolean> {
    try {
      this.lookup(member);
      return true;
    } catch {
      return false;
    }
  }

  async readBuffer(member: string): Promise<Buffer> {
    const chunks: Buffer[] = [];
    for await (const chunk of this.open(member)) chunks.push(chunk);
    return Buffer.concat(chunks);
  }

  async *open(member: string): AsyncIterable<Buffer> {
    const found = this.lookup(member);
    if (found.size === 0) return;
    yield* createReadStream(this.tarPath, { start: found.offset, end: found.offset + found.size - 1 }) as AsyncIterable<Buffer>;
  }

  async size(member: string): Promise<number> {
    return this.lookup(member).size;
  }
}
