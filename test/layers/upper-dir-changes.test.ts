import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { changesFromUpperDir } from '../../src/layers/upper-dir-changes.js';
import type { ChangeEntry } from '../../src/layers/types.js';
import { isRoot, makeOverlay, type OverlayFixture } from './overlay-fixture.js';
import { BOTTOM_LAYER, LONG_DIR, LONG_PATH_300, STEP, TOP_LAYER } from './step-scenario.js';


function summary(entries: ChangeEntry[]): string[] {
  return entries.map((e) => {
    const bits = [e.kind.padEnd(8), e.type.padEnd(8), e.path];
    if (e.linkTarget !== undefined) bits.push(`-> ${e.linkTarget}`);
    if (e.metadataOnly) bits.push(`meta[${e.metadataOnly.join(',')}]`);
    if (e.opaque) bits.push('opaque');
    return bits.join(' ');
  });
}

describe.skipIf(!isRoot)('changesFromUpperDir on a real overlay', () => {
  let overlay: OverlayFixture;
  let entries: ChangeEntry[];

  beforeAll(async () => {
    overlay = makeOverlay([BOTTOM_LAYER, TOP_LAYER]);
    overlay.sh(STEP);
    entries = await changesFromUpperDir(overlay.upperDir, {
      lowerDirs: overlay.lowerDirs,
      ignore: ['/etc/hosts'],
    });
  });
  afterAll(() => overlay?.cleanup());

  it('lists exactly what the step changed, in tar order', () => {
    const p1 = 'p'.repeat(100);
    const p2 = `${p1}/${'q'.repeat(100)}`;
    expect(summary(entries)).toEqual([
      'added    file     added.txt',
      'modified dir      bin',
      'modified file     bin/tool meta[mode]',
      'modified file     chown.txt meta[uid,gid]',
      'added    dir      ' + 'd'.repeat(60),
      'added    dir      ' + LONG_DIR,
      'added    file     ' + LONG_DIR + '/file-with-a-long-name',
      'modified dir      dir',
      'deleted  file     dir/gone',
      'added    fifo     fifo',
      'added    file     h1',
      'added    hardlink h2 -> h1',
      'added    file     hidden.txt',
      'added    file     hl2',
      'modified hardlink link-src -> hl2',
      'modified file     meta.txt meta[mode]',
      'modified file     mod.txt',
      'added    symlink  newsym -> ../a.txt',
      'added    char     nulldev',
      'modified dir      odir',
      'modified file     odir/new',
      'added    file     odir/old',
      'modified dir      opq opaque',
      'added    file     opq/z',
      `added    dir      ${p1}`,
      `added    dir      ${p2}`,
      `added    dir      ${LONG_PATH_300}`,
      `added    file     ${LONG_PATH_300}/f`,
      'deleted  dir      rmdir',
      'modified file     same-size.txt',
      'modified dir      sticky meta[mode]',
      'modified file     touch.txt meta[mtime]',
      'modified file     xattr.txt meta[xattrs]',
    ]);
  });

  it('carries the metadata a layer needs', () => {
    const byPath = new Map(entries.map((e) => [e.path, e]));
    expect(byPath.get('bin/tool')).toMatchObject({ mode: 0o4755, type: 'file', size: 5 });
    expect(byPath.get('sticky')).toMatchObject({ mode: 0o1777, type: 'dir' });
    expect(byPath.get('chown.txt')).toMatchObject({ uid: 1000, gid: 1001 });
    expect(byPath.get('touch.txt')!.mtime).toBe(Date.UTC(2020, 0, 1));
    expect(byPath.get('xattr.txt')!.xattrs).toEqual({ 'user.note': Buffer.from('hi') });
    expect(byPath.get('nulldev')).toMatchObject({ devMajor: 1, devMinor: 3 });
    expect(byPath.get('added.txt')).toMatchObject({ size: 4, mode: 0o644, uid: 0, gid: 0 });
    expect(byPath.get('h2')).toMatchObject({ size: 0, linkTarget: 'h1' });
    // Overlay's own attributes (impure, origin, opaque) never leak into entries.
    for (const entry of entries) {
      for (const name of Object.keys(entry.xattrs ?? {})) expect(name).not.toMatch(/overlay/);
    }
  });

  it('describes a deleted entry by what it removed', () => {
    const rmdir = entries.find((e) => e.path === 'rmdir')!;
    expect(rmdir).toMatchObject({ kind: 'deleted', type: 'dir' });
    const gone = entries.find((e) => e.path === 'dir/gone')!;
    expect(gone).toMatchObject({ kind: 'deleted', type: 'file', size: 2 });
  });
});

