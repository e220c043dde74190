/**
 * `RUN --mount=type=cache,target=/root/.cache,...` parsed with BuildKit's
 * rules (instructions/commands_runmount.go): a CSV record of key=value fields,
 * bind is the default type, bind/secret/ssh are read-only unless told
 * otherwise, cache/tmpfs are writable, and per-type options are checked.
 */

export type MountType = 'bind' | 'cache' | 'tmpfs' | 'secret' | 'ssh';
export type CacheSharing = 'shared' | 'private' | 'locked';

export interface RunMount {
  type: MountType;
  /** Stage name or image the bind/cache mount reads from; the build context when absent. */
  from?: string;
  source?: string;
  /** May be relative: BuildKit joins it with the working directory at run time. */
  target?: string;
  readOnly: boolean;
  /** Cache id, secret id or ssh id (`id=`). */
  id?: string;
  sharing?: CacheSharing;
  /** secret/ssh: fail the step when the secret or agent is missing. */
  required: boolean;
  mode?: number;
  uid?: number;
  gid?: number;
  /** tmpfs `size=`, in bytes. */
  sizeBytes?: number;
  /** secret `env=`: expose the secret as this environment variable. */
  env?: string;
}

export class MountError extends Error {
  override name = 'MountError';
}

const MOUNT_TYPES: readonly MountType[] = ['bind', 'cache', 'tmpfs', 'secret', 'ssh'];
const SHARING_MODES: readonly CacheSharing[] = ['shared', 'private', 'locked'];
const KNOWN_KEYS = [
  'type', 'from', 'source', 'src', 'target', 'dst', 'destination', 'readonly', 'ro', 'readwrite', 'rw',
  'id', 'sharing', 'required', 'mode', 'uid', 'gid', 'size', 'env',
];

/** Keys whose value is taken as written, with BuildKit's aliases, and the field each sets. */
const STRING_KEYS = new Map<string, 'source' | 'target' | 'id' | 'env'>([
  ['source', 'source'],
  ['src', 'source'],
  ['target', 'target'],
  ['dst', 'target'],
  ['destination', 'target'],
  ['id', 'id'],
  ['env', 'env'],
]);

/**
 * Parses one --mount value. Without `expand`, values holding a `$` are kept
 * as written and not validated: BuildKit defers them to expansion time and
 * only rejects a variable in `from`, which never expands.
 */
