/**
 * mount(2) and umount2(2) from native/mount.c, for the host-side overlays of
 * file steps. Absent when it did not build: host-mounts.ts then runs mount(8)
 * and umount(8).
 */
import { loadNativeAddon } from '../layers/native-addon.js';

export interface NativeMount {
  /** Throws an Error with the errno name as `code`. */
  mount(source: string, target: string, fstype: string, flags: number, data: string): void;
  umount(target: string, flags: number): void;
  readonly MS_RDONLY: number;
  readonly MNT_DETACH: number;
}

let loaded: NativeMount | null | undefined;

export function nativeMount(): NativeMount | undefined {
  if (loaded === undefined) loaded = loadNativeAddon<NativeMount>('layerlab_mount') ?? null;
  return loaded ?? undefined;
}
