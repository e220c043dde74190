/**
 * Removing a step's dirs in a rootless build. An upper dir holds files owned
 * by the user's subordinate ids (uid 1000 in the container is 100999 on the
 * host) inside dirs that those ids own, and overlayfs leaves its work dir
 * mode 000: the user cannot delete them from outside. Root of a user
 * namespace with the same mapping can, so when a plain rm is refused the
 * removal is done again there.
 */
import { execFile } from 'node:child_process';
import { rm } from 'node:fs/promises';
import { promisify } from 'node:util';
import { getIdMapping } from '../sandbox/index.js';
import { FileStepWorkerError } from './file-step-errors.js';
import { namespaceArgs } from './file-step-namespace.js';

const execFileAsync = promisify(execFile);

/** rm -rf that also removes what a rootless step's ids own. */
export async function removeTree(path: string): Promise<void> {
  try {
    await rm(path, { recursive: true, force: true });
    return;
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if ((code !== 'EACCES' && code !== 'EPERM') || process.getuid?.() === 0) throw err;
  }
  const mapping = await getIdMapping();
  const args = [...namespaceArgs(mapping).filter((a) => a !== '--mount'), '--', 'rm', '-rf', '--', path];
  try {
    await execFileAsync('unshare', args);
  } catch (err) {
    const stderr = (err as { stderr?: string }).stderr?.trim();
    throw new FileStepWorkerError(`could not remove ${path}: ${stderr || (err as Error).message}`, 'unshare', args);
  }
}
