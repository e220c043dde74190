/**
 * The native xattr reader (native/xattrs.c, built by `npm ci` through
 * node-gyp into build/Release). Absent when it did not build, for example
 * without a C compiler: callers then fall back to getfattr.
 */
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';

/** Per path: [name, value, name, value, ...], or null when it has none or cannot be read. */
type NameValueList = Array<string | Buffer>;

export interface NativeXattrs {
  readXattrs(paths: readonly string[]): Array<NameValueList | null>;
  /** [path, list, path, list, ...] for every entry under dir (dir included) that has attributes; links not followed. */
  readXattrsTree(dir: string): Array<string | NameValueList>;
}

let loaded: NativeXattrs | null | undefined;

export function nativeXattrs(): NativeXattrs | undefined {
  if (loaded === undefined) loaded = load();
  return loaded ?? undefined;
}

function load(): NativeXattrs | null {
  // From dist/layers/ (tsc output) or dist/cli/commands/ (the CLI bundle).
  for (const relative of ['../../build/Release/layerlab_xattrs.node', '../../../build/Release/layerlab_xattrs.node']) {
    const path = fileURLToPath(new URL(relative, import.meta.url));
    if (!existsSync(path)) continue;
    try {
      return createRequire(import.meta.url)(path) as NativeXattrs;
    } catch {
      return null; // built for another Node: getfattr still works
    }
  }
  return null;
}
