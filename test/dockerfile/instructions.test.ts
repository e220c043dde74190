import { describe, expect, it } from 'vitest';
import { InstructionError } from '../../src/dockerfile/errors.js';
import { parseInstruction, type Instruction } from '../../src/dockerfile/instructions.js';
import { heredoc, node } from './instructions-fixtures.js';

function parse(...args: Parameters<typeof node>): Instruction {
  return parseInstruction(node(...args));
}

function parseError(...args: Parameters<typeof node>): InstructionError {
  try {
    parseInstruction(node(...args));
  } catch (error) {
    expect(error).toBeInstanceOf(InstructionError);
    return error as InstructionError;
  }
  throw new Error('expected an InstructionError');
}

describe('FROM', () => {
  it('reads the base, a lowercased stage name and --platform', () => {
    expect(parse('from', ['golang:1.22', 'AS', 'Build'], { flags: ['--platform=$BUILDPLATFORM'], line: 3 })).toMatchObject({
      kind: 'from',
      baseName: 'golang:1.22',
      stageName: 'build',
      platform: '$BUILDPLATFORM',
      startLine: 3,
      endLine: 3,
    });
  });

  it('has no stage name or platform when none is given', () => {
    const from = parse('from', ['alpine']);
    expect(from).toEqual({ kind: 'from', baseName: 'alpine', startLine: 1, endLine: 1, original: 'FROM alpine' });
  });

  it('validates stage names like BuildKit', () => {
    expect(parse('from', ['a', 'as', 'my-stage_1.x'])).toMatchObject({ stageName: 'my-stage_1.x' });
    expect(parseError('from', ['a', 'AS', '1st']).detail).toBe(
      'invalid name for build stage: "1st", name can\'t start with a number or contain symbols',
    );
    expect(parseError('from', ['a', 'AS', 'a$b']).detail).toMatch(/invalid name for build stage/);
    expect(parseError('from', ['a', 'b']).detail).toBe('FROM requires either one or three arguments');
    expect(parseError('from', ['a', 'FOR', 'b']).detail).toBe('FROM requires either one or three arguments');
  });

  it('rejects unknown flags with the line', () => {
    const error = parseError('from', ['alpine'], { flags: ['--plattform=linux/amd64'], line: 7 });
    expect(error.detail).toBe('Unknown flag: plattform');
    expect(error.range).toEqual({ startLine: 7, endLine: 7 });
    expect(error.message).toBe('Dockerfile:7: Unknown flag: plattform');
  });
});

