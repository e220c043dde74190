/**
 * Absolute paths of the host programs the sandbox runs. The container
 * process is exec'd through env, setpriv and unshare after `env -i`, so
 * their paths cannot come from the container's PATH.
 */
import { accessSync, constants } from 'node:fs';
import { join } from 'node:path';
import { SandboxSetupError } from './errors.js';

/** PATH for the setup script: host tools only, never the container's. */
export const HOST_PATH = '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';

const found = new Map<string, string>();

export function hostTool(name: string): string {
  const known = found.get(name);
  if (known) return known;
  const dirs = [...(process.env['PATH'] ?? '').split(':'), ...HOST_PATH.split(':')].filter((d) => d.startsWith('/'));
  for (const dir of dirs) {
    const candidate = join(dir, name);
    try {
      accessSync(candidate, constants.X_OK);
      found.set(name, candidate);
      return candidate;
    } catch {
      // try the next dir
    }
  }
  throw new SandboxSetupError(name, [], `${name} not found on the host (util-linux and coreutils are required)`);
}
