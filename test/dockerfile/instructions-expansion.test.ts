import { describe, expect, it } from 'vitest';
import { InstructionError } from '../../src/dockerfile/errors.js';
import {
  expandInstruction,
  exposedPortKeys,
  parseExposedPort,
  parseSignal,
} from '../../src/dockerfile/instruction-expansion.js';
import { parseInstruction, type Instruction } from '../../src/dockerfile/instructions.js';
import { parseDockerfile } from '../../src/dockerfile/parser.js';
import { ShellLex } from '../../src/dockerfile/shell-lexer.js';

const ENV = new Map([
  ['NAME', 'app'],
  ['DIR', '/srv'],
  ['PORTS', '80 443/tcp'],
  ['SIG', 'SIGQUIT'],
  ['OWNER', '1000:1000'],
  ['MODE', '0640'],
  ['SUM', 'sha256:24454f830cdb571e2c4ad15481119c43b3cafd48dd869a9b2945d1036d1dc68d'],
  ['CACHE', '/root/.cache'],
]);

/** Parses one instruction (after a FROM) from Dockerfile text. */
function instruction(line: string, escape = '\\'): Instruction {
  const prefix = escape === '`' ? '# escape=`\n' : '';
  const ast = parseDockerfile(`${prefix}FROM scratch\n${line}\n`);
  return parseInstruction(ast.children[1]!);
}

function expand(line: string, env: Map<string, string> = ENV) {
  return expandInstruction(instruction(line), env, new ShellLex('\\'));
}

describe('instructions BuildKit expands', () => {
  it('ENV: keys and values, quotes removed, against the environment before the instruction', () => {
    const result = expand('ENV HOME_DIR="$DIR/$NAME" NAME=other COPY_OF_NAME=$NAME');
    expect(result.instruction).toMatchObject({
      kind: 'env',
      pairs: [
        { key: 'HOME_DIR', value: '/srv/app' },
        { key: 'NAME', value: 'other' },
        { key: 'COPY_OF_NAME', value: 'app' },
      ],
    });
    expect([...result.matched].sort()).toEqual(['DIR', 'NAME']);
  });

  it('LABEL', () => {
    expect(expand('LABEL "com.example.$NAME"="v-${NAME}"').instruction).toMatchObject({
      pairs: [{ key: 'com.example.app', value: 'v-app' }],
    });
  });

  it('COPY sources, destination, --chown and --chmod, but not --exclude', () => {
    const result = expand('COPY --chown=$OWNER --chmod=$MODE --exclude=$NAME.tmp $NAME.conf ${DIR}/etc/');
    expect(result.instruction).toMatchObject({
      sources: ['app.conf'],
      dest: '/srv/etc/',
      chown: '1000:1000',
      chmod: '0640',
      excludes: ['$NAME.tmp'],
    });
  });

  it('ADD --checksum, --chown, --chmod, sources and destination', () => {
    expect(expand('ADD --checksum=$SUM --chown=$OWNER --chmod=$MODE https://example.com/$NAME.tgz $DIR/').instruction).toMatchObject({
      checksum: ENV.get('SUM'),
      chown: '1000:1000',
      chmod: '0640',
      sources: ['https://example.com/app.tgz'],
      dest: '/srv/',
    });
  });

  it('WORKDIR, USER (re-split), VOLUME, STOPSIGNAL', () => {
    expect(expand('WORKDIR $DIR/$NAME').instruction).toMatchObject({ path: '/srv/app' });
    expect(expand('USER ${OWNER}').instruction).toMatchObject({ user: '1000:1000', name: '1000', group: '1000' });
    expect(expand('VOLUME ["$DIR/data", "/logs"]').instruction).toMatchObject({ volumes: ['/srv/data', '/logs'] });
    expect(expand('STOPSIGNAL $SIG').instruction).toMatchObject({ signal: 'SIGQUIT' });
  });

  it('EXPOSE with word splitting of a variable', () => {
    const result = expand('EXPOSE $PORTS 8080');
    expect(result.instruction).toMatchObject({ ports: ['80', '443/tcp', '8080'] });
    if (result.instruction.kind !== 'expose') throw new Error('not EXPOSE');
    expect(exposedPortKeys(result.instruction)).toEqual(['80/tcp', '443/tcp', '8080/tcp']);
  });

  it('RUN --mount option values', () => {
    const result = expand('RUN --mount=type=cache,target=$CACHE,id=$NAME-cache echo $NAME');
    expect(result.instruction).toMatchObject({
      args: ['echo $NAME'],
      mounts: [{ type: 'cache', target: '/root/.cache', id: 'app-cache', readOnly: false }],
    });
    expect([...result.matched].sort()).toEqual(['CACHE', 'NAME']);
  });

  it('RUN --mount: a variable type is typed only after expansion', () => {
    const raw = instruction('RUN --mount=type=$T,target=/t true');
    expect(raw).toMatchObject({ mounts: [{ type: 'bind', target: '/t' }] });
    const expanded = expandInstruction(raw, new Map([['T', 'tmpfs']]), new ShellLex('\\'));
    expect(expanded.instruction).toMatchObject({ mounts: [{ type: 'tmpfs', target: '/t', readOnly: false }] });
  });

  it('COPY heredoc bodies unless the delimiter is quoted, keeping quotes in the body', () => {
    const ast = parseDockerfile('FROM scratch\nCOPY <<EOF <<"RAW" /etc/\nname="$NAME" \'$DIR\'\nEOF\nraw $NAME\nRAW\n');
    const copy = parseInstruction(ast.children[1]!);
    const result = expandInstruction(copy, ENV, new ShellLex('\\'));
    expect(result.instruction).toMatchObject({
      inlineSources: [
        { path: 'EOF', data: 'name="app" \'/srv\'\n', expand: true },
        { path: 'RAW', data: 'raw $NAME\n', expand: false },
      ],
    });
  });

  it('reports unset variables as unmatched', () => {
    const result = expand('WORKDIR /opt/$MISSING/x');
    expect(result.instruction).toMatchObject({ path: '/opt//x' });
    expect([...result.unmatched]).toEqual(['MISSING']);
  });

  it('uses the Dockerfile escape token', () => {
    const copy = instruction('COPY `$NAME $DIR/', '`');
    const result = expandInstruction(copy, ENV, new ShellLex('`'));
    expect(result.instruction).toMatchObject({ sources: ['$NAME'], dest: '/srv/' });
  });
});