describe('RUN', () => {
  it('keeps the shell form as one string and the exec form as argv', () => {
    expect(parse('run', ['echo $HOME && ls'])).toMatchObject({ form: 'shell', args: ['echo $HOME && ls'] });
    expect(parse('run', ['echo', '$HOME'], { json: true })).toMatchObject({ form: 'exec', args: ['echo', '$HOME'] });
  });

  it('defaults --network and --security', () => {
    expect(parse('run', ['true'])).toMatchObject({
      network: 'default',
      security: 'sandbox',
      mounts: [],
      flagsUsed: [],
    });
  });

  it('reads --network and --security', () => {
    expect(parse('run', ['true'], { flags: ['--network=none', '--security=insecure'] })).toMatchObject({
      network: 'none',
      security: 'insecure',
      flagsUsed: ['network', 'security'],
    });
    expect(parse('run', ['true'], { flags: ['--network=host'] })).toMatchObject({ network: 'host' });
    expect(parseError('run', ['true'], { flags: ['--network=bridge'] }).detail).toBe('unsupported network mode "bridge"');
    expect(parseError('run', ['true'], { flags: ['--security=privileged'] }).detail).toBe(
      'security "privileged" is not valid',
    );
    expect(parseError('run', ['true'], { flags: ['--network'] }).detail).toBe('Missing a value on flag: network');
  });

  it('parses repeated --mount flags with their defaults', () => {
    const run = parse('run', ['go build'], {
      flags: [
        '--mount=type=cache,target=/root/.cache/go-build',
        '--mount=type=bind,from=deps,source=/go/pkg,target=/go/pkg',
        '--mount=type=secret,id=npmrc,required',
        '--mount=type=tmpfs,target=/tmp,size=64m',
        '--mount=type=ssh',
      ],
    });
    if (run.kind !== 'run') throw new Error('not a RUN');
    expect(run.mounts).toEqual([
      { type: 'cache', target: '/root/.cache/go-build', readOnly: false, required: false },
      { type: 'bind', from: 'deps', source: '/go/pkg', target: '/go/pkg', readOnly: true, required: false },
      { type: 'secret', id: 'npmrc', readOnly: true, required: true },
      { type: 'tmpfs', target: '/tmp', sizeBytes: 64 * 1024 * 1024, readOnly: false, required: false },
      { type: 'ssh', readOnly: true, required: false },
    ]);
    expect(run.flagsUsed).toEqual(['mount']);
  });

  it('rejects bad mounts with the line', () => {
    const error = parseError('run', ['x'], { flags: ['--mount=type=volume,target=/x'], line: 4 });
    expect(error.detail).toMatch(/^unsupported mount type "volume"/);
    expect(error.range?.startLine).toBe(4);
    expect(parseError('run', ['x'], { flags: ['--mount=type=bind,from=$STAGE,target=/x'] }).detail).toBe(
      "'from' doesn't support variable expansion, define alias stage instead",
    );
  });

  it('keeps heredoc bodies, tab-stripped for <<-', () => {
    const run = parse('run', ['<<-EOF'], { heredocs: [heredoc('EOF', '\techo hi\n\t\techo there\n', { chomp: true })] });
    expect(run).toMatchObject({ form: 'shell', files: [{ name: 'EOF', data: 'echo hi\necho there\n', chomp: true }] });
  });
});

describe('CMD and ENTRYPOINT', () => {
  it('reads both forms', () => {
    expect(parse('cmd', ['nginx -g "daemon off;"'])).toMatchObject({ kind: 'cmd', form: 'shell', args: ['nginx -g "daemon off;"'] });
    expect(parse('cmd', ['a', 'b'], { json: true })).toMatchObject({ kind: 'cmd', form: 'exec', args: ['a', 'b'] });
    expect(parse('entrypoint', [], { json: true })).toMatchObject({ kind: 'entrypoint', form: 'exec', args: [] });
  });

  it('rejects flags, which neither takes', () => {
    expect(parseError('cmd', ['a', 'b'], { json: true, flags: ['--doit'] }).detail).toBe('Unknown flag: doit');
  });
});

