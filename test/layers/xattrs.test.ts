import { describe, expect, it } from 'vitest';
import { isOpaqueDir, layerXattrs, parseGetfattrDump } from '../../src/layers/xattrs.js';

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
