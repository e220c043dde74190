/**
 * File operations inside RUN, as real builds on the busybox base: what the
 * overlay upper dir holds becomes the layer's change list (see build-harness
 * for the line format and what is normalised).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BASE, build, createBuildEnv, expectOk, type BuildEnv } from './build-harness.js';

let env: BuildEnv;
beforeAll(async () => {
  env = await createBuildEnv();
});
afterAll(async () => {
  await env?.cleanup();
});

const longDir = 'd'.repeat(120);
const longFile = 'f'.repeat(150);
const veryLongName = 'n'.repeat(250);

describe('RUN file operations', () => {
  it('adds dirs, a setuid file, a hardlink, a symlink and a fifo', async () => {
    const r = await build(env, {
      dockerfile: `FROM ${BASE}\nRUN mkdir -p /x/y && echo hi > /x/y/f && ln -s f /x/y/l && ln /x/y/f /x/y/h && mkfifo /x/p && chmod 4755 /x/y/f\n`,
    });
    expectOk(r);
    expect(r.changes[1]).toEqual([
      'A dir 0755 0:0 x',
      'A fifo 0644 0:0 x/p',
      'A dir 0755 0:0 x/y',
      'A file 4755 0:0 x/y/f',
      'A hardlink 4755 0:0 x/y/h => x/y/f',
      'A symlink 0777 0:0 x/y/l -> f',
    ]);
    expect(r.steps[1]).toMatchObject({ status: 'done', counts: { added: 6, modified: 0, deleted: 0 } });
    expect(r.history).toEqual([
      'RUN /bin/sh -c mkdir -p /x/y && echo hi > /x/y/f && ln -s f /x/y/l && ln /x/y/f /x/y/h && mkfifo /x/p && chmod 4755 /x/y/f # buildkit',
    ]);
    expect(r.image.diffIds).toHaveLength(2);
  });

  it('deletes files and dirs of a lower layer as whiteouts, and recreates a dir as opaque', async () => {
    const r = await build(env, {
      dockerfile: [
        `FROM ${BASE}`,
        'RUN mkdir -p /data/keep /data/gone && echo 1 > /data/keep/a && echo 2 > /data/gone/b && echo 3 > /data/c',
        'RUN rm /data/c && rm -rf /data/gone && rm /bin/ls',
        'RUN rm -rf /data/keep && mkdir /data/keep && echo new > /data/keep/n',
        '',
      ].join('\n'),
    });
    expectOk(r);
    expect(r.changes[2]).toEqual(['D symlink bin/ls', 'D file data/c', 'D dir data/gone']);
    expect(r.steps[2]!.counts).toEqual({ added: 0, modified: 0, deleted: 3 });
    expect(r.changes[3]).toEqual(['M dir 0755 0:0 data/keep [opaque]', 'A file 0644 0:0 data/keep/n']);
    expect(r.steps[3]!.counts).toEqual({ added: 1, modified: 1, deleted: 0 });
  });

  it('a new file where the lower layer had a dir of that name replaces it', async () => {
    const r = await build(env, {
      dockerfile: `FROM ${BASE}\nRUN mkdir -p /swap/sub && touch /swap/sub/x\nRUN rm -rf /swap && echo file > /swap\n`,
    });
    expectOk(r);
    expect(r.changes[2]).toEqual(['M file 0644 0:0 swap']);
  });

  it('special bits: setgid dir with a group, sticky dir, setuid+setgid file', async () => {
    const r = await build(env, {
      dockerfile: `FROM ${BASE}\nRUN mkdir /sg /st && chmod 2750 /sg && chgrp 1000 /sg && chmod 1777 /st && touch /st/t && chmod 6711 /st/t\n`,
    });
    expectOk(r);
    expect(r.changes[1]).toEqual(['A dir 2750 0:1000 sg', 'A dir 1777 0:0 st', 'A file 6711 0:0 st/t']);
  });

  it('metadata-only changes: chmod, chown, touch are marked with the fields that changed', async () => {
    const r = await build(env, {
      dockerfile: `FROM ${BASE}\nRUN chmod 600 /etc/passwd && chown 1000:1000 /etc/group && touch -d 2020-01-01 /bin/busybox && chmod 1777 /home\n`,
    });
    expectOk(r);
    expect(r.changes[1]).toEqual([
      'M file 0755 0:0 bin/busybox (mtime)',
      'M file 0644 1000:1000 etc/group (uid,gid)',
      'M file 0600 0:0 etc/passwd (mode)',
      'M dir 1777 0:0 home (mode)',
    ]);
    expect(r.steps[1]!.counts).toEqual({ added: 0, modified: 4, deleted: 0 });
  });

  it('a hardlink to a file of a lower layer copies the file up and links to it', async () => {
    const r = await build(env, { dockerfile: `FROM ${BASE}\nRUN ln /etc/passwd /etc/passwd2\n` });
    expectOk(r);
    expect(r.changes[1]).toEqual(['M file 0644 0:0 etc/passwd', 'A hardlink 0644 0:0 etc/passwd2 => etc/passwd']);
  });

  it('long names: a 150-byte name, a 250-byte name and a path over 255 bytes', async () => {
    const r = await build(env, {
      dockerfile: `FROM ${BASE}\nRUN mkdir -p /long/${longDir}/${longDir} && echo a > /long/${longFile} && echo b > /long/${veryLongName} && echo c > /long/${longDir}/${longDir}/${longFile} && ln -s ${veryLongName} /long/sl\n`,
    });
    expectOk(r);
    expect(r.changes[1]).toEqual(
      [
        'A dir 0755 0:0 long',
        `A dir 0755 0:0 long/${longDir}`,
        `A dir 0755 0:0 long/${longDir}/${longDir}`,
        `A file 0644 0:0 long/${longDir}/${longDir}/${longFile}`,
        `A file 0644 0:0 long/${longFile}`,
        `A file 0644 0:0 long/${veryLongName}`,
        `A symlink 0777 0:0 long/sl -> ${veryLongName}`,
      ],
    );
    expect(`long/${longDir}/${longDir}/${longFile}`.length).toBeGreaterThan(255);
  });

  it('files written as another user keep that owner; a step that changes nothing makes no layer', async () => {
    const r = await build(env, {
      dockerfile: `FROM ${BASE}\nUSER user\nRUN echo mine > /home/user/mine && mkdir /home/user/sub\nRUN true\n`,
    });
    expectOk(r);
    expect(r.changes[2]).toEqual(['A file 0644 1000:1000 home/user/mine', 'A dir 0755 1000:1000 home/user/sub']);
    expect(r.steps[3]).toMatchObject({ status: 'done', counts: { added: 0, modified: 0, deleted: 0 } });
    expect(r.steps[3]!.layer).toBeUndefined();
    expect(r.history).toEqual([
      'USER user (no layer)',
      'RUN /bin/sh -c echo mine > /home/user/mine && mkdir /home/user/sub # buildkit',
      'RUN /bin/sh -c true # buildkit (no layer)',
    ]);
    expect(r.image.diffIds).toHaveLength(2);
  });

  it('what the sandbox mounts (/etc/hosts, resolv.conf, hostname, /proc, /dev) never leaks into the layer', async () => {
    const r = await build(env, {
      dockerfile: `FROM ${BASE}\nRUN cat /etc/hosts /etc/resolv.conf /etc/hostname > /dev/null && ls /proc/self > /dev/null && echo ok > /ok\n`,
    });
    expectOk(r);
    expect(r.changes[1]).toEqual(['A file 0644 0:0 ok']);
  });
});