describe('COPY', () => {
  it('reads sources, destination and every flag', () => {
    const copy = parse('copy', ['a.txt', 'b/*.go', '/app/'], {
      flags: [
        '--from=build',
        '--chown=app:app',
        '--chmod=0755',
        '--link',
        '--parents=true',
        '--exclude=*.tmp',
        '--exclude=node_modules',
      ],
    });
    expect(copy).toMatchObject({
      kind: 'copy',
      sources: ['a.txt', 'b/*.go'],
      inlineSources: [],
      dest: '/app/',
      from: 'build',
      chown: 'app:app',
      chmod: '0755',
      link: true,
      parents: true,
      excludes: ['*.tmp', 'node_modules'],
    });
  });

  it('has plain defaults', () => {
    const copy = parse('copy', ['.', '.']);
    expect(copy).toMatchObject({ link: false, parents: false, excludes: [] });
    expect(copy).not.toHaveProperty('from');
    expect(copy).not.toHaveProperty('chown');
  });

  it('turns heredoc sources into inline files', () => {
    const copy = parse('copy', ['<<EOF', '<<"RAW"', 'other.txt', '/etc/'], {
      heredocs: [heredoc('EOF', 'hello $NAME\n'), heredoc('RAW', 'literal $X\n', { expand: false })],
    });
    expect(copy).toMatchObject({
      sources: ['other.txt'],
      inlineSources: [
        { path: 'EOF', data: 'hello $NAME\n', expand: true },
        { path: 'RAW', data: 'literal $X\n', expand: false },
      ],
      dest: '/etc/',
    });
  });

  it('rejects a heredoc destination and a missing destination', () => {
    expect(parseError('copy', ['a', '<<EOF'], { heredocs: [heredoc('EOF', 'x\n')] }).detail).toBe(
      'COPY cannot accept a heredoc as a destination',
    );
    expect(parseError('copy', ['a']).detail).toBe(
      'COPY requires at least two arguments, but only one was provided. Destination could not be determined',
    );
  });

  it('rejects ADD-only flags, duplicate flags and bad booleans', () => {
    expect(parseError('copy', ['a', 'b'], { flags: ['--checksum=sha256:00'] }).detail).toBe('Unknown flag: checksum');
    expect(parseError('copy', ['a', 'b'], { flags: ['--from=a', '--from=b'] }).detail).toBe('Duplicate flag specified: from');
    expect(parseError('copy', ['a', 'b'], { flags: ['--link=yes'] }).detail).toBe('Expecting boolean value for flag link, not: yes');
    expect(parseError('copy', ['a', 'b'], { flags: ['--link='] }).detail).toBe('Missing a value on flag: link');
    expect(parseError('copy', ['a', 'b'], { flags: ['-from=x'] }).detail).toBe('Arg should start with -- : -from=x');
  });

  it('stops reading flags at --', () => {
    expect(parse('copy', ['a', 'b'], { flags: ['--link', '--', '--bogus'] })).toMatchObject({ link: true });
  });
});

describe('ADD', () => {
  it('reads its flags', () => {
    const add = parse('add', ['https://example.com/x.tgz', '/opt/'], {
      flags: ['--checksum=sha256:abc', '--keep-git-dir', '--chown=1:2', '--chmod=644', '--link', '--exclude=*.md', '--unpack=false'],
    });
    expect(add).toMatchObject({
      kind: 'add',
      sources: ['https://example.com/x.tgz'],
      dest: '/opt/',
      checksum: 'sha256:abc',
      keepGitDir: true,
      chown: '1:2',
      chmod: '644',
      link: true,
      excludes: ['*.md'],
      unpack: false,
    });
  });

  it('rejects COPY-only flags', () => {
    expect(parseError('add', ['a', 'b'], { flags: ['--from=build'] }).detail).toBe('Unknown flag: from');
    expect(parseError('add', ['a', 'b'], { flags: ['--parents'] }).detail).toBe('Unknown flag: parents');
  });
});

describe('ENV, LABEL and ARG', () => {
  it('reads ENV triples, keeping values as written', () => {
    expect(parse('env', ['A', '"x y"', '=', 'B', 'legacy value', ''])).toMatchObject({
      kind: 'env',
      pairs: [
        { key: 'A', value: '"x y"', hasDelimiter: true },
        { key: 'B', value: 'legacy value', hasDelimiter: false },
      ],
    });
  });

  it('rejects blank names and empty ENV/LABEL', () => {
    expect(parseError('env', ['', 'x', '=']).detail).toBe('ENV names can not be blank');
    expect(parseError('label', []).detail).toBe('LABEL requires at least one argument');
  });

  it('reads LABEL pairs', () => {
    expect(parse('label', ['org.opencontainers.image.title', 'demo', '='])).toMatchObject({
      kind: 'label',
      pairs: [{ key: 'org.opencontainers.image.title', value: 'demo', hasDelimiter: true }],
    });
  });

  it('reads several ARGs with and without defaults', () => {
    expect(parse('arg', ['VERSION=1.2', 'DEBUG', 'EMPTY=', 'EQ=a=b'])).toMatchObject({
      kind: 'arg',
      args: [
        { key: 'VERSION', defaultValue: '1.2' },
        { key: 'DEBUG' },
        { key: 'EMPTY', defaultValue: '' },
        { key: 'EQ', defaultValue: 'a=b' },
      ],
    });
    expect(parseError('arg', ['=x']).detail).toBe('ARG names can not be blank');
    expect(parseError('arg', []).detail).toBe('ARG requires at least one argument');
  });
});

