import { describe, expect, test } from 'vitest';
import { resolveUser, UnknownUserError } from '../../src/sandbox/index.js';
import { GROUP, PASSWD } from './busybox-rootfs.js';

const db = { passwd: PASSWD, group: GROUP };

describe('resolveUser (runc semantics)', () => {
  test('empty spec is root, with root\'s supplementary groups', () => {
    expect(resolveUser('', db)).toEqual({ uid: 0, gid: 0, groups: [10], home: '/root' });
  });
  test('a name gives its uid, primary gid and the groups listing it', () => {
    expect(resolveUser('app', db)).toEqual({ uid: 1000, gid: 1000, groups: [10, 29], home: '/home/app' });
  });
  test('a number with an entry behaves like the name', () => {
    expect(resolveUser('1000', db)).toEqual({ uid: 1000, gid: 1000, groups: [10, 29], home: '/home/app' });
  });
  test('a number without an entry is fine: gid 0, no groups', () => {
    expect(resolveUser('4242', db)).toEqual({ uid: 4242, gid: 0, groups: [], home: '/' });
  });
  test('an explicit group replaces the primary gid and drops supplementary groups', () => {
    expect(resolveUser('app:audio', db)).toEqual({ uid: 1000, gid: 29, groups: [], home: '/home/app' });
    expect(resolveUser('app:777', db)).toEqual({ uid: 1000, gid: 777, groups: [], home: '/home/app' });
    expect(resolveUser('4242:4243', db)).toEqual({ uid: 4242, gid: 4243, groups: [], home: '/' });
  });
  test('unknown names are errors the user can act on', () => {
    expect(() => resolveUser('ghost', db)).toThrow(UnknownUserError);
    expect(() => resolveUser('app:ghosts', db)).toThrow(/no group ghosts/);
    expect(() => resolveUser('ghost', {})).toThrow(/no \/etc\/passwd/);
    const err = (() => { try { resolveUser('ghost', db); } catch (e) { return e as UnknownUserError; } })();
    expect(err?.isUserError).toBe(true);
    expect(err?.exitCode).toBe(2);
  });
  test('numeric specs work without any user database', () => {
    expect(resolveUser('5:6', {})).toEqual({ uid: 5, gid: 6, groups: [], home: '/' });
  });
  test('first entry wins; comments and blank lines are skipped', () => {
    const passwd = '# comment\n\ndup:x:7:7::/a:/bin/sh\ndup:x:8:8::/b:/bin/sh\n';
    expect(resolveUser('dup', { passwd, group: '' })).toMatchObject({ uid: 7, gid: 7, home: '/a' });
  });
  test('ids out of range are rejected', () => {
    expect(() => resolveUser('4294967296', db)).toThrow(/out of range/);
  });
});
