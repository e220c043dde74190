import { randomBytes } from 'node:crypto';
import { open, rename, rm } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { runCommand } from './external-command.js';

/**
 * Write a file so that readers see either the old content or the whole new
 * content, never a part: write a temp file in the same filesystem, fsync it,
 * rename it over the target, then fsync the directory so the rename survives
 * a power cut.
 */
export async function writeFileAtomic(path: string, data: Buffer | string, tmpDir: string): Promise<void> {
  const tmpPath = join(tmpDir, `${basename(path)}.${randomBytes(8).toString('hex')}.tmp`);
  const handle = await open(tmpPath, 'wx', 0o644);
  try {
    await handle.writeFile(data);
    await handle.sync();
  } catch (err) {
    await handle.close().catch(() => undefined);
    await rm(tmpPath, { force: true });
    throw err;
  }
  await handle.close();
  try {
    await rename(tmpPath, path);
  } catch (err) {
    await rm(tmpPath, { force: true });
    throw err;
  }
  await syncDirectory(dirname(path));
}

export async function syncDirectory(dir: string): Promise<void> {
  const handle = await open(dir, 'r');
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}

/**
 * Flush everything written to the filesystem holding `path` (syncfs(2) via
 * coreutils `sync -f`). An extracted layer has many files; syncing the
 * filesystem once before the final rename costs one call instead of one fsync
 * per file, and still guarantees the renamed dir is complete on disk.
 */
export function syncFileSystem(path: string): Promise<void> {
  return runCommand('sync', ['-f', path]);
}
