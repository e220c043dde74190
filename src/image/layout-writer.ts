import { createHash } from 'node:crypto';
import { createReadStream, createWriteStream } from 'node:fs';
import { mkdir, open, rename, rm } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import tarStream from 'tar-stream';
import { CorruptBlobError } from './store.js';
import { drainOrClose } from './layer-compression.js';

/**
 * Writes an image layout (OCI layout or docker-archive) file by file, either
 * into a directory or into a tar. Output goes to a temp path beside the
 * destination and is renamed into place by commit(), so a failed save leaves
 * no half layout. Files copied from the store are hashed on the way and
 * checked against their digest.
 */
export interface LayoutWriter {
  addBuffer(path: string, data: Buffer | string): Promise<void>;
  /** Copy a file of known size, verifying it hashes to `digest` when given. */
  addFile(path: string, source: string, size: number, digest?: string): Promise<void>;
  commit(): Promise<void>;
  abort(): Promise<void>;
}

export async function openLayoutWriter(dest: string, kind: 'dir' | 'tar'): Promise<LayoutWriter> {
  const temp = join(dirname(dest), `.${Date.now().toString(36)}-${process.pid}.layerlab-partial`);
  await mkdir(dirname(dest), { recursive: true });
  return kind === 'dir' ? new DirLayoutWriter(dest, temp) : new TarLayoutWriter(dest, temp);
}

function verifier(digest: string | undefined, source: string) {
  const hash = createHash('sha256');
  return {
    async *tap(input: AsyncIterable<Buffer>): AsyncGenerator<Buffer> {
      for await (const chunk of input) {
        hash.update(chunk);
        yield chunk;
      }
      if (digest) {
        const actual = `sha256:${hash.digest('hex')}`;
        if (actual !== digest) throw new CorruptBlobError(digest, actual, source);
      }
    },
  };
}

class DirLayoutWriter implements LayoutWriter {
  private readonly written = new Set<string>();
  constructor(
    private readonly dest: string,
    private readonly temp: string,
  ) {}

  async addBuffer(path: string, data: Buffer | string): Promise<void> {
    const target = await this.prepare(path);
    if (!target) return;
    const handle = await open(target, 'w', 0o644);
    try {
      await handle.writeFile(data);
    } finally {
      await handle.close();
    }
  }

  async addFile(path: string, source: string, _size: number, digest?: string): Promise<void> {
    const target = await this.prepare(path);
    if (!target) return;
    const check = verifier(digest, source);
    await pipeline(createReadStream(source), (input) => check.tap(input), createWriteStream(target, { mode: 0o644 }));
  }

  private async prepare(path: string): Promise<string | undefined> {
    if (this.written.has(path)) return undefined;
    this.written.add(path);
    const target = join(this.temp, path);
    await mkdir(dirname(target), { recursive: true });
    return target;
  }

  async commit(): Promise<void> {
    await mkdir(this.temp, { recursive: true });
    await rename(this.temp, this.dest);
  }

  async abort(): Promise<void> {
    await rm(this.temp, { recursive: true, force: true });
  }
}

class TarLayoutWriter implements LayoutWriter {
  private readonly pack = tarStream.pack();
  private readonly output: Promise<void>;
  private readonly written = new Set<string>();
  private readonly directories = new Set<string>();
  private readonly mtime = new Date(0);

  constructor(
    private readonly dest: string,
    private readonly temp: string,
  ) {
    this.output = pipeline(this.pack as unknown as NodeJS.ReadableStream, createWriteStream(temp, { mode: 0o644 }));
    this.output.catch(() => undefined);
  }

  private async addDirectories(path: string): Promise<void> {
    const parts = path.split('/').slice(0, -1);
    for (let i = 1; i <= parts.length; i++) {
      const dir = parts.slice(0, i).join('/');
      if (this.directories.has(dir)) continue;
      this.directories.add(dir);
      await new Promise<void>((resolve, reject) => {
        this.pack.entry({ name: `${dir}/`, type: 'directory', mode: 0o755, mtime: this.mtime }, (err) => (err ? reject(err) : resolve()));
      });
    }
  }

  async addBuffer(path: string, data: Buffer | string): Promise<void> {
    if (this.written.has(path)) return;
    this.written.add(path);
    await this.addDirectories(path);
    const body = typeof data === 'string' ? Buffer.from(data) : data;
    await new Promise<void>((resolve, reject) => {
      this.pack.entry({ name: path, size: body.length, mode: 0o644, mtime: this.mtime }, body, (err) => (err ? reject(err) : resolve()));
    });
  }

  async addFile(path: string, source: string, size: number, digest?: string): Promise<void> {
    if (this.written.has(path)) return;
    this.written.add(path);
    await this.addDirectories(path);
    const check = verifier(digest, source);
    let finished!: Promise<void>;
    const sink = await new Promise<ReturnType<typeof this.pack.entry>>((resolve) => {
      finished = new Promise<void>((done, fail) => {
        resolve(this.pack.entry({ name: path, size, mode: 0o644, mtime: this.mtime }, (err) => (err ? fail(err) : done())));
      });
    });
    for await (const chunk of check.tap(createReadStream(source))) {
      if (!sink.write(chunk)) await drainOrClose(sink);
    }
    sink.end(undefined);
    await finished;
  }

  async commit(): Promise<void> {
    this.pack.finalize();
    await this.output;
    await rename(this.temp, this.dest);
  }

  async abort(): Promise<void> {
    this.pack.destroy(new Error("save aborted"));
    await this.output.catch(() => undefined);
    await rm(this.temp, { force: true });
  }
}
