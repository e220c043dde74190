/**
 * Which container ids are which host ids. As root the sandbox uses no user
 * namespace (ids are the host's). As another user it maps container root to
 * that user and, when /etc/subuid and /etc/subgid give the user a range and
 * newuidmap/newgidmap exist, container ids 1..N to that range
 * (`unshare --map-root-user --map-auto`). Without a range only id 0 exists.
 *
 * The engine needs this to turn the host ids in an upper dir into the
 * container ids a layer tar holds (and back when unpacking lower dirs).
 */
import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { userInfo } from 'node:os';
import { promisify } from 'node:util';

const execFileAsync = promisify(execFile);

export interface IdRange {
  containerId: number;
  hostId: number;
  size: number;
}

export interface IdMapping {
  /**
   * - `host`: running as root, no user namespace, ids are not shifted;
   * - `subordinate`: rootless with subuid/subgid ranges;
   * - `single`: rootless without ranges: only container id 0 exists.
   */
  kind: 'host' | 'subordinate' | 'single';
  uidMap: IdRange[];
  gidMap: IdRange[];
  /**
   * The xattr prefix overlayfs uses in upper dirs (`opaque` etc.). Rootless
   * overlay needs `userxattr`, so it is `user.overlay.` there.
   */
  overlayXattrPrefix: 'trusted.overlay.' | 'user.overlay.';
}

/** The host id of a container id, or undefined when it is not mapped. */
export function toHostId(map: IdRange[], containerId: number): number | undefined {
  for (const r of map) {
    if (containerId >= r.containerId && containerId < r.containerId + r.size) return r.hostId + (containerId - r.containerId);
  }
  return undefined;
}

/** The container id of a host id, or undefined when no container id maps to it. */
export function toContainerId(map: IdRange[], hostId: number): number | undefined {
  for (const r of map) {
    if (hostId >= r.hostId && hostId < r.hostId + r.size) return r.containerId + (hostId - r.hostId);
  }
  return undefined;
}

/** Parses /proc/PID/uid_map (or gid_map) text. */
export function parseIdMapText(text: string): IdRange[] {
  return text
    .split('\n')
    .map((line) => line.trim().split(/\s+/).map(Number))
    .filter((f) => f.length === 3 && f.every(Number.isInteger))
    .map(([containerId, hostId, size]) => ({ containerId: containerId!, hostId: hostId!, size: size! }));
}

/** Whether /etc/subuid-style text gives `user` (by name or uid) any range. */
export function hasSubordinateRange(text: string, user: { name: string; id: number }): boolean {
  return text.split('\n').some((line) => {
    const [owner, start, count] = line.trim().split(':');
    return (owner === user.name || owner === String(user.id)) && Number(count) > 0 && Number.isInteger(Number(start));
  });
}

let cached: Promise<IdMapping> | undefined;

/** The mapping runs of this process get. Probed once (about 5 ms) and cached. */
export function getIdMapping(): Promise<IdMapping> {
  cached ??= detectIdMapping();
  return cached;
}

async function detectIdMapping(): Promise<IdMapping> {
  const uid = process.getuid?.() ?? 0;
  const gid = process.getgid?.() ?? 0;
  if (uid === 0) {
    const identity = [{ containerId: 0, hostId: 0, size: 2 ** 32 - 1 }];
    return { kind: 'host', uidMap: identity, gidMap: identity, overlayXattrPrefix: 'trusted.overlay.' };
  }
  const single: IdMapping = {
    kind: 'single',
    uidMap: [{ containerId: 0, hostId: uid, size: 1 }],
    gidMap: [{ containerId: 0, hostId: gid, size: 1 }],
    overlayXattrPrefix: 'user.overlay.',
  };
  const name = userInfo().username;
  const ranges = (file: string, id: number) => {
    try {
      return hasSubordinateRange(readFileSync(file, 'utf8'), { name, id });
    } catch {
      return false;
    }
  };
  if (!ranges('/etc/subuid', uid) || !ranges('/etc/subgid', gid)) return single;
  // Ask the kernel what `--map-auto` really set up rather than re-deriving
  // util-linux's rules; if newuidmap is missing or refuses, fall back.
  try {
    const { stdout } = await execFileAsync('unshare', [
      '--user', '--map-root-user', '--map-auto',
      'sh', '-c', 'cat /proc/self/uid_map; echo =; cat /proc/self/gid_map',
    ]);
    const [uidText = '', gidText = ''] = stdout.split('=\n');
    const uidMap = parseIdMapText(uidText);
    const gidMap = parseIdMapText(gidText);
    if (uidMap.length < 2 || gidMap.length < 2) return single;
    return { kind: 'subordinate', uidMap, gidMap, overlayXattrPrefix: 'user.overlay.' };
  } catch {
    return single;
  }
}
