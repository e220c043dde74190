/**
 * The engine's own overlay mounts on the host (root): mounted, released,
 * and on a failed mount nothing left behind, neither the dir nor a mount.
 */
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { HostMountError, mountWritable } from '../../src/engine/host-mounts.js';

const base = mkdtempSync(join(tmpdir(), 'll-host-mounts-'));
afterAll(() => rmSync(base, { recursive: true, force: true }));

const mountsUnder = (dir: string) =>
  readFileSync('/proc/self/mountinfo', 'utf8')
    .split('\n')
    .map((l) => l.split(' ')[4] ?? '')
    .filter((p) => p.startsWith(dir));

describe.runIf(process.getuid?.() === 0)('host overlay mounts', () => {
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
    await expect(mountWritable(join(tmp, 'tmp'), [join(tmp, 'no-such-lower')], join(tmp, 'upper'), join(tmp, 'work'))).rejects.toThrow(
      HostMountError,
    );
    expect(mountsUnder(tmp)).toEqual([]);
    expect(readdirSync(join(tmp, 'tmp'))).toEqual([]);
  });
});
