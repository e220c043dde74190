/**
 * The cache-key input of a COPY/ADD: a sha256 over exactly what the step
 * would take (same matching, .dockerignore, --exclude and --parents rules as
 * the copy), in copy order. Per entry it covers the path, type, permission
 * and special bits, content, symlink target, hardlink structure, device
 * numbers, and the owner where the copy keeps it (stage sources; context
 * files always arrive as 0:0). Timestamps are left out, so touching a file
 * does not miss the cache.
 */
import { createHash, type Hash } from 'node:crypto';
import { closeSync, openSync, readlinkSync, readSync, type BigIntStats } from 'node:fs';
import { asCopyError } from './errors.js';
import { fetchBody } from './remote-source.js';
import { commandOf, planSources } from './source-plan.js';
import { walkTree, type TreeVisitor, type WalkEntry } from './tree-walk.js';
import type { CopySource, SourceSelection } from './types.js';

const CHUNK = 1 << 20;
/** One read buffer for all files: allocating a chunk per file dominated the time on many small files. */
let readBuffer: Buffer | undefined;

function hashFileContent(path: string): string {
  const hash = createHash('sha256');
  const buffer = (readBuffer ??= Buffer.allocUnsafe(CHUNK));
  const fd = openSync(path, 'r');
  try {
    for (;;) {
      const read = readSync(fd, buffer, 0, CHUNK, null);
      if (read === 0) break;
      hash.update(buffer.subarray(0, read));
    }
  } finally {
    closeSync(fd);
  }
  return hash.digest('hex');
}

class ChecksumVisitor implements TreeVisitor {
  private readonly inodes = new Map<string, string>();

  constructor(
    private readonly hash: Hash,
    private readonly withOwners: boolean,
  ) {}

  private meta(stat: BigIntStats): string {
    const mode = (Number(stat.mode) & 0o7777).toString(8);
    return this.withOwners ? `${mode} ${stat.uid}:${stat.gid}` : mode;
  }

  private line(text: string): void {
    this.hash.update(text);
    this.hash.update('\0');
  }

  enterDir(entry: WalkEntry): void {
    // The top of a directory source is the destination; only its contents are taken.
    if (entry.rel !== '') this.line(`dir ${entry.rel} ${this.meta(entry.stat)}`);
  }

  leaveDir(): void {}

  leaf(entry: WalkEntry): void {
    const stat = entry.stat;
    if (stat.isFile()) {
      if (stat.nlink > 1n) {
        const key = `${stat.dev}:${stat.ino}`;
        const first = this.inodes.get(key);
        if (first !== undefined) {
          this.line(`hardlink ${entry.rel} ${first}`);
          return;
        }
        this.inodes.set(key, entry.rel);
      }
      this.line(`file ${entry.rel} ${this.meta(stat)} ${stat.size} ${hashFileContent(entry.hostPath)}`);
    } else if (stat.isSymbolicLink()) {
      this.line(`symlink ${entry.rel} ${this.withOwners ? `${stat.uid}:${stat.gid} ` : ''}${readlinkSync(entry.hostPath)}`);
    } else if (stat.isCharacterDevice() || stat.isBlockDevice() || stat.isFIFO()) {
      const kind = stat.isCharacterDevice() ? 'c' : stat.isBlockDevice() ? 'b' : 'p';
      this.line(`node ${entry.rel} ${kind} ${stat.rdev} ${this.meta(stat)}`);
    }
  }
}

/** `sha256:<hex>` over what `sources` would take from `source`; throws the copy's errors (e.g. not found). */
export async function checksumSources(
  source: CopySource,
  sources: string[],
  selection: SourceSelection = {},
): Promise<string> {
  try {
    return await checksumUnchecked(source, sources, selection);
  } catch (err) {
    throw asCopyError(err, commandOf(selection), [source.root]);
  }
}

async function checksumUnchecked(source: CopySource, sources: string[], selection: SourceSelection): Promise<string> {
  const command = commandOf(selection);
  const hash = createHash('sha256');
  const line = (text: string): void => {
    hash.update(text);
    hash.update('\0');
  };
  for (const planned of planSources(source, sources, selection)) {
    line(`source ${planned.written}`);
    if (planned.kind === 'url') {
      const checksum = selection.addOptions?.checksum;
      if (checksum !== undefined) line(`checksum ${checksum}`);
      else {
        const { body } = await fetchBody(planned.url, planned.written, command, selection.addOptions?.fetch);
        line(`content ${createHash('sha256').update(body).digest('hex')}`);
      }
      continue;
    }
    for (const { match, filters } of planned.matches) {
      line(`match ${match.name} ${match.wildcardRel ?? ''}`);
      await walkTree({ hostPath: match.hostPath, rel: '', stat: match.stat }, filters, new ChecksumVisitor(hash, source.kind === 'rootfs'));
    }
  }
  for (const inline of selection.inlineSources ?? []) {
    line(`inline ${inline.path} ${createHash('sha256').update(inline.data).digest('hex')}`);
  }
  return `sha256:${hash.digest('hex')}`;
}
