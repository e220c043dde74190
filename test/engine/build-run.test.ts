/**
 * RUN as real builds on the busybox base: shell and exec form, heredocs (with
 * and without a shebang), SHELL, ARG in the history line, --mount of type
 * bind, cache and tmpfs, and --network=none. Each test asserts the change
 * list, what the command saw (read back from the layer) and the history.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BASE, BASE_ENV, build, createBuildEnv, expectOk, type BuildEnv } from './build-harness.js';
import type { BuildSession } from '../../src/engine/session.js';

let env: BuildEnv;
beforeAll(async () => {
  env = await createBuildEnv();
});
afterAll(async () => {
  await env?.cleanup();
});

function text(session: BuildSession, step: number, path: string): string | undefined {
  return session.readFile(step, path)?.toString('utf8');
}

describe('RUN forms', () => {
  it('shell form, exec form, heredocs and SHELL, with the history BuildKit writes', async () => {
    const seen: Record<string, string | undefined> = {};
    const dockerfile = [
      `FROM ${BASE}`,
      'ARG V=1',
      'RUN echo $V > /v',
      'RUN ["sh", "-c", "echo exec $V > /e"]',
      'RUN <<EOF',
      'echo one > /h1',
      'echo two >> /h1',
      'EOF',
      'RUN <<EOF',
      '#!/bin/sh',
      'echo "$0" > /h2',
      'EOF',
      'RUN cat <<EOF > /h3',
      'inline $V',
      'EOF',
      'SHELL ["/bin/sh", "-ec"]',
      'RUN echo "$-" > /s',
      '',
    ].join('\n');
    const r = await build(env, {
      dockerfile,
      inspect: async (session) => {
        const last = session.steps.length - 1;
        for (const f of ['/v', '/e', '/h1', '/h2', '/h3', '/s']) seen[f] = text(session, last, f);
      },
    });
    expectOk(r);
    expect(r.changes.slice(2)).toEqual([
      ['A file 0644 0:0 v'],
      ['A file 0644 0:0 e'],
      ['A file 0644 0:0 h1'],
      ['A file 0644 0:0 h2'],
      ['A file 0644 0:0 h3'],
      undefined,
      ['A file 0644 0:0 s'],
    ]);
    expect(seen).toEqual({
      '/v': '1\n',
      // Exec form gets no shell, but ARG values are in the environment.
      '/e': 'exec 1\n',
      '/h1': 'one\ntwo\n',
      // A heredoc with a shebang runs as a file mounted at /dev/pipes.
      '/h2': '/dev/pipes/EOF\n',
      '/h3': 'inline 1\n',
      '/s': expect.stringMatching(/e/) as unknown as string,
    });
    expect(r.history).toEqual([
      'ARG V=1 (no layer)',
      'RUN |1 V=1 /bin/sh -c echo $V > /v # buildkit',
      'RUN |1 V=1 sh -c echo exec $V > /e # buildkit',
      'RUN |1 V=1 /bin/sh -c echo one > /h1\necho two >> /h1\n # buildkit',
      'RUN |1 V=1 /bin/sh -c /dev/pipes/EOF # buildkit',
      'RUN |1 V=1 /bin/sh -c cat <<EOF > /h3\ninline $V\nEOF # buildkit',
      'SHELL [/bin/sh -ec] (no layer)',
      'RUN |1 V=1 /bin/sh -ec echo "$-" > /s # buildkit',
    ]);
    expect(r.image.config.config).toEqual({ Env: [BASE_ENV], Cmd: ['sh'], OnBuild: null, Shell: ['/bin/sh', '-ec'] });
  });

  it('runs in WORKDIR as USER with HOME from /etc/passwd and the image env', async () => {
    let seen: string | undefined;
    const r = await build(env, {
      dockerfile: `FROM ${BASE}\nENV GREETING=hi\nWORKDIR /home/user\nUSER user\nRUN echo "$(id -u):$(id -g) $PWD $HOME $GREETING" > out\n`,
      inspect: async (session) => {
        seen = text(session, 4, '/home/user/out');
      },
    });
    expectOk(r);
    expect(seen).toBe('1000:1000 /home/user /home/user hi\n');
    expect(r.changes[4]).toEqual(['A file 0644 1000:1000 home/user/out']);
  });
});

describe('RUN --mount and --network', () => {
  const dockerfile = [
    `FROM ${BASE}`,
    'RUN --mount=type=bind,source=d,target=/mnt/ctx cat /mnt/ctx/b.txt > /from-bind',
    'RUN --mount=type=cache,target=/var/cache/app echo cached >> /var/cache/app/log && cat /var/cache/app/log > /cache-seen',
    'RUN --mount=type=tmpfs,target=/scratch echo x > /scratch/x && ls /scratch > /tmpfs-seen',
    'RUN --network=none grep -c : /proc/net/dev > /ifaces',
    '',
  ].join('\n');

  it('the mounts are seen by the command and none of them is in the layer', async () => {
    const seen: Record<string, string | undefined> = {};
    const r = await build(env, {
      dockerfile,
      context: { 'd/b.txt': 'from the context\n' },
      inspect: async (session) => {
        for (const f of ['/from-bind', '/cache-seen', '/tmpfs-seen', '/ifaces']) seen[f] = text(session, 4, f);
        expect(text(session, 2, '/var/cache/app/log')).toBeUndefined();
        expect(text(session, 3, '/scratch/x')).toBeUndefined();
      },
    });
    expectOk(r);
    expect(r.changes.slice(1)).toEqual([
      ['A file 0644 0:0 from-bind'],
      ['A file 0644 0:0 cache-seen'],
      ['A file 0644 0:0 tmpfs-seen'],
      ['A file 0644 0:0 ifaces'],
    ]);
    expect(seen).toEqual({
      '/from-bind': 'from the context\n',
      '/cache-seen': 'cached\n',
      '/tmpfs-seen': 'x\n',
      // Only the loopback interface in a new network namespace.
      '/ifaces': '1\n',
    });
    expect(r.history).toEqual([
      'RUN /bin/sh -c cat /mnt/ctx/b.txt > /from-bind # buildkit',
      'RUN /bin/sh -c echo cached >> /var/cache/app/log && cat /var/cache/app/log > /cache-seen # buildkit',
      'RUN /bin/sh -c echo x > /scratch/x && ls /scratch > /tmpfs-seen # buildkit',
      'RUN /bin/sh -c grep -c : /proc/net/dev > /ifaces # buildkit',
    ]);
  });

  it('a cache mount keeps its contents across builds', async () => {
    let seen: string | undefined;
    const r = await build(env, {
      dockerfile,
      context: { 'd/b.txt': 'from the context\n' },
      noCache: true,
      inspect: async (session) => {
        seen = text(session, 2, '/cache-seen');
      },
    });
    expectOk(r);
    expect(seen).toBe('cached\ncached\n');
  });
});
