/**
 * Extended attributes. Node has no xattr API: they come from the native
 * module (native/xattrs.c) when it was built, else from Debian's `getfattr`
 * (package `attr`), where one call over many paths costs a few milliseconds
 * and one call per path costs hundreds (PERF-NOTES.md). Both give the same
 * maps; symlinks are never followed.
 */
import { execFile, execFileSync } from 'node:child_process';
import { LayerCommandError } from './errors.js';
import { nativeXattrs } from './native-xattrs.js';

/** Attributes of one path, name → raw value. */
export type XattrMap = Map<string, Buffer>;

/**
 * Overlayfs keeps its own bookkeeping in `trusted.overlay.*`, or in
 * `user.overlay.*` when mounted with `userxattr` inside a user namespace.
 * Those never belong in a layer.
 */
export function isOverlayXattr(name: string): boolean {
  return name.startsWith('trusted.overlay.') || name.startsWith('user.overlay.');
}

/** Opaque dir marker. Kernels 6.7+ also write "x" (meaning other things): only "y" counts. */
export function isOpaqueDir(xattrs: XattrMap | undefined): boolean {
  if (!xattrs) return false;
  for (const name of ['trusted.overlay.opaque', 'user.overlay.opaque']) {
    const value = xattrs.get(name);
    if (value && value.length === 1 && value[0] === 0x79 /* y */) return true;
  }
  return false;
}

/** getfattr prints bytes below 0x20, '\', '=' and 0x7f as \ooo octal escapes. */
function unescapeOctal(raw: Buffer): string {
  if (!raw.includes(0x5c)) return raw.toString('utf8');
  const out: number[] = [];
  for (let i = 0; i < raw.length; i++) {
    const byte = raw[i]!;
    if (byte === 0x5c && i + 3 < raw.length && isOctal(raw[i + 1]) && isOctal(raw[i + 2]) && isOctal(raw[i + 3])) {
      out.push(((raw[i + 1]! - 48) << 6) | ((raw[i + 2]! - 48) << 3) | (raw[i + 3]! - 48));
      i += 3;
    } else {
      out.push(byte);
    }
  }
  return Buffer.from(out).toString('utf8');
}

function isOctal(byte: number | undefined): boolean {
  return byte !== undefined && byte >= 48 && byte <= 55;
}

function decodeValue(text: string): Buffer {
  if (text.startsWith('0s')) return Buffer.from(text.slice(2), 'base64');
  if (text.startsWith('0x')) return Buffer.from(text.slice(2), 'hex');
  if (text.startsWith('"') && text.endsWith('"') && text.length >= 2) return Buffer.from(text.slice(1, -1), 'utf8');
  return Buffer.alloc(0);
}

/** Parses `getfattr -d -e base64 --absolute-names` output into absolute path → attributes. */
export function parseGetfattrDump(output: Buffer, into = new Map<string, XattrMap>()): Map<string, XattrMap> {
  let current: XattrMap | undefined;
  let start = 0;
  while (start < output.length) {
    let end = output.indexOf(0x0a, start);
    if (end < 0) end = output.length;
    const line = output.subarray(start, end);
    start = end + 1;
    if (line.length === 0) continue;
    if (line[0] === 0x23 /* # */) {
      if (line.subarray(0, 8).toString('latin1') === '# file: ') {
        const path = unescapeOctal(line.subarray(8));
        current = into.get(path);
        if (!current) {
          current = new Map();
          into.set(path, current);
        }
      }
      continue;
    }
    if (!current) continue;
    const eq = line.indexOf(0x3d /* = */);
    const name = unescapeOctal(eq < 0 ? line : line.subarray(0, eq));
    const value = eq < 0 ? Buffer.alloc(0) : decodeValue(line.subarray(eq + 1).toString('latin1'));
    current.set(name, value);
  }
  return into;
}

const GETFATTR = 'getfattr';
/** Stay well below ARG_MAX (2 MiB here) when paths are passed on the command line. */
const MAX_ARG_BYTES = 512 * 1024;

function runGetfattr(args: string[]): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    execFile(GETFATTR, args, { encoding: 'buffer', maxBuffer: 1 << 30 }, (error, stdout, stderr) => {
      if (!error) return resolve(stdout);
      const code = (error as NodeJS.ErrnoException).code;
      if (code === 'ENOENT') {
        reject(
          new LayerCommandError(
            'getfattr was not found; install the "attr" package (apt-get install attr)',
            GETFATTR,
            args,
          ),
        );
        return;
      }
      // Exit status 1 means some path had no such file or no attribute:
      // the rest of the output is still good.
      if ((error as { code?: unknown }).code === 1) return resolve(stdout);
      reject(new LayerCommandError(`getfattr failed: ${stderr.toString().trim()}`, GETFATTR, args, stderr.toString()));
    });
  });
}