describe.skipIf(!isRoot)('changesFromUpperDir edge cases', () => {
  it('reports nothing for a step that changed nothing, and ignores a mountpoint parent', async () => {
    const overlay = makeOverlay(['mkdir etc; echo x > etc/passwd']);
    try {
      overlay.sh('touch etc/hosts etc/resolv.conf');
      const entries = await changesFromUpperDir(overlay.upperDir, {
        lowerDirs: overlay.lowerDirs,
        ignore: ['etc/hosts', 'etc/resolv.conf'],
      });
      expect(entries).toEqual([]);
    } finally {
      overlay.cleanup();
    }
  });

  it('marks a touched directory as metadata-only and its parent-only ancestors without metadataOnly', async () => {
    const overlay = makeOverlay(['mkdir -p a/b/c; echo f > a/b/c/f']);
    try {
      overlay.sh('touch -d 2001-01-01 a/b/c; echo new > a/b/c/g');
      const entries = await changesFromUpperDir(overlay.upperDir, { lowerDirs: overlay.lowerDirs });
      expect(entries.map((e) => [e.path, e.kind, e.metadataOnly])).toEqual([
        ['a', 'modified', undefined],
        ['a/b', 'modified', undefined],
        // c has a new child, so its mtime change is the child's doing; touch
        // was overridden by the later create anyway.
        ['a/b/c', 'modified', undefined],
        ['a/b/c/g', 'added', undefined],
      ]);
      overlay.sh('touch -d 2001-01-01 a/b');
      const again = await changesFromUpperDir(overlay.upperDir, { lowerDirs: overlay.lowerDirs });
      expect(again.find((e) => e.path === 'a/b')?.metadataOnly).toBeUndefined();
    } finally {
      overlay.cleanup();
    }
  });

  it('reads an upper dir with no lowers as all added', async () => {
    const overlay = makeOverlay(['true']);
    try {
      overlay.sh('mkdir x; echo 1 > x/y');
      const entries = await changesFromUpperDir(overlay.upperDir, { lowerDirs: [] });
      expect(entries.map((e) => `${e.kind} ${e.path}`)).toEqual(['added x', 'added x/y']);
    } finally {
      overlay.cleanup();
    }
  });

  it('reports a chmod of a lower directory with no other change as metadata-only', async () => {
    const overlay = makeOverlay(['mkdir d; echo f > d/f; chmod 755 d']);
    try {
      overlay.sh('chmod 700 d; chown 5:6 d');
      const entries = await changesFromUpperDir(overlay.upperDir, { lowerDirs: overlay.lowerDirs });
      expect(entries.map((e) => [e.path, e.kind, e.metadataOnly])).toEqual([['d', 'modified', ['mode', 'uid', 'gid']]]);
    } finally {
      overlay.cleanup();
    }
  });

  it('reads user.overlay.* markers of an overlay mounted with userxattr (as in a user namespace)', async () => {
    const overlay = makeOverlay(['mkdir d; echo x > d/f; echo y > g'], ',userxattr');
    try {
      overlay.sh('rm -rf d && mkdir d && echo new > d/n; rm g');
      const entries = await changesFromUpperDir(overlay.upperDir, { lowerDirs: overlay.lowerDirs });
      expect(entries.map((e) => [e.kind, e.path, e.opaque ?? false])).toEqual([
        ['modified', 'd', true],
        ['added', 'd/n', false],
        ['deleted', 'g', false],
      ]);
      for (const entry of entries) expect(entry.xattrs).toBeUndefined();
    } finally {
      overlay.cleanup();
    }
  });
});
