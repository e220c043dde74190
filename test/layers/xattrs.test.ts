import { execFileSync } from 'node:child_process';
import { mkdir, mkdtemp, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { nativeXattrs } from '../../src/layers/native-xattrs.js';
import {
  isOpaqueDir,
  isOpaqueDirSync,
  layerXattrs,
  parseGetfattrDump,
  readXattrsOf,
  readXattrsOfWithGetfattr,
  readXattrsRecursive,
  readXattrsRecursiveWithGetfattr,
  type XattrMap,
} from '../../src/layers/xattrs.js';

describe('getfattr dump parsing', () => {
  it('unescapes octal names and decodes base64, hex and text values', () => {
    const dump = Buffer.concat([
      Buffer.from('# file: /u/we=ird\\012name\\134x '),
      Buffer.from('é', 'utf8'),
      Buffer.from('\nuser.bin=0sAP8K\nuser.hex=0x00ff\nuser.text="hi"\n\n# file: /u/d\ntrusted.overlay.opaque=0seQ==\n'),
    ]);
    const parsed = parseGetfattrDump(dump);
    expect([...parsed.keys()]).toEqual(['/u/we=ird\nname\\x é', '/u/d']);
    const weird = parsed.get('/u/we=ird\nname\\x é')!;
    expect(weird.get('user.bin')).toEqual(Buffer.from([0, 0xff, 0x0a]));
    expect(weird.get('user.hex')).toEqual(Buffer.from([0, 0xff]));
    expect(weird.get('user.text')).toEqual(Buffer.from('hi'));
    expect(isOpaqueDir(parsed.get('/u/d'))).toBe(true);
  });

  it('counts only "y" as opaque, under either prefix, and drops overlay attributes from layers', () => {
    expect(isOpaqueDir(new Map([['user.overlay.opaque', Buffer.from('y')]]))).toBe(true);
    expect(isOpaqueDir(new Map([['trusted.overlay.opaque', Buffer.from('x')]]))).toBe(false);
    expect(isOpaqueDir(undefined)).toBe(false);
    const attrs = new Map([
      ['trusted.overlay.origin', Buffer.from('o')],
      ['user.overlay.impure', Buffer.from('y')],
      ['security.capability', Buffer.from('c')],
    ]);
    expect(layerXattrs(attrs)).toEqual({ 'security.capability': Buffer.from('c') });
    expect(layerXattrs(attrs, (name) => name !== 'security.capability')).toBeUndefined();
  });
});

describe('the native reader and getfattr', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'll-xattrs-'));
    await mkdir(join(dir, 'sub', 'deeper'), { recursive: true });
    await writeFile(join(dir, 'plain'), 'no attributes');
    await writeFile(join(dir, 'name with space\nand newline é'), 'x');
    await writeFile(join(dir, 'sub', 'big'), 'x');
    await writeFile(join(dir, 'sub', 'deeper', 'target'), 'x');
    await symlink('deeper/target', join(dir, 'sub', 'link'));
    await symlink('/nowhere', join(dir, 'dangling'));
    const set = (path: string, name: string, value: string) => execFileSync('setfattr', ['-n', name, '-v', value, path]);
    set(dir, 'user.top', 'root of the tree');
    set(join(dir, 'name with space\nand newline é'), 'user.odd name=with\\equals', '0x00ff0a0d5c3d');
    set(join(dir, 'sub', 'big'), 'user.big', `0x${'ab'.repeat(4000)}`);
    set(join(dir, 'sub', 'big'), 'user.empty', '');
    // A link's target has attributes; the link itself must not show them.
    set(join(dir, 'sub', 'deeper', 'target'), 'user.on-target', 'only here');
    if (process.getuid?.() === 0) {
      set(join(dir, 'sub'), 'trusted.overlay.opaque', 'y');
      set(join(dir, 'sub', 'deeper'), 'trusted.overlay.opaque', 'x');
      set(join(dir, 'plain'), 'security.capability', '0x0100000200200000000000000000000000000000');
    }
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  const asObject = (maps: Map<string, XattrMap>) =>
    Object.fromEntries([...maps].map(([path, attrs]) => [path, Object.fromEntries([...attrs].map(([k, v]) => [k, v.toString('hex')]))]));

  it('is built and loads', () => {
    expect(nativeXattrs()).toBeDefined();
  });

  it('reads a whole tree as getfattr does, links not followed', async () => {
    const native = asObject(await readXattrsRecursive(dir));
    expect(native).toEqual(asObject(await readXattrsRecursiveWithGetfattr(dir)));
    expect(Object.keys(native).sort()).toEqual(
      [dir, join(dir, 'name with space\nand newline é'), join(dir, 'sub', 'big'), join(dir, 'sub', 'deeper', 'target')]
        .concat(process.getuid?.() === 0 ? [join(dir, 'plain'), join(dir, 'sub'), join(dir, 'sub', 'deeper')] : [])
        .sort(),
    );
    expect(native[join(dir, 'sub', 'big')]!['user.big']).toBe('ab'.repeat(4000));
    expect(native[join(dir, 'sub', 'big')]!['user.empty']).toBe('');
    expect(native[join(dir, 'name with space\nand newline é')]).toEqual({ 'user.odd name=with\\equals': '00ff0a0d5c3d' });
  });

  it('reads listed paths as getfattr does, and skips missing ones', async () => {
    const paths = [dir, join(dir, 'plain'), join(dir, 'sub', 'link'), join(dir, 'dangling'), join(dir, 'missing'), join(dir, 'sub', 'big')];
    expect(asObject(await readXattrsOf(paths))).toEqual(asObject(await readXattrsOfWithGetfattr(paths)));
  });

  it.runIf(process.getuid?.() === 0)('counts only "y" as an opaque mark', () => {
    expect(isOpaqueDirSync(join(dir, 'sub'))).toBe(true);
    expect(isOpaqueDirSync(join(dir, 'sub', 'deeper'))).toBe(false);
    expect(isOpaqueDirSync(join(dir, 'missing'))).toBe(false);
  });
});