export function parseMount(spec: string, expand?: (value: string) => string): RunMount {
  const fields = parseCsvRecord(spec);
  const mount: RunMount = { type: 'bind', readOnly: true, required: false };
  let readOnlyGiven = false;

  for (const field of fields) {
    const eq = field.indexOf('=');
    const key = (eq >= 0 ? field.slice(0, eq) : field).toLowerCase();

    if (eq < 0) {
      if (key === 'readonly' || key === 'ro') {
        mount.readOnly = true;
        readOnlyGiven = true;
        continue;
      }
      if (key === 'readwrite' || key === 'rw') {
        mount.readOnly = false;
        readOnlyGiven = true;
        continue;
      }
      if (key === 'required') {
        if (mount.type !== 'secret' && mount.type !== 'ssh') {
          throw new MountError(`unexpected key '${key}' for mount type '${mount.type}'`);
        }
        mount.required = true;
        continue;
      }
      throw new MountError(`invalid field '${field}' must be a key=value pair`);
    }

    let value = field.slice(eq + 1);
    if (key === 'from' && /\$./.test(value)) {
      throw new MountError(`'${key}' doesn't support variable expansion, define alias stage instead`);
    }
    if (expand) value = expand(value);
    const stringField = STRING_KEYS.get(key);
    if (stringField) {
      mount[stringField] = value;
      continue;
    }
    // Type, mode, uid… with a variable in them cannot be typed before
    // expansion; that step re-parses the raw spec with the values filled in.
    if (!expand && value.includes('$')) continue;

    switch (key) {
      case 'type': {
        const type = value.toLowerCase();
        if (!(MOUNT_TYPES as readonly string[]).includes(type)) {
          throw new MountError(`unsupported mount type "${value}" (one of ${MOUNT_TYPES.join(', ')})`);
        }
        mount.type = type as MountType;
        break;
      }
      case 'from':
        mount.from = value;
        break;
      case 'readonly':
      case 'ro':
        mount.readOnly = parseGoBool(key, value);
        readOnlyGiven = true;
        break;
      case 'readwrite':
      case 'rw':
        mount.readOnly = !parseGoBool(key, value);
        readOnlyGiven = true;
        break;
      case 'required':
        if (mount.type !== 'secret' && mount.type !== 'ssh') {
          throw new MountError(`unexpected key '${key}' for mount type '${mount.type}'`);
        }
        mount.required = parseGoBool(key, value);
        break;
      case 'sharing': {
        const sharing = value.toLowerCase();
        if (!(SHARING_MODES as readonly string[]).includes(sharing)) {
          throw new MountError(`unsupported sharing value "${value}"`);
        }
        mount.sharing = sharing as CacheSharing;
        break;
      }
      case 'mode':
        mount.mode = parseUnsigned(value, 8, 'mode');
        break;
      case 'uid':
        mount.uid = parseUnsigned(value, 10, 'uid');
        break;
      case 'gid':
        mount.gid = parseUnsigned(value, 10, 'gid');
        break;
      case 'size':
        if (mount.type !== 'tmpfs') throw new MountError(`size not allowed for "${mount.type}" type mounts`);
        mount.sizeBytes = parseRamInBytes(value);
        break;
      default:
        throw new MountError(`unexpected key '${key}' in '${field}' (known keys: ${KNOWN_KEYS.join(', ')})`);
    }
  }

  const fileInfoAllowed = mount.type === 'secret' || mount.type === 'ssh' || mount.type === 'cache';
  for (const attr of ['mode', 'uid', 'gid'] as const) {
    if (mount[attr] !== undefined && !fileInfoAllowed) {
      throw new MountError(`${attr} not allowed for "${mount.type}" type mounts`);
    }
  }
  if (!readOnlyGiven) mount.readOnly = !(mount.type === 'cache' || mount.type === 'tmpfs');
  if (mount.sharing !== undefined && mount.type !== 'cache') {
    throw new MountError(`invalid cache sharing set for ${mount.type} mount`);
  }
  if (mount.env !== undefined && mount.type !== 'secret') {
    throw new MountError(`env not allowed for "${mount.type}" type mounts`);
  }
  if (mount.type === 'secret') {
    if (mount.from !== undefined) throw new MountError('secret mount should not have a from');
    if (mount.source === undefined && mount.target === undefined && mount.id === undefined && mount.env === undefined) {
      throw new MountError('invalid secret mount. one of source, target required');
    }
    if (mount.source !== undefined && mount.id !== undefined) throw new MountError("both source and id can't be set");
  }
  return mount;
}

/**
 * Defaults BuildKit applies when it turns a mount into an exec mount
 * (dockerfile2llb/convert_runmount.go, convert_secrets.go, convert_ssh.go).
 * `index` numbers ssh mounts without a target (/run/buildkit/ssh_agent.N).
 */
export function mountWithDefaults(mount: RunMount, index = 0): RunMount {
  const out: RunMount = { ...mount };
  switch (mount.type) {
    case 'cache':
      out.sharing ??= 'shared';
      if (out.id === undefined && out.target !== undefined) out.id = cleanPath(out.target);
      out.mode ??= 0o755;
      out.uid ??= 0;
      out.gid ??= 0;
      break;
    case 'secret': {
      const id = out.source ?? out.id ?? (out.target !== undefined ? baseName(out.target) : undefined);
      out.id = id;
      if (out.target === undefined && out.env === undefined && id !== undefined) out.target = `/run/secrets/${baseName(id)}`;
      out.mode ??= 0o400;
      out.uid ??= 0;
      out.gid ??= 0;
      break;
    }
    case 'ssh':
      out.id ??= 'default';
      out.target ??= `/run/buildkit/ssh_agent.${index}`;
      out.mode ??= 0o600;
      out.uid ??= 0;
      out.gid ??= 0;
      break;
    case 'bind':
    case 'tmpfs':
      break;
  }
  return out;
}

