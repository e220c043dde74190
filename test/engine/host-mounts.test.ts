/**
 * The engine's own overlay mounts on the host (root): mounted, released,
 * and on a failed mount nothing left behind, neither the dir nor a mount.
 * Each test runs both ways: through the mount addon (native/mount.c), and
 * through mount(8) and umount(8) as without it.
 */
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';

type HostMounts = typeof import('../../src/engine/host-mounts.js');

const base = mkdtempSync(join(tmpdir(), 'll-host-mounts-'));
afterAll(() => rmSync(base, { recursive: true, force: true }));

const mountsUnder = (dir: string) =>
  readFileSync('/proc/self/mountinfo', 'utf8')
    .split('\n')
    .map((l) => l.split(' ')[4] ?? '')
    .filter((p) => p.startsWith(dir));

const ways = [
  { way: 'through the mount addon, which npm ci builds', key: 'addon', noAddons: false },
  { way: 'through mount(8) and umount(8), without the addon', key: 'tools', noAddons: true },
];

describe.runIf(process.getuid?.() === 0)('host overlay mounts', () => {
  describe.each(ways)('$way', ({ key, noAddons }) => {
    let hostMounts: HostMounts;
    beforeAll(async () => {
      if (noAddons) process.env.LAYERLAB_NO_NATIVE_ADDONS = '1';
      vi.resetModules();
      hostMounts = await import('../../src/engine/host-mounts.js');
      // Loaded (or not) now, under this way's environment, and kept by the module.
      const { nativeMount } = await import('../../src/engine/native-mount.js');
      expect(nativeMount() === undefined).toBe(noAddons);
    });
    afterAll(() => {
      delete process.env.LAYERLAB_NO_NATIVE_ADDONS;
      vi.resetModules();
    });

    it('mounts a writable view and leaves nothing after release', async () => {
      const tmp = join(base, key, 'ok');
      for (const d of ['tmp', 'lower', 'upper', 'work']) mkdirSync(join(tmp, d), { recursive: true });
      writeFileSync(join(tmp, 'lower', 'below'), 'below\n');
      const mount = await hostMounts.mountWritable(join(tmp, 'tmp'), [join(tmp, 'lower')], join(tmp, 'upper'), join(tmp, 'work'));
      expect(readFileSync(join(mount.path, 'below'), 'utf8')).toBe('below\n');
      writeFileSync(join(mount.path, 'added'), 'added\n');
      await mount.release();
      expect(readFileSync(join(tmp, 'upper', 'added'), 'utf8')).toBe('added\n');
      expect(mountsUnder(tmp)).toEqual([]);
      expect(readdirSync(join(tmp, 'tmp'))).toEqual([]);
    });

    it('says why a mount failed and leaves no dir and no mount', async () => {
      const tmp = join(base, key, 'bad');
      for (const d of ['tmp', 'upper', 'work']) mkdirSync(join(tmp, d), { recursive: true });
      const failed = hostMounts.mountWritable(join(tmp, 'tmp'), [join(tmp, 'no-such-lower')], join(tmp, 'upper'), join(tmp, 'work'));
      await expect(failed).rejects.toThrow(hostMounts.HostMountError);
      await expect(failed).rejects.toThrow(`could not mount the step's overlay: ${join(tmp, 'no-such-lower')} does not exist`);
      expect(mountsUnder(tmp)).toEqual([]);
      expect(readdirSync(join(tmp, 'tmp'))).toEqual([]);
    });

    it('mounts a read-only view that refuses writes', async () => {
      const tmp = join(base, key, 'ro');
      for (const d of ['tmp', 'lower']) mkdirSync(join(tmp, d), { recursive: true });
      writeFileSync(join(tmp, 'lower', 'below'), 'below\n');
      const mount = await hostMounts.mountReadOnly(join(tmp, 'tmp'), [join(tmp, 'lower')]);
      expect(readFileSync(join(mount.path, 'below'), 'utf8')).toBe('below\n');
      expect(() => writeFileSync(join(mount.path, 'added'), 'x')).toThrow(/EROFS/);
      await mount.release();
      expect(mountsUnder(tmp)).toEqual([]);
    });
  });
});
