import { describe, expect, test } from 'vitest';
import { makeEtcFiles } from '../../src/sandbox/etc-files.js';
import { hasSubordinateRange, parseIdMapText, toContainerId, toHostId } from '../../src/sandbox/id-mapping.js';
import { fstabEscape } from '../../src/sandbox/setup-script.js';
import { quoteShell } from '../../src/sandbox/shell-quote.js';

describe('etc files', () => {
  const host = { hosts: '127.0.0.1 localhost\n10.0.0.5 buildhost\n', resolvConf: 'nameserver 127.0.0.53\nsearch lan\n' };
  test('default and none get a generated hosts file naming the container', () => {
    const f = makeEtcFiles('default', 'c0ffee', [{ host: 'db', ip: '10.1.2.3' }], host);
    expect(f.hosts).toBe('127.0.0.1\tlocalhost c0ffee\n::1\tlocalhost ip6-localhost ip6-loopback\n10.1.2.3\tdb\n');
    expect(f.hostname).toBe('c0ffee\n');
    expect(f.resolvConf).toBe(host.resolvConf);
  });
  test('host network copies the host\'s hosts file', () => {
    expect(makeEtcFiles('host', 'x', [], host).hosts).toBe(host.hosts);
  });
  test('none drops loopback nameservers and falls back to public ones', () => {
    expect(makeEtcFiles('none', 'x', [], host).resolvConf).toBe('search lan\nnameserver 8.8.8.8\nnameserver 8.8.4.4\n');
  });
});

describe('id mapping', () => {
  const map = parseIdMapText('         0       1001          1\n         1     100000      65535\n');
  test('parses /proc uid_map text', () => {
    expect(map).toEqual([{ containerId: 0, hostId: 1001, size: 1 }, { containerId: 1, hostId: 100000, size: 65535 }]);
  });
  test('maps both ways, as in DESIGN.md: 1000 inside is 100999 outside', () => {
    expect(toHostId(map, 0)).toBe(1001);
    expect(toHostId(map, 1000)).toBe(100999);
    expect(toHostId(map, 65536)).toBeUndefined();
    expect(toContainerId(map, 100999)).toBe(1000);
    expect(toContainerId(map, 5)).toBeUndefined();
  });
  test('finds subordinate ranges by name or uid', () => {
    const text = 'alice:100000:65536\n1002:300000:65536\nbob:200000:0\n';
    expect(hasSubordinateRange(text, { name: 'alice', id: 1001 })).toBe(true);
    expect(hasSubordinateRange(text, { name: 'carol', id: 1002 })).toBe(true);
    expect(hasSubordinateRange(text, { name: 'bob', id: 1003 })).toBe(false);
  });
});

describe('quoting', () => {
  test('shell words survive quotes', () => {
    expect(quoteShell('plain/path')).toBe('plain/path');
    expect(quoteShell("it's")).toBe(`'it'\\''s'`);
  });
  test('fstab fields escape blanks and backslashes', () => {
    expect(fstabEscape('/a b\\c\td')).toBe('/a\\040b\\134c\\011d');
  });
});
