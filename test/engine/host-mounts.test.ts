/**
 * The engine's own overlay mounts on the host (root): mounted, released,
 * and on a failed mount nothing left behind, neither the dir nor a mount.
 */
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it, vi } from 'vitest';
import { HostMountError, mountReadOnly, mountWritable } from '../../src/engine/host-mounts.js';
import { nativeMount } from '../../src/engine/native-mount.js';

const base = mkdtempSync(join(tmpdir(), 'll-host-mounts-'));
afterAll(() => rmSync(base, { recursive: true, force: true }));

const mountsUnder = (dir: string) =>
  readFileSync('/proc/self/mountinfo', 'utf8')
    .split('\n')
    .map((l) => l.split(' ')[4] ?? '')
    .filter((p) => p.startsWith(dir));

describe.runIf(process.getuid?.() === 0)('host overlay mounts', () => {
  it('go through the mount addon, which npm ci builds', () => {
    expect(nativeMount()).toBeDefined();
  });

  it('mounts a writable view and leaves nothing after release', async () => {
    const tmp = join(base, 'ok');
    for (const d of ['tmp', 'lower', 'upper', 'work']) mkdirSync(join(tmp, d), { recursive: true });
    writeFileSync(join(tmp, 'lower', 'below'), 'below\n');
    const mount = await mountWritable(join(tmp, 'tmp'), [join(tmp, 'lower')], join(tmp, 'upper'), join(tmp, 'work'));
    expect(readFileSync(join(mount.path, 'below'), 'utf8')).toBe('below\n');
    writeFileSync(join(mount.path, 'added'), 'added\n');
    await mount.release();
    expect(readFileSync(join(tmp, 'upper', 'added'), 'utf8')).toBe('added\n');
    expect(mountsUnder(tmp)).toEqual([]);
    expect(readdirSync(join(tmp, 'tmp'))).toEqual([]);
  });

  it('says why a mount failed and leaves no dir and no mount', async () => {
    const tmp = join(base, 'bad');
    for (const d of ['tmp', 'upper', 'work']) mkdirSync(join(tmp, d), { recursive: true });
    const failed = mountWritable(join(tmp, 'tmp'), [join(tmp, 'no-such-lower')], join(tmp, 'upper'), join(tmp, 'work'));
    await expect(failed).rejects.toThrow(HostMountError);
    await expect(failed).rejects.toThrow(`could not mount the step's overlay: ${join(tmp, 'no-such-lower')} does not exist`);
    expect(mountsUnder(tmp)).toEqual([]);
    expect(readdirSync(join(tmp, 'tmp'))).toEqual([]);
  });

  it('mounts a read-only view that refuses writes', async () => {
    const tmp = join(base, 'ro');
    for (const d of ['tmp', 'lower']) mkdirSync(join(tmp, d), { recursive: true });
    writeFileSync(join(tmp, 'lower', 'below'), 'below\n');
    const mount = await mountReadOnly(join(tmp, 'tmp'), [join(tmp, 'lower')]);
    expect(readFileSync(join(mount.path, 'below'), 'utf8')).toBe('below\n');
    expect(() => writeFileSync(join(mount.path, 'added'), 'x')).toThrow(/EROFS/);
    await mount.release();
    expect(mountsUnder(tmp)).toEqual([]);
  });

  it('fall back to mount(8) and umount(8) without the addon', async () => {
    process.env.LAYERLAB_NO_NATIVE_ADDONS = '1';
    try {
      vi.resetModules();
      const tools = await import('../../src/engine/host-mounts.js');
      const native = await import('../../src/engine/native-mount.js');
      expect(native.nativeMount()).toBeUndefined();
      const tmp = join(base, 'tools');
      for (const d of ['tmp', 'lower', 'upper', 'work']) mkdirSync(join(tmp, d), { recursive: true });
      writeFileSync(join(tmp, 'lower', 'below'), 'below\n');
      const mount = await tools.mountWritable(join(tmp, 'tmp'), [join(tmp, 'lower')], join(tmp, 'upper'), join(tmp, 'work'));
      writeFileSync(join(mount.path, 'added'), readFileSync(join(mount.path, 'below')));
      await mount.release();
      expect(readFileSync(join(tmp, 'upper', 'added'), 'utf8')).toBe('below\n');
      const readOnly = await tools.mountReadOnly(join(tmp, 'tmp'), [join(tmp, 'lower')]);
      expect(() => writeFileSync(join(readOnly.path, 'added'), 'x')).toThrow(/EROFS/);
      await readOnly.release();
      const failed = tools.mountWritable(join(tmp, 'tmp'), [join(tmp, 'gone')], join(tmp, 'upper'), join(tmp, 'work'));
      await expect(failed).rejects.toThrow(`could not mount the step's overlay: ${join(tmp, 'gone')} does not exist`);
      expect(mountsUnder(tmp)).toEqual([]);
      expect(readdirSync(join(tmp, 'tmp'))).toEqual([]);
    } finally {
      delete process.env.LAYERLAB_NO_NATIVE_ADDONS;
      vi.resetModules();
    }
  });
});
