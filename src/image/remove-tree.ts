/**
 * rm -rf for store dirs. In a rootless store, unpacked layers and leftovers
 * of killed steps hold files of the user's subordinate ids, inside dirs those
 * ids own (a mode-700 dir of container uid 1000), and overlayfs leaves its
 * work dirs at mode 000: the user cannot delete them from outside. Root of a
 * user namespace with the same map can, so a refused removal is done again
 * there.
 */
import { rm } from 'node:fs/promises';
import { runInUserNamespace } from './user-namespace.js';

export async function removeStoreTree(path: string): Promise<void> {
  try {
    await rm(path, { recursive: true, force: true });
    return;
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if ((code !== 'EACCES' && code !== 'EPERM') || process.getuid?.() === 0) throw err;
  }
  await runInUserNamespace('rm', ['-rf', '--', path]);
}