function parseGoBool(key: string, value: string): boolean {
  // strconv.ParseBool
  if (['1', 't', 'T', 'TRUE', 'true', 'True'].includes(value)) return true;
  if (['0', 'f', 'F', 'FALSE', 'false', 'False'].includes(value)) return false;
  throw new MountError(`invalid value for ${key}: ${value}`);
}

function parseUnsigned(value: string, radix: 8 | 10, what: string): number {
  const digits = radix === 8 ? /^[0-7]+$/ : /^\d+$/;
  const parsed = digits.test(value) ? Number.parseInt(value, radix) : Number.NaN;
  if (!Number.isFinite(parsed) || parsed > 0xffffffff) throw new MountError(`invalid value ${value} for ${what}`);
  return parsed;
}

/** docker/go-units RAMInBytes: "64m", "1.5g", "512", "1GiB"; binary multiples. */
export function parseRamInBytes(value: string): number {
  const match = /^(\d+(?:\.\d+)*) ?([kKmMgGtTpP])?[iI]?[bB]?$/.exec(value);
  if (!match) throw new MountError(`invalid size: '${value}'`);
  const amount = Number.parseFloat(match[1]!);
  const power = match[2] ? 'kmgtp'.indexOf(match[2].toLowerCase()) + 1 : 0;
  return Math.trunc(amount * 1024 ** power);
}

/** One record of Go's encoding/csv with default settings. */
export function parseCsvRecord(line: string): string[] {
  if (line === '') throw new MountError('failed to parse csv mounts: EOF');
  const fields: string[] = [];
  let i = 0;
  for (;;) {
    let field = '';
    if (line[i] === '"') {
      i++;
      for (;;) {
        if (i >= line.length) throw new MountError(`failed to parse csv mounts: extraneous or missing " in quoted-field`);
        const ch = line[i]!;
        if (ch === '"') {
          if (line[i + 1] === '"') {
            field += '"';
            i += 2;
            continue;
          }
          i++;
          break;
        }
        field += ch;
        i++;
      }
      if (i < line.length && line[i] !== ',') {
        throw new MountError(`failed to parse csv mounts: extraneous or missing " in quoted-field`);
      }
    } else {
      const end = line.indexOf(',', i);
      field = end < 0 ? line.slice(i) : line.slice(i, end);
      if (field.includes('"')) throw new MountError(`failed to parse csv mounts: bare " in non-quoted-field`);
      i = end < 0 ? line.length : end;
    }
    fields.push(field);
    if (i >= line.length) return fields;
    i++; // the comma
    if (i >= line.length) {
      fields.push('');
      return fields;
    }
  }
}

function cleanPath(p: string): string {
  const absolute = p.startsWith('/');
  const parts: string[] = [];
  for (const part of p.split('/')) {
    if (part === '' || part === '.') continue;
    if (part === '..') {
      if (parts.length > 0 && parts[parts.length - 1] !== '..') parts.pop();
      else if (!absolute) parts.push('..');
      continue;
    }
    parts.push(part);
  }
  const joined = parts.join('/');
  return absolute ? `/${joined}` : joined === '' ? '.' : joined;
}

function baseName(p: string): string {
  const trimmed = p.replace(/\/+$/, '');
  if (trimmed === '') return p === '' ? '.' : '/';
  return trimmed.slice(trimmed.lastIndexOf('/') + 1);
}