describe('EXPOSE, USER, WORKDIR, VOLUME, STOPSIGNAL, MAINTAINER', () => {
  it('sorts EXPOSE ports like BuildKit', () => {
    expect(parse('expose', ['8080', '443/tcp', '53/udp'])).toMatchObject({ ports: ['443/tcp', '53/udp', '8080'] });
    expect(parseError('expose', []).detail).toBe('EXPOSE requires at least one argument');
  });

  it('splits USER into user and group', () => {
    expect(parse('user', ['app:staff'])).toMatchObject({ kind: 'user', user: 'app:staff', name: 'app', group: 'staff' });
    expect(parse('user', ['1000'])).toMatchObject({ user: '1000', name: '1000' });
    expect(parse('user', ['1000'])).not.toHaveProperty('group');
    expect(parseError('user', ['a', 'b']).detail).toBe('USER requires exactly one argument');
  });

  it('reads WORKDIR', () => {
    expect(parse('workdir', ['/app/$SUB'])).toMatchObject({ kind: 'workdir', path: '/app/$SUB' });
    expect(parseError('workdir', ['a', 'b']).detail).toBe('WORKDIR requires exactly one argument');
  });

  it('reads VOLUME in both forms and rejects empty names', () => {
    expect(parse('volume', ['/data', '/logs'])).toMatchObject({ volumes: ['/data', '/logs'] });
    expect(parse('volume', [' /data '], { json: true })).toMatchObject({ volumes: ['/data'] });
    expect(parseError('volume', ['  '], { json: true }).detail).toBe('VOLUME specified can not be an empty string');
  });

  it('reads STOPSIGNAL and MAINTAINER', () => {
    expect(parse('stopsignal', ['SIGTERM'])).toMatchObject({ kind: 'stopsignal', signal: 'SIGTERM' });
    expect(parseError('stopsignal', ['A', 'B']).detail).toBe('STOPSIGNAL requires exactly one argument');
    expect(parse('maintainer', ['Jane <jane@example.com>'])).toMatchObject({ maintainer: 'Jane <jane@example.com>' });
  });
});

describe('HEALTHCHECK', () => {
  it('reads NONE', () => {
    expect(parse('healthcheck', ['NONE'])).toMatchObject({ test: ['NONE'], intervalNs: 0, retries: 0 });
    expect(parseError('healthcheck', ['NONE', 'x']).detail).toBe('HEALTHCHECK NONE takes no arguments');
  });

  it('reads a shell-form check with its durations', () => {
    const check = parse('healthcheck', ['CMD', 'curl -f http://localhost/'], {
      flags: ['--interval=1m30s', '--timeout=3s', '--start-period=500ms', '--start-interval=2s', '--retries=3'],
    });
    expect(check).toMatchObject({
      test: ['CMD-SHELL', 'curl -f http://localhost/'],
      intervalNs: 90e9,
      timeoutNs: 3e9,
      startPeriodNs: 500e6,
      startIntervalNs: 2e9,
      retries: 3,
    });
  });

  it('reads an exec-form check', () => {
    expect(parse('healthcheck', ['cmd', 'foo', 'bar'], { json: true })).toMatchObject({ test: ['CMD', 'foo', 'bar'] });
  });

  it('allows zero durations and retries', () => {
    expect(parse('healthcheck', ['CMD', 'x'], { flags: ['--interval=0s', '--retries=0'] })).toMatchObject({
      intervalNs: 0,
      retries: 0,
    });
  });

  it('rejects what BuildKit rejects', () => {
    expect(parseError('healthcheck', []).detail).toBe('HEALTHCHECK requires at least one argument');
    expect(parseError('healthcheck', ['CMD']).detail).toBe('Missing command after HEALTHCHECK CMD');
    expect(parseError('healthcheck', ['CONNECT', 'TCP 7000']).detail).toBe('Unknown type "CONNECT" in HEALTHCHECK (try CMD)');
    expect(parseError('healthcheck', ['CMD', 'x'], { flags: ['--interval=10us'] }).detail).toBe(
      'Interval "interval" cannot be less than 1ms',
    );
    expect(parseError('healthcheck', ['CMD', 'x'], { flags: ['--timeout=5'] }).detail).toBe('time: missing unit in duration "5"');
    expect(parseError('healthcheck', ['CMD', 'x'], { flags: ['--retries=-1'] }).detail).toBe('--retries cannot be negative (-1)');
    expect(parseError('healthcheck', ['CMD', 'x'], { flags: ['--retries=two'] }).detail).toMatch(/invalid syntax/);
    expect(parseError('healthcheck', ['CMD', 'x'], { flags: ['--period=1s'] }).detail).toBe('Unknown flag: period');
  });
});

