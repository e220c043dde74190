/**
 * The user namespace a rootless store's files belong to. A rootless build
 * runs its steps in `unshare --user --map-root-user --map-auto` (container
 * root is the user, container ids 1..N are the user's /etc/subuid range), so
 * the store's unpacked layers hold shifted host ids: container uid 1000 is
 * host uid 100999 with a range starting at 100000. The store must write and
 * remove such files from inside a namespace with the same map.
 *
 * The sandbox (src/sandbox/id-mapping.ts) detects the same thing for RUN
 * steps; src/image may not import it, and needs only which unshare flags give
 * the same map, so it asks unshare itself.
 */
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

/**
 * - `host`: layerlab runs as root; no namespace, ids are the host's;
 * - `subordinate`: rootless with /etc/subuid and /etc/subgid ranges;
 * - `single`: rootless without them: only container id 0 (the user) exists.
 */
export type StoreUserNamespace = 'host' | 'subordinate' | 'single';

let probed: Promise<StoreUserNamespace> | undefined;

/** Probed once per process (one unshare run, a few ms) and cached. */
export function storeUserNamespace(): Promise<StoreUserNamespace> {
  probed ??= probe();
  return probed;
}

function probe(): Promise<StoreUserNamespace> {
  if (process.getuid?.() === 0) return Promise.resolve('host');
  // unshare refuses --map-auto when the user has no range or newuidmap is missing.
  return new Promise((resolve) => {
    execFile('unshare', [...userNamespaceArgs('subordinate'), 'true'], (err) => resolve(err ? 'single' : 'subordinate'));
  });
}

/** unshare's flags for the namespace; none as root. */
export function userNamespaceArgs(kind: StoreUserNamespace): string[] {
  switch (kind) {
    case 'subordinate':
      return ['--user', '--map-root-user', '--map-auto'];
    case 'single':
      return ['--user', '--map-root-user'];
    case 'host':
      return [];
  }
}

export class UserNamespaceCommandError extends Error {
  constructor(
    message: string,
    readonly command: string,
    readonly args: string[],
  ) {
    super(message);
    this.name = 'UserNamespaceCommandError';
  }
}

/**
 * Runs a host command as root of the store's user namespace (or directly as
 * root), where the store's shifted ids are ordinary container ids: for
 * reading and removing what the user cannot from outside. Resolves with stdout.
 */
export async function runInUserNamespace(command: string, args: string[]): Promise<string> {
  const kind = await storeUserNamespace();
  const [program, argv] = kind === 'host' ? [command, args] : ['unshare', [...userNamespaceArgs(kind), '--', command, ...args]];
  return new Promise((resolve, reject) => {
    execFile(program, argv, { maxBuffer: 16 * 1024 * 1024 }, (err, stdout, stderr) => {
      if (err) reject(new UserNamespaceCommandError(`${command} failed: ${(stderr || err.message).trim()}`, program, argv));
      else resolve(stdout);
    });
  });
}

/**
 * Where a compiled worker script (run in a user namespace) is, seen from the
 * module that starts it: beside it in dist/; the build's copy when the code
 * runs from src/ (vitest); or from the CLI bundle in dist/cli/commands/.
 * `tried` names the first two places for the "not built" message.
 */
export function builtWorkerScript(moduleUrl: string, dir: 'engine' | 'image', file: string): { path?: string; tried: [string, string] } {
  const candidates = [`./${file}`, `../../dist/${dir}/${file}`, `../../${dir}/${file}`].map((p) => fileURLToPath(new URL(p, moduleUrl)));
  return { path: candidates.find((p) => existsSync(p)), tried: [candidates[0]!, candidates[1]!] };
}
