/**
 * The config-only instructions and WORKDIR as real builds: the exact image
 * config and the history lines BuildKit writes (its Go formatting: %q for
 * CMD/ENTRYPOINT, %v for slices), ARG scoping with --build-arg, and ONBUILD
 * triggers of a base image running right after FROM.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BASE, BASE_ENV, build, createBuildEnv, expectOk, type BuildEnv } from './build-harness.js';

let env: BuildEnv;
beforeAll(async () => {
  env = await createBuildEnv();
});
afterAll(async () => {
  await env?.cleanup();
});

describe('config instructions', () => {
  it('ENV, ARG, LABEL, EXPOSE, USER, VOLUME, STOPSIGNAL, HEALTHCHECK, ENTRYPOINT, CMD, ONBUILD', async () => {
    const r = await build(env, {
      dockerfile: [
        'ARG VERSION=1.0',
        'ARG UNUSED',
        `FROM ${BASE}`,
        'ARG VERSION',
        'ARG STAGE_ARG=default',
        'ENV APP=demo PATH=/app/bin:$PATH',
        'ENV MSG="hello $APP"',
        'LABEL org.example.version=$VERSION "multi word"="a b"',
        'EXPOSE 8080 53/udp 9000/tcp',
        'USER user:user',
        'VOLUME /data',
        'VOLUME ["/logs", "/cache"]',
        'STOPSIGNAL SIGQUIT',
        'HEALTHCHECK --interval=30s --timeout=5s --start-period=2s --retries=4 CMD wget -q -O- http://localhost:8080/ || exit 1',
        'ENTRYPOINT ["/bin/sh", "-c"]',
        'CMD echo $MSG',
        'ONBUILD RUN echo triggered > /onbuild',
        'RUN echo $STAGE_ARG $VERSION $UNUSED > /home/user/args',
        '',
      ].join('\n'),
      buildArgs: { STAGE_ARG: 'from-cli' },
    });
    expectOk(r);
    expect(r.steps.map((s) => s.status)).toEqual([
      'done', // FROM
      ...Array(14).fill('config-only'),
      'done',
    ]);
    expect(r.changes[15]).toEqual(['A file 0644 1000:1000 home/user/args']);
    expect(r.image.config.config).toEqual({
      Env: ['PATH=/app/bin:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin', 'APP=demo', 'MSG=hello demo'],
      Cmd: ['/bin/sh', '-c', 'echo $MSG'],
      Entrypoint: ['/bin/sh', '-c'],
      ArgsEscaped: true,
      OnBuild: ['RUN echo triggered > /onbuild'],
      Labels: { 'org.example.version': '1.0', 'multi word': 'a b' },
      ExposedPorts: { '53/udp': {}, '8080/tcp': {}, '9000/tcp': {} },
      User: 'user:user',
      Volumes: { '/data': {}, '/logs': {}, '/cache': {} },
      StopSignal: 'SIGQUIT',
      Healthcheck: {
        Test: ['CMD-SHELL', 'wget -q -O- http://localhost:8080/ || exit 1'],
        Interval: 30_000_000_000,
        Timeout: 5_000_000_000,
        StartPeriod: 2_000_000_000,
        StartInterval: 0,
        Retries: 4,
      },
    });
    expect(r.history).toEqual([
      'ARG VERSION=1.0 (no layer)',
      'ARG STAGE_ARG=from-cli (no layer)',
      'ENV APP=demo PATH=/app/bin:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin (no layer)',
      'ENV MSG=hello demo (no layer)',
      'LABEL org.example.version=1.0 multi word=a b (no layer)',
      // Current BuildKit (dockerfile2llb/convert_expose.go): %v of the expanded port list,
      // as the parser sorted them; HEALTHCHECK is %+v of the config struct.
      'EXPOSE [53/udp 8080/tcp 9000/tcp] (no layer)',
      'USER user:user (no layer)',
      'VOLUME [/data] (no layer)',
      'VOLUME [/logs /cache] (no layer)',
      'STOPSIGNAL SIGQUIT (no layer)',
      'HEALTHCHECK {Test:[CMD-SHELL wget -q -O- http://localhost:8080/ || exit 1] Interval:30s Timeout:5s StartPeriod:2s StartInterval:0s Retries:4} (no layer)',
      'ENTRYPOINT ["/bin/sh" "-c"] (no layer)',
      'CMD ["/bin/sh" "-c" "echo $MSG"] (no layer)',
      // The global ARG UNUSED is not declared in the stage: not in scope, not in the line.
      'RUN |2 VERSION=1.0 STAGE_ARG=from-cli /bin/sh -c echo $STAGE_ARG $VERSION $UNUSED > /home/user/args # buildkit',
    ]);
    expect(r.steps[1]!.configChanges).toBeDefined();
  });

  it('ENTRYPOINT resets a CMD inherited from the base, but not one set in the same stage', async () => {
    const inherited = await build(env, { dockerfile: `FROM ${BASE}\nENTRYPOINT ["/bin/echo"]\n` });
    expectOk(inherited);
    expect(inherited.image.config.config).toEqual({ Env: [BASE_ENV], Entrypoint: ['/bin/echo'], Cmd: null, OnBuild: null });
    const kept = await build(env, { dockerfile: `FROM ${BASE}\nCMD ["hi"]\nENTRYPOINT echo\n` });
    expectOk(kept);
    expect(kept.image.config.config).toEqual({
      Env: [BASE_ENV],
      Cmd: ['hi'],
      Entrypoint: ['/bin/sh', '-c', 'echo'],
      ArgsEscaped: true,
      OnBuild: null,
    });
    expect(kept.history).toEqual(['CMD ["hi"] (no layer)', 'ENTRYPOINT ["/bin/sh" "-c" "echo"] (no layer)']);
  });
});

describe('WORKDIR', () => {
  it('creates the directory owned by USER; an existing dir makes no layer; relative paths join the last one', async () => {
    const r = await build(env, {
      dockerfile: `FROM ${BASE}\nWORKDIR /srv/app\nUSER user\nWORKDIR /home/user\nWORKDIR sub/dir\nWORKDIR /tmp\n`,
    });
    expectOk(r);
    expect(r.changes).toEqual([
      undefined,
      ['A dir 0755 0:0 srv', 'A dir 0755 0:0 srv/app'],
      undefined,
      undefined,
      ['A dir 0755 1000:1000 home/user/sub', 'A dir 0755 1000:1000 home/user/sub/dir'],
      undefined,
    ]);
    expect(r.steps.map((s) => s.status)).toEqual(['done', 'done', 'config-only', 'config-only', 'done', 'config-only']);
    expect(r.image.config.config?.WorkingDir).toBe('/tmp');
    expect(r.history).toEqual([
      'WORKDIR /srv/app',
      'USER user (no layer)',
      'WORKDIR /home/user (no layer)',
      'WORKDIR /home/user/sub/dir',
      'WORKDIR /tmp (no layer)',
    ]);
  });
});

describe('ARG', () => {
  it('a global ARG picks the base; --build-arg overrides it; an undeclared build arg is ignored', async () => {
    const dockerfile = `ARG TAG=latest\nARG NAME=layerlab-test/busybox\nFROM \${NAME}:\${TAG}\nARG TAG\nRUN echo $TAG > /tag\n`;
    const r = await build(env, { dockerfile, buildArgs: { TAG: 'latest', NOT_DECLARED: 'x' } });
    expectOk(r);
    expect(r.history).toEqual(['ARG TAG=latest (no layer)', 'RUN |1 TAG=latest /bin/sh -c echo $TAG > /tag # buildkit']);
    const bad = await build(env, { dockerfile, buildArgs: { TAG: 'no-such-tag' } });
    expect(bad.ok).toBe(false);
    expect(bad.steps[0]!.status).toBe('failed');
  });
});

describe('ONBUILD', () => {
  it('the triggers of a base image run right after FROM, in order, and are not inherited', async () => {
    const parent = await build(env, {
      dockerfile: `FROM ${BASE}\nONBUILD RUN echo from-trigger > /triggered\nONBUILD COPY a.txt /from-trigger.txt\n`,
      tags: ['layerlab-test/with-triggers:1'],
    });
    expectOk(parent);
    expect(parent.image.config.config?.OnBuild).toEqual(['RUN echo from-trigger > /triggered', 'COPY a.txt /from-trigger.txt']);
    // BuildKit's dispatchOnbuild only appends to the config: no history entry.
    expect(parent.history).toEqual([]);

    let triggered: string | undefined;
    const child = await build(env, {
      dockerfile: 'FROM layerlab-test/with-triggers:1\nRUN cat /triggered /from-trigger.txt > /both\n',
      context: { 'a.txt': 'a\n' },
      inspect: async (session) => {
        triggered = session.readFile(1, '/both')?.toString();
      },
    });
    expectOk(child);
    expect(triggered).toBe('from-trigger\na\n');
    expect(child.image.config.config?.OnBuild).toBeNull();
    expect(child.history).toEqual([
      'RUN /bin/sh -c echo from-trigger > /triggered # buildkit',
      'COPY a.txt /from-trigger.txt # buildkit',
      'RUN /bin/sh -c cat /triggered /from-trigger.txt > /both # buildkit',
    ]);
    expect(child.image.diffIds).toHaveLength(4);
  });
});