describe('instructions BuildKit does not expand', () => {
  const lines = [
    'RUN echo $NAME ${DIR:-x}',
    'RUN ["echo", "$NAME"]',
    'CMD echo $NAME',
    'CMD ["$NAME"]',
    'ENTRYPOINT ["/bin/$NAME"]',
    'ENTRYPOINT exec $NAME',
    'SHELL ["/bin/$NAME", "-c"]',
    'HEALTHCHECK CMD curl $NAME',
    'ONBUILD RUN echo $NAME',
    'MAINTAINER $NAME',
  ];
  for (const line of lines) {
    it(line, () => {
      const parsed = instruction(line);
      const result = expand(line);
      expect(result.instruction).toEqual(parsed);
      expect(result.instruction).not.toBe(parsed);
      expect(result.matched.size).toBe(0);
    });
  }

  it('COPY --from with a variable is an error, as in BuildKit', () => {
    const copy = instruction('COPY --from=$NAME /a /b');
    let error: unknown;
    try {
      expandInstruction(copy, ENV, new ShellLex('\\'));
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(InstructionError);
    expect((error as InstructionError).detail).toBe(
      'variable expansion is not supported for --from, define a new stage with FROM using ARG from global scope as a workaround',
    );
    expect((error as InstructionError).range).toEqual({ startLine: 2, endLine: 2 });
  });

  it('COPY --from without a variable is kept as written', () => {
    expect(expand('COPY --from=Build /a /b').instruction).toMatchObject({ from: 'Build' });
  });
});

describe('expansion errors', () => {
  it('carry the instruction line', () => {
    let error: unknown;
    try {
      expand('WORKDIR ${NOPE:?must be set}');
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(InstructionError);
    expect((error as InstructionError).message).toMatch(/^Dockerfile:2: .*NOPE: must be set/);
  });

  it('reject a bad STOPSIGNAL, EXPOSE protocol and empty VOLUME after expansion', () => {
    expect(() => expand('STOPSIGNAL SIGNOPE')).toThrow(/invalid signal: SIGNOPE/);
    expect(() => expand('EXPOSE 80/http')).toThrow(/invalid proto: http/);
    expect(() => expand('VOLUME $EMPTY')).toThrow(/VOLUME specified can not be an empty string/);
  });
});

describe('port and signal helpers', () => {
  it('parse ports and ranges', () => {
    expect(parseExposedPort('8000-8002/udp')).toEqual({ port: 8000, endPort: 8002, protocol: 'udp' });
    expect(() => parseExposedPort('70000')).toThrow(/invalid containerPort/);
    expect(() => parseExposedPort('90-80')).toThrow(/invalid range/);
  });

  it('parse signals by name and number', () => {
    expect(parseSignal('SIGTERM')).toBe(15);
    expect(parseSignal('kill')).toBe(9);
    expect(parseSignal('3')).toBe(3);
    expect(parseSignal('SIGRTMIN+3')).toBe(37);
    expect(() => parseSignal('0')).toThrow(/invalid signal/);
  });
});
