/**
 * "name or number[:group]" to ids, from the text of the rootfs's /etc/passwd
 * and /etc/group, with runc's (and so BuildKit's and Docker's) semantics:
 * - a number needs no passwd entry; a name must have one;
 * - without ":group", the gid is the user's primary group from passwd (0 for
 *   a number without an entry), and the supplementary groups are the groups
 *   of /etc/group that list the user's name as a member;
 * - with ":group", that group is the gid (a number needs no entry, a name
 *   must have one) and there are no supplementary groups;
 * - an empty spec means root.
 * Pure: the caller reads the files (undefined when a file does not exist).
 */
import { UnknownUserError } from './errors.js';
import type { UserIds } from './run-spec.js';

export interface UserDatabase {
  passwd?: string;
  group?: string;
}

export interface ResolvedUser extends UserIds {
  /** From passwd, "/" when the user has no entry. */
  home: string;
}

interface PasswdEntry {
  name: string;
  uid: number;
  gid: number;
  home: string;
}

interface GroupEntry {
  name: string;
  gid: number;
  members: string[];
}

const MAX_ID = 2 ** 31 - 1;

export function resolveUser(spec: string, db: UserDatabase): ResolvedUser {
  const colon = spec.indexOf(':');
  const userPart = colon === -1 ? spec : spec.slice(0, colon);
  const groupPart = colon === -1 ? '' : spec.slice(colon + 1);
  const userNumber = parseId(userPart);
  const groupNumber = parseId(groupPart);

  const result: ResolvedUser = { uid: 0, gid: 0, groups: [], home: '/' };
  const users = db.passwd === undefined ? [] : parsePasswd(db.passwd);
  const matchedUser = users.find((u) =>
    userPart === '' ? u.uid === 0 : userNumber !== undefined ? u.uid === userNumber : u.name === userPart,
  );
  if (matchedUser) {
    result.uid = matchedUser.uid;
    result.gid = matchedUser.gid;
    result.home = matchedUser.home;
  } else if (userPart !== '') {
    if (userNumber === undefined) {
      throw new UnknownUserError(spec, db.passwd === undefined ? 'the image has no /etc/passwd' : `no user ${userPart} in /etc/passwd`);
    }
    result.uid = checkRange(userNumber, spec);
  }

  if (groupPart === '' && !matchedUser) return result;
  const groups = db.group === undefined ? [] : parseGroup(db.group);
  if (groupPart !== '') {
    const matchedGroup = groups.find((g) => (groupNumber !== undefined ? g.gid === groupNumber : g.name === groupPart));
    if (matchedGroup) {
      result.gid = matchedGroup.gid;
    } else if (groupNumber !== undefined) {
      result.gid = checkRange(groupNumber, spec);
    } else {
      throw new UnknownUserError(spec, db.group === undefined ? 'the image has no /etc/group' : `no group ${groupPart} in /etc/group`);
    }
  } else if (matchedUser) {
    result.groups = groups.filter((g) => g.members.includes(matchedUser.name)).map((g) => g.gid);
  }
  return result;
}

/** A decimal id, as Go's strconv.Atoi reads it; undefined when not a number. */
function parseId(text: string): number | undefined {
  return /^[+-]?\d+$/.test(text) ? Number(text) : undefined;
}

function checkRange(id: number, spec: string): number {
  if (!Number.isSafeInteger(id) || id < 0 || id > MAX_ID) {
    throw new UnknownUserError(spec, `id ${id} is out of range (0 to ${MAX_ID})`);
  }
  return id;
}

function dataLines(text: string): string[][] {
  return text
    .split('\n')
    .map((line) => line.trim())
    .filter((line) => line !== '' && !line.startsWith('#'))
    .map((line) => line.split(':'));
}

export function parsePasswd(text: string): PasswdEntry[] {
  return dataLines(text).map((f) => ({
    name: f[0] ?? '',
    uid: Number.parseInt(f[2] ?? '', 10) || 0,
    gid: Number.parseInt(f[3] ?? '', 10) || 0,
    home: f[5] || '/',
  }));
}

export function parseGroup(text: string): GroupEntry[] {
  return dataLines(text).map((f) => ({
    name: f[0] ?? '',
    gid: Number.parseInt(f[2] ?? '', 10) || 0,
    members: (f[3] ?? '').split(',').map((m) => m.trim()).filter((m) => m !== ''),
  }));
}
