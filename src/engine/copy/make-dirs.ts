/**
 * mkdir -p for the destination side (fsutil's copy.MkdirAll): the missing
 * directories of an already resolved host path under the rootfs are created
 * with mode 0755 (no umask) and the copy's owner (--chown, else root). Existing
 * directories are left as they are.
 */
import { chmodSync, lchownSync, lstatSync, mkdirSync } from 'node:fs';
import { join, relative, sep } from 'node:path';
import { DestinationError, type CopyCommandName } from './errors.js';
import { inRootPath } from './root-path.js';

export function makeDirectories(
  root: string,
  hostPath: string,
  owner: { uid: number; gid: number },
  command: CopyCommandName,
  source?: string,
): void {
  const rel = relative(root, hostPath);
  if (rel === '') return;
  let current = root;
  for (const part of rel.split(sep)) {
    current = join(current, part);
    const stat = lstatSync(current, { throwIfNoEntry: false });
    if (stat?.isDirectory()) continue;
    if (stat !== undefined) {
      const inImage = inRootPath(root, current);
      throw new DestinationError(
        command,
        `cannot create directory ${inRootPath(root, hostPath)}: ${inImage} exists and is not a directory`,
        inImage,
        source,
      );
    }
    mkdirSync(current);
    chmodSync(current, 0o755);
    lchownSync(current, owner.uid, owner.gid);
  }
}