describe('SHELL', () => {
  it('requires the JSON form', () => {
    expect(parse('shell', ['/bin/bash', '-o', 'pipefail', '-c'], { json: true })).toMatchObject({
      shell: ['/bin/bash', '-o', 'pipefail', '-c'],
    });
    expect(parseError('shell', ['/bin/bash -c']).detail).toBe('SHELL requires the arguments to be in JSON form');
    expect(parseError('shell', [], { json: true }).detail).toBe('SHELL requires at least one argument');
  });
});

describe('ONBUILD', () => {
  it('keeps the trigger expression and parses the trigger', () => {
    const onbuild = parse('onbuild', [], {
      nested: node('copy', ['.', '/app/src'], { flags: ['--chown=app'], line: 5 }),
      original: 'ONBUILD COPY --chown=app . /app/src',
      line: 5,
    });
    expect(onbuild).toMatchObject({
      kind: 'onbuild',
      expression: 'COPY --chown=app . /app/src',
      trigger: { kind: 'copy', sources: ['.'], dest: '/app/src', chown: 'app' },
    });
  });

  it('appends heredoc bodies to the expression', () => {
    const onbuild = parse('onbuild', [], {
      nested: node('run', ['<<EOF'], { heredocs: [heredoc('EOF', 'echo hi\n')] }),
      original: 'ONBUILD RUN <<EOF',
    });
    expect(onbuild).toMatchObject({ expression: 'RUN <<EOF\necho hi\nEOF' });
  });

  it('rejects ONBUILD ONBUILD, FROM and MAINTAINER triggers', () => {
    expect(parseError('onbuild', [], { nested: node('onbuild', [], { nested: node('run', ['x']) }) }).detail).toBe(
      "Chaining ONBUILD via `ONBUILD ONBUILD` isn't allowed",
    );
    expect(parseError('onbuild', [], { nested: node('from', ['alpine']) }).detail).toBe("FROM isn't allowed as an ONBUILD trigger");
    expect(parseError('onbuild', [], { nested: node('maintainer', ['me']) }).detail).toBe(
      "MAINTAINER isn't allowed as an ONBUILD trigger",
    );
  });

  it('does not fail on a trigger that only breaks when it runs', () => {
    const onbuild = parse('onbuild', [], { nested: node('copy', ['a', 'b'], { flags: ['--bogus'] }), original: 'ONBUILD COPY --bogus a b' });
    expect(onbuild).toMatchObject({ kind: 'onbuild', expression: 'COPY --bogus a b' });
    expect(onbuild).not.toHaveProperty('trigger');
  });
});

describe('unknown instructions', () => {
  it('are an InstructionError', () => {
    expect(parseError('frobnicate', ['x'], { line: 9 }).message).toBe('Dockerfile:9: unknown instruction: FROBNICATE');
  });
});
