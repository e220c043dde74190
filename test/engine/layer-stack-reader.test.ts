/**
 * Reading through stacked layer dirs as overlayfs shows them, without a mount:
 * topmost wins, whiteouts and opaque dirs hide, a non-directory ends a merge,
 * and symlinks resolve inside the stack like a chroot.
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { readFileFromStack, statInStack } from '../../src/engine/layer-stack-reader.js';

const root = mkdtempSync(join(tmpdir(), 'll-stack-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

/** A layer dir from a list of entries: "path" for a dir (ends in /), "path=text" for a file, "path->target" for a link. */
function layer(name: string, entries: string[]): string {
  const dir = join(root, name);
  mkdirSync(dir);
  for (const e of entries) {
    if (e.includes('->')) {
      const [path, target] = e.split('->') as [string, string];
      symlinkSync(target, join(dir, path));
    } else if (e.endsWith('/')) {
      mkdirSync(join(dir, e), { recursive: true });
    } else {
      const [path, text] = e.split('=') as [string, string];
      writeFileSync(join(dir, path), text);
    }
  }
  return dir;
}

const text = (layers: string[], path: string) => readFileFromStack(layers, path)?.toString('utf8');

describe('layer-stack reader', () => {
  it('takes the topmost file and merges directories below it', () => {
    const low = layer('merge-low', ['etc/', 'etc/passwd=low', 'etc/group=low']);
    const high = layer('merge-high', ['etc/', 'etc/passwd=high']);
    expect(text([high, low], '/etc/passwd')).toBe('high');
    expect(text([high, low], '/etc/group')).toBe('low');
    expect(statInStack([high, low], '/etc')).toBe('dir');
  });

  it('lets a file in an upper layer hide what a lower layer has below that name', () => {
    const low = layer('file-low', ['a/', 'a/b=under']);
    const high = layer('file-high', ['a=now a file']);
    expect(statInStack([high, low], '/a')).toBe('file');
    expect(text([high, low], '/a/b')).toBeUndefined();
  });

  it('honours whiteouts', () => {
    const low = layer('wh-low', ['etc/', 'etc/shadow=secret']);
    const high = layer('wh-high', ['etc/']);
    execFileSync('mknod', [join(high, 'etc/shadow'), 'c', '0', '0']);
    expect(text([high, low], '/etc/shadow')).toBeUndefined();
    expect(text([low], '/etc/shadow')).toBe('secret');
  });

  it.runIf(process.getuid?.() === 0)('stops a merge at an opaque dir', () => {
    const low = layer('opq-low', ['d/', 'd/old=old']);
    const high = layer('opq-high', ['d/', 'd/new=new']);
    execFileSync('setfattr', ['-n', 'trusted.overlay.opaque', '-v', 'y', join(high, 'd')]);
    expect(text([high, low], '/d/new')).toBe('new');
    expect(text([high, low], '/d/old')).toBeUndefined();
  });

  it('follows symlinks inside the stack, absolute ones from its root', () => {
    const low = layer('ln-low', ['opt/', 'opt/app/', 'opt/app/conf=conf', 'etc/']);
    const high = layer('ln-high', ['app->/opt/app', 'etc/', 'etc/escape->../../../../etc']);
    expect(text([high, low], '/app/conf')).toBe('conf');
    expect(statInStack([high, low], '/app')).toBe('dir');
    // ".." stops at the stack's root, as in a chroot: this is the stack's /etc, not the host's.
    expect(statInStack([high, low], '/etc/escape/passwd')).toBeUndefined();
  });
});
