/**
 * COPY and ADD as real builds on the busybox base: globs, directory contents,
 * the trailing-slash rules, --chown by name and number, --chmod, --from a
 * stage / an index / an image, --parents, --exclude, .dockerignore, a local
 * tar auto-extracted, a URL from a 127.0.0.1 server with --checksum, and an
 * inline heredoc file. Owners in the context are ignored (COPY writes 0:0
 * unless --chown), modes are kept.
 */
import { createHash } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BASE, build, createBuildEnv, expectOk, failureOf, type BuildEnv, type ContextEntry } from './build-harness.js';

let env: BuildEnv;
let server: Server;
let baseUrl: string;
const TOOL = '#!/bin/sh\necho tool\n';
const TOOL_SHA = createHash('sha256').update(TOOL).digest('hex');

beforeAll(async () => {
  env = await createBuildEnv();
  server = createServer((req, res) => {
    if (req.url === '/files/tool.sh') {
      res.writeHead(200, { 'Last-Modified': 'Wed, 21 Oct 2015 07:28:00 GMT' });
      res.end(TOOL);
    } else {
      res.writeHead(404);
      res.end('not here');
    }
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  if (!address || typeof address === 'string') throw new Error('the test server has no port');
  baseUrl = `http://127.0.0.1:${address.port}`;
});
afterAll(async () => {
  await new Promise<void>((resolve) => server?.close(() => resolve()));
  await env?.cleanup();
});

const context: Record<string, ContextEntry> = {
  'a.txt': 'a\n',
  'b.txt': { file: 'b\n', mode: 0o600, uid: 1234, gid: 1234 },
  'c.md': '# c\n',
  'run.sh': { file: '#!/bin/sh\n', mode: 0o755 },
  'd/b.txt': 'db\n',
  'd/sub/c.txt': 'dc\n',
  'd/sub/skip.md': 'md\n',
  'd/link': { symlink: 'b.txt' },
  'secret.txt': 'do not copy\n',
  '.dockerignore': 'secret.txt\n**/*.log\n',
  'noise.log': 'log\n',
};

describe('COPY from the context', () => {
  it('globs, dir contents and the trailing-slash rules', async () => {
    const r = await build(env, {
      dockerfile: [
        `FROM ${BASE}`,
        'COPY *.txt /glob/',
        'COPY d /contents',
        'COPY a.txt /file-named-t1',
        'COPY a.txt /into-dir/',
        'COPY a.txt run.sh /multi/',
        'WORKDIR /wd',
        'COPY a.txt rel/',
        '',
      ].join('\n'),
      context,
    });
    expectOk(r);
    expect(r.changes.slice(1)).toEqual([
      // secret.txt matches the glob but .dockerignore hides it.
      ['A dir 0755 0:0 glob', 'A file 0644 0:0 glob/a.txt', 'A file 0600 0:0 glob/b.txt'],
      [
        'A dir 0755 0:0 contents',
        'A file 0644 0:0 contents/b.txt',
        'A symlink 0777 0:0 contents/link -> b.txt',
        'A dir 0755 0:0 contents/sub',
        'A file 0644 0:0 contents/sub/c.txt',
        'A file 0644 0:0 contents/sub/skip.md',
      ],
      ['A file 0644 0:0 file-named-t1'],
      ['A dir 0755 0:0 into-dir', 'A file 0644 0:0 into-dir/a.txt'],
      ['A dir 0755 0:0 multi', 'A file 0644 0:0 multi/a.txt', 'A file 0755 0:0 multi/run.sh'],
      ['A dir 0755 0:0 wd'],
      ['A dir 0755 0:0 wd/rel', 'A file 0644 0:0 wd/rel/a.txt'],
    ]);
    expect(r.history).toEqual([
      'COPY *.txt /glob/ # buildkit',
      'COPY d /contents # buildkit',
      'COPY a.txt /file-named-t1 # buildkit',
      'COPY a.txt /into-dir/ # buildkit',
      'COPY a.txt run.sh /multi/ # buildkit',
      'WORKDIR /wd',
      'COPY a.txt rel/ # buildkit',
    ]);
  });

  it('several sources need a destination that ends in /', async () => {
    const r = await build(env, { dockerfile: `FROM ${BASE}\nCOPY a.txt run.sh /nodir\n`, context });
    expect(r.ok).toBe(false);
    expect(r.steps[1]!.status).toBe('failed');
    expect(r.steps[1]!.failure?.message).toMatch(/must be a directory and end with a \//);
  });

  it('--chown by name and by number, --chmod', async () => {
    const r = await build(env, {
      dockerfile: [
        `FROM ${BASE}`,
        'COPY --chown=user:user d /by-name/',
        'COPY --chown=1000:65534 a.txt /by-number/',
        'COPY --chown=nobody a.txt /user-only/',
        'COPY --chmod=0640 run.sh a.txt /chmod/',
        'COPY --chown=user --chmod=700 d/sub /both/',
        '',
      ].join('\n'),
      context,
    });
    expectOk(r);
    expect(r.changes.slice(1)).toEqual([
      [
        // The destination dir is created by COPY: owned like the files.
        'A dir 0755 1000:1000 by-name',
        'A file 0644 1000:1000 by-name/b.txt',
        'A symlink 0777 1000:1000 by-name/link -> b.txt',
        'A dir 0755 1000:1000 by-name/sub',
        'A file 0644 1000:1000 by-name/sub/c.txt',
        'A file 0644 1000:1000 by-name/sub/skip.md',
      ],
      ['A dir 0755 1000:65534 by-number', 'A file 0644 1000:65534 by-number/a.txt'],
      // A user alone takes its primary group from /etc/passwd.
      ['A dir 0755 65534:65534 user-only', 'A file 0644 65534:65534 user-only/a.txt'],
      ['A dir 0755 0:0 chmod', 'A file 0640 0:0 chmod/a.txt', 'A file 0640 0:0 chmod/run.sh'],
      ['A dir 0755 1000:1000 both', 'A file 0700 1000:1000 both/c.txt', 'A file 0700 1000:1000 both/skip.md'],
    ]);
    expect(r.history).toEqual([
      'COPY --chown=user:user d /by-name/ # buildkit',
      'COPY --chown=1000:65534 a.txt /by-number/ # buildkit',
      'COPY --chown=nobody a.txt /user-only/ # buildkit',
      'COPY --chmod=0640 run.sh a.txt /chmod/ # buildkit',
      'COPY --chown=user --chmod=700 d/sub /both/ # buildkit',
    ]);
  });

  it('--parents, --exclude and .dockerignore', async () => {
    const r = await build(env, {
      dockerfile: [
        '# syntax=docker/dockerfile:1.7-labs',
        `FROM ${BASE}`,
        'COPY --parents d/sub/c.txt ./a.txt /p/',
        'COPY --exclude=**/*.md --exclude=link d /ex/',
        'COPY . /all/',
        '',
      ].join('\n'),
      context,
    });
    expectOk(r);
    expect(r.changes.slice(1)).toEqual([
      ['A dir 0755 0:0 p', 'A file 0644 0:0 p/a.txt', 'A dir 0755 0:0 p/d', 'A dir 0755 0:0 p/d/sub', 'A file 0644 0:0 p/d/sub/c.txt'],
      ['A dir 0755 0:0 ex', 'A file 0644 0:0 ex/b.txt', 'A dir 0755 0:0 ex/sub', 'A file 0644 0:0 ex/sub/c.txt'],
      [
        'A dir 0755 0:0 all',
        'A file 0644 0:0 all/.dockerignore',
        'A file 0644 0:0 all/a.txt',
        'A file 0600 0:0 all/b.txt',
        'A file 0644 0:0 all/c.md',
        'A dir 0755 0:0 all/d',
        'A file 0644 0:0 all/d/b.txt',
        'A symlink 0777 0:0 all/d/link -> b.txt',
        'A dir 0755 0:0 all/d/sub',
        'A file 0644 0:0 all/d/sub/c.txt',
        'A file 0644 0:0 all/d/sub/skip.md',
        'A file 0755 0:0 all/run.sh',
      ],
    ]);
    expect(r.history).toEqual([
      'COPY --parents d/sub/c.txt ./a.txt /p/ # buildkit',
      // --exclude is not part of BuildKit's history line.
      'COPY d /ex/ # buildkit',
      'COPY . /all/ # buildkit',
    ]);
  });

  it('an inline heredoc file', async () => {
    let seen: string | undefined;
    const r = await build(env, {
      dockerfile: `FROM ${BASE}\nCOPY <<EOF /etc/greeting\nhello\nEOF\n`,
      inspect: async (session) => {
        seen = session.readFile(1, '/etc/greeting')?.toString();
      },
    });
    expectOk(r);
    expect(r.changes[1]).toEqual(['A file 0644 0:0 etc/greeting']);
    expect(seen).toBe('hello\n');
    expect(r.history).toEqual(['COPY <<EOF /etc/greeting # buildkit']);
  });
});

describe('ADD', () => {
  it('auto-extracts a local tar (owners and modes from the archive) and copies other files as they are', async () => {
    const ctx = await env.tempDir('add-ctx');
    const tree = join(ctx, 'tree');
    execFileSync('sh', [
      '-c',
      `mkdir -p ${tree}/app/bin && echo x > ${tree}/app/bin/tool && chmod 750 ${tree}/app/bin/tool && ln -s bin/tool ${tree}/app/tool-link && ` +
        `tar --numeric-owner --owner=1000 --group=1000 -C ${tree} -czf ${ctx}/app.tar.gz app && rm -rf ${tree} && echo plain > ${ctx}/plain.txt`,
    ]);
    const r = await build(env, {
      dockerfile: `FROM ${BASE}\nADD app.tar.gz /opt/\nADD plain.txt /opt/plain/\nADD --chown=user app.tar.gz /kept/\n`,
      context: ctx,
    });
    expectOk(r);
    expect(r.changes.slice(1)).toEqual([
      [
        'A dir 0755 0:0 opt',
        'A dir 0755 1000:1000 opt/app',
        'A dir 0755 1000:1000 opt/app/bin',
        'A file 0750 1000:1000 opt/app/bin/tool',
        'A symlink 0777 1000:1000 opt/app/tool-link -> bin/tool',
      ],
      ['A dir 0755 0:0 opt/plain', 'A file 0644 0:0 opt/plain/plain.txt'],
      // --chown applies to the extracted entries too (BuildKit's copy with chown).
      [
        'A dir 0755 1000:1000 kept',
        'A dir 0755 1000:1000 kept/app',
        'A dir 0755 1000:1000 kept/app/bin',
        'A file 0750 1000:1000 kept/app/bin/tool',
        'A symlink 0777 1000:1000 kept/app/tool-link -> bin/tool',
      ],
    ]);
    expect(r.history).toEqual([
      'ADD app.tar.gz /opt/ # buildkit',
      'ADD plain.txt /opt/plain/ # buildkit',
      'ADD --chown=user app.tar.gz /kept/ # buildkit',
    ]);
  });

  it('downloads a URL (mode 0600, name from the URL) and checks --checksum', async () => {
    const r = await build(env, {
      dockerfile: `FROM ${BASE}\nADD --checksum=sha256:${TOOL_SHA} ${baseUrl}/files/tool.sh /tools/\nADD ${baseUrl}/files/tool.sh /tools/renamed.sh\n`,
    });
    expectOk(r);
    expect(r.changes.slice(1)).toEqual([
      ['A dir 0755 0:0 tools', 'A file 0600 0:0 tools/tool.sh'],
      ['A file 0600 0:0 tools/renamed.sh'],
    ]);
    expect(r.history).toEqual([
      // BuildKit leaves --checksum out of the history line.
      `ADD ${baseUrl}/files/tool.sh /tools/ # buildkit`,
      `ADD ${baseUrl}/files/tool.sh /tools/renamed.sh # buildkit`,
    ]);

    const wrong = await build(env, {
      dockerfile: `FROM ${BASE}\nADD --checksum=sha256:${'0'.repeat(64)} ${baseUrl}/files/tool.sh /tools/\n`,
    });
    expect(wrong.ok).toBe(false);
    expect(failureOf(wrong)).toMatch(/checksum|digest/i);

    const missing = await build(env, { dockerfile: `FROM ${BASE}\nADD ${baseUrl}/nope /x\n` });
    expect(missing.ok).toBe(false);
    expect(failureOf(missing)).toMatch(/404/);
  });
});

describe('COPY --from', () => {
  it('a named stage, a stage index and an image', async () => {
    const r = await build(env, {
      dockerfile: [
        `FROM ${BASE} AS builder`,
        'RUN mkdir /out && echo built > /out/artifact && chmod 700 /out/artifact && chown 1000 /out/artifact',
        `FROM ${BASE}`,
        'COPY --from=builder /out/artifact /app/',
        'COPY --from=0 /out /out-by-index',
        `COPY --from=${BASE} /etc/passwd /from-image/passwd`,
        '',
      ].join('\n'),
    });
    expectOk(r);
    const last = r.steps.findIndex((s) => s.text.startsWith('COPY --from=builder'));
    expect(r.changes.slice(last)).toEqual([
      // Owners and modes of another stage's files are kept (no --chown).
      ['A dir 0755 0:0 app', 'A file 0700 1000:0 app/artifact'],
      ['A dir 0755 0:0 out-by-index', 'A file 0700 1000:0 out-by-index/artifact'],
      ['A dir 0755 0:0 from-image', 'A file 0644 0:0 from-image/passwd'],
    ]);
    expect(r.history).toEqual([
      'COPY /out/artifact /app/ # buildkit',
      'COPY /out /out-by-index # buildkit',
      'COPY /etc/passwd /from-image/passwd # buildkit',
    ]);
  });
});
