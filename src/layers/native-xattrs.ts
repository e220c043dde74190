/**
 * The native xattr reader (native/xattrs.c). Absent when it did not build:
 * callers then fall back to getfattr.
 */
import { loadNativeAddon } from './native-addon.js';

/** Per path: [name, value, name, value, ...], or null when it has none or cannot be read. */
type NameValueList = Array<string | Buffer>;

export interface NativeXattrs {
  readXattrs(paths: readonly string[]): Array<NameValueList | null>;
  /** [path, list, path, list, ...] for every entry under dir (dir included) that has attributes; links not followed. */
  readXattrsTree(dir: string): Array<string | NameValueList>;
}

let loaded: NativeXattrs | null | undefined;

export function nativeXattrs(): NativeXattrs | undefined {
  if (loaded === undefined) loaded = loadNativeAddon<NativeXattrs>('layerlab_xattrs') ?? null;
  return loaded ?? undefined;
}