const DUMP_ARGS = ['--absolute-names', '--no-dereference', '--dump', '--match=-', '--encoding=base64'];

function toXattrMap(list: Array<string | Buffer>): XattrMap {
  const map: XattrMap = new Map();
  for (let i = 0; i + 1 < list.length; i += 2) map.set(list[i] as string, list[i + 1] as Buffer);
  return map;
}

/** All attributes of every entry under `dir` (recursively, links not followed), keyed by absolute path. */
export async function readXattrsRecursive(dir: string): Promise<Map<string, XattrMap>> {
  const native = nativeXattrs();
  if (!native) return readXattrsRecursiveWithGetfattr(dir);
  const flat = native.readXattrsTree(dir);
  const result = new Map<string, XattrMap>();
  for (let i = 0; i + 1 < flat.length; i += 2) result.set(flat[i] as string, toXattrMap(flat[i + 1] as Array<string | Buffer>));
  return result;
}

/** All attributes of the given absolute paths (not recursive). Paths without attributes are absent. */
export async function readXattrsOf(paths: readonly string[]): Promise<Map<string, XattrMap>> {
  const native = nativeXattrs();
  if (!native) return readXattrsOfWithGetfattr(paths);
  const lists = native.readXattrs(paths);
  const result = new Map<string, XattrMap>();
  lists.forEach((list, i) => {
    if (list) result.set(paths[i]!, toXattrMap(list));
  });
  return result;
}

/**
 * Whether a directory is marked opaque, synchronously: `trusted.*` as root,
 * `user.*` in a rootless (userxattr) overlay. False when it cannot be read.
 */
export function isOpaqueDirSync(dir: string): boolean {
  const native = nativeXattrs();
  if (native) {
    const list = native.readXattrs([dir])[0];
    return list ? isOpaqueDir(toXattrMap(list)) : false;
  }
  try {
    const out = execFileSync(GETFATTR, ['--absolute-names', '-d', '-m', '^(trusted|user)\\.overlay\\.opaque$', dir], {
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'ignore'],
    });
    return /overlay\.opaque="y"/.test(out);
  } catch {
    return false; // no such attribute, or no getfattr
  }
}

/** readXattrsRecursive through getfattr (without the native module). */
export async function readXattrsRecursiveWithGetfattr(dir: string): Promise<Map<string, XattrMap>> {
  return parseGetfattrDump(await runGetfattr([...DUMP_ARGS, '--recursive', dir]));
}

/** readXattrsOf through getfattr (without the native module). */
export async function readXattrsOfWithGetfattr(paths: readonly string[]): Promise<Map<string, XattrMap>> {
  const result = new Map<string, XattrMap>();
  let batch: string[] = [];
  let batchBytes = 0;
  const pending: Promise<Buffer>[] = [];
  for (const path of paths) {
    batch.push(path);
    batchBytes += Buffer.byteLength(path) + 1;
    if (batchBytes >= MAX_ARG_BYTES) {
      pending.push(runGetfattr([...DUMP_ARGS, '--', ...batch]));
      batch = [];
      batchBytes = 0;
    }
  }
  if (batch.length > 0) pending.push(runGetfattr([...DUMP_ARGS, '--', ...batch]));
  for (const output of await Promise.all(pending)) parseGetfattrDump(output, result);
  return result;
}

/** The attributes that belong in a layer: overlay's own are dropped. Undefined when none remain. */
export function layerXattrs(
  all: XattrMap | undefined,
  keep: (name: string) => boolean = () => true,
): Record<string, Buffer> | undefined {
  if (!all) return undefined;
  let result: Record<string, Buffer> | undefined;
  for (const [name, value] of all) {
    if (isOverlayXattr(name) || !keep(name)) continue;
    (result ??= {})[name] = value;
  }
  return result;
}

export function sameXattrs(a: Record<string, Buffer> | undefined, b: Record<string, Buffer> | undefined): boolean {
  const aKeys = a ? Object.keys(a) : [];
  const bKeys = b ? Object.keys(b) : [];
  if (aKeys.length !== bKeys.length) return false;
  for (const key of aKeys) {
    const other = b?.[key];
    if (!other || !other.equals(a![key]!)) return false;
  }
  return true;
}
