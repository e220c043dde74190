/**
 * A tiny real rootfs for sandbox tests: static busybox with its applets as
 * symlinks, and an /etc/passwd and /etc/group with a few users and groups.
 */
import { execFileSync } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export const PASSWD = [
  'root:x:0:0:root:/root:/bin/sh',
  'app:x:1000:1000:app:/home/app:/bin/sh',
  'nobody:x:65534:65534:nobody:/nonexistent:/bin/false',
  '',
].join('\n');

export const GROUP = [
  'root:x:0:',
  'wheel:x:10:root,app',
  'audio:x:29:app',
  'app:x:1000:',
  'nogroup:x:65534:',
  '',
].join('\n');

let applets: string[] | undefined;

/** Creates a busybox rootfs in `dir` (which must exist). */
export function writeBusyboxRootfs(dir: string): void {
  applets ??= execFileSync('/bin/busybox', ['--list'], { encoding: 'utf8' }).split('\n').filter((a) => a && a !== 'busybox');
  for (const sub of ['bin', 'etc', 'tmp', 'root', 'home/app', 'usr/bin']) mkdirSync(join(dir, sub), { recursive: true });
  copyFileSync('/bin/busybox', join(dir, 'bin/busybox'));
  execFileSync('chmod', ['0755', join(dir, 'bin/busybox')]);
  execFileSync('chmod', ['1777', join(dir, 'tmp')]);
  for (const applet of applets) symlinkSync('busybox', join(dir, 'bin', applet));
  writeFileSync(join(dir, 'etc/passwd'), PASSWD);
  writeFileSync(join(dir, 'etc/group'), GROUP);
}

export function userDb(dir: string) {
  return { passwd: readFileSync(join(dir, 'etc/passwd'), 'utf8'), group: readFileSync(join(dir, 'etc/group'), 'utf8') };
}

export function makeTempDir(prefix: string): string {
  return mkdtempSync(join(tmpdir(), `layerlab-sbx-test-${prefix}-`));
}

export const BASE_ENV = ['PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin', 'HOME=/root'];
