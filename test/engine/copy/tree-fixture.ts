/**
 * Real directory trees for the copy tests: build one from a compact spec,
 * and read one back as plain data (type, mode, owner, link target, content)
 * to compare with what BuildKit would produce.
 */
import { chmodSync, lchownSync, lstatSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, readlinkSync, rmSync, symlinkSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import type { Header } from 'tar-stream';
import { afterEach, beforeEach } from 'vitest';
import { packTar } from '../../helpers/tar.js';

export type EntrySpec =
  | string
  | { file: string; mode?: number; uid?: number; gid?: number; mtime?: number }
  | { dir: true; mode?: number; uid?: number; gid?: number }
  | { symlink: string };

/** Create `spec` under `root` (parents as 0755 directories). Paths are `/`-separated. */
export function makeTree(root: string, spec: Record<string, EntrySpec>): void {
  for (const [path, entry] of Object.entries(spec)) {
    const host = join(root, path);
    mkdirSync(dirname(host), { recursive: true });
    if (typeof entry === 'string') {
      writeFileSync(host, entry);
      chmodSync(host, 0o644);
    } else if ('file' in entry) {
      writeFileSync(host, entry.file);
      // Owner first: a chown clears set-id bits.
      if (entry.uid !== undefined) lchownSync(host, entry.uid, entry.gid ?? entry.uid);
      chmodSync(host, entry.mode ?? 0o644);
      if (entry.mtime !== undefined) utimesSync(host, entry.mtime, entry.mtime);
    } else if ('dir' in entry) {
      mkdirSync(host, { recursive: true });
      if (entry.uid !== undefined) lchownSync(host, entry.uid, entry.gid ?? entry.uid);
      chmodSync(host, entry.mode ?? 0o755);
    } else {
      symlinkSync(entry.symlink, host);
    }
  }
}

export interface EntryInfo {
  type: 'file' | 'dir' | 'symlink' | 'other';
  mode: string;
  owner: string;
  content?: string;
  target?: string;
}

/** Everything under `root` (not root itself), keyed by `/`-separated relative path. */
export function readTree(root: string): Record<string, EntryInfo> {
  const out: Record<string, EntryInfo> = {};
  const walk = (dir: string, rel: string): void => {
    for (const name of readdirSync(dir).sort()) {
      const host = join(dir, name);
      const path = rel === '' ? name : `${rel}/${name}`;
      const stat = lstatSync(host);
      const info: EntryInfo = {
        type: stat.isFile() ? 'file' : stat.isDirectory() ? 'dir' : stat.isSymbolicLink() ? 'symlink' : 'other',
        mode: (stat.mode & 0o7777).toString(8).padStart(4, '0'),
        owner: `${stat.uid}:${stat.gid}`,
      };
      if (stat.isFile()) info.content = readFileSync(host, 'utf8');
      if (stat.isSymbolicLink()) {
        info.target = readlinkSync(host);
        info.mode = 'link';
      }
      out[path] = info;
      if (stat.isDirectory()) walk(host, path);
    }
  };
  walk(root, '');
  return out;
}

/** A temp dir removed by the returned cleanup. */
export function tempDir(prefix: string): { path: string; cleanup: () => void } {
  const path = mkdtempSync(join(tmpdir(), `layerlab-copy-${prefix}-`));
  return { path, cleanup: () => rmSync(path, { recursive: true, force: true }) };
}

/** `{ 'a': file... }` -> `{ a: 'content' }` for files, `'dir'` for dirs, `-> target` for links. */
export function shape(tree: Record<string, EntryInfo>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [path, info] of Object.entries(tree)) {
    out[path] = info.type === 'file' ? info.content! : info.type === 'dir' ? 'dir' : info.type === 'symlink' ? `-> ${info.target}` : 'other';
  }
  return out;
}

export type TarEntry = Partial<Header> & { name: string; body?: string };

/** A tar archive of `entries` (mtime 2017-07-14 unless given), built with tar-stream. */
export async function tarOf(entries: TarEntry[]): Promise<Buffer> {
  return packTar(entries.map(({ body, ...header }) => ({ header: { mtime: new Date(1_500_000_000_000), ...header }, body })));
}

/**
 * A fresh build context and target rootfs for every test of the file,
 * removed after it: `const { context, rootfs } = contextAndRootfsPerTest();`
 * then `context.path` / `rootfs.path` inside a test.
 */
export function contextAndRootfsPerTest(): { context: { readonly path: string }; rootfs: { readonly path: string } } {
  let context: ReturnType<typeof tempDir> | undefined;
  let rootfs: ReturnType<typeof tempDir> | undefined;
  beforeEach(() => {
    context = tempDir('ctx');
    rootfs = tempDir('rootfs');
  });
  afterEach(() => {
    context?.cleanup();
    rootfs?.cleanup();
  });
  const current = (dir: ReturnType<typeof tempDir> | undefined): string => {
    if (!dir) throw new Error('context and rootfs exist only while a test runs');
    return dir.path;
  };
  return { context: { get path() { return current(context); } }, rootfs: { get path() { return current(rootfs); } } };
}
