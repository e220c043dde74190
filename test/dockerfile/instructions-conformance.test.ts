/**
 * The typed-instruction layer over real Dockerfiles: every instruction of
 * BuildKit's parser testfiles either becomes a typed instruction or fails
 * with the InstructionError BuildKit's instructions.Parse would give.
 */
import { readFileSync, readdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import type { InstructionNode } from '../../src/dockerfile/ast.js';
import { InstructionError } from '../../src/dockerfile/errors.js';
import { instructionsToJson } from '../../src/dockerfile/instructions-json.js';
import { INSTRUCTION_KINDS, parseInstruction } from '../../src/dockerfile/instructions.js';
import { parseDockerfile } from '../../src/dockerfile/parser.js';

const testfiles = fileURLToPath(new URL('../fixtures/conformance/buildkit/frontend/dockerfile/parser/testfiles/', import.meta.url));
const cases = readdirSync(testfiles).sort();

/** The instructions in the testfiles that BuildKit's instruction parser rejects, by case and line. */
const EXPECTED_ERRORS: Record<string, Record<number, string>> = {
  flags: {
    3: 'Unknown flag: user',
    4: 'Unknown flag: doit',
    5: 'Unknown flag: user',
    6: 'Unknown flag: doit',
    8: 'Unknown flag: doit',
    9: 'Unknown flag: doit',
    10: 'Unknown flag: doit',
  },
  health: {
    4: 'HEALTHCHECK requires at least one argument',
    7: 'Missing command after HEALTHCHECK CMD',
    10: 'Unknown type "CONNECT" in HEALTHCHECK (try CMD)',
  },
};

function outcome(node: InstructionNode): { kind: string } | { error: string } {
  try {
    const instruction = parseInstruction(node);
    expect(instruction.startLine).toBe(node.startLine);
    expect(instruction.endLine).toBe(node.endLine);
    expect(instruction.original).toBe(node.original.trim());
    return { kind: instruction.kind };
  } catch (error) {
    expect(error).toBeInstanceOf(InstructionError);
    expect((error as InstructionError).range).toEqual({ startLine: node.startLine, endLine: node.endLine });
    return { error: (error as InstructionError).detail };
  }
}

describe('BuildKit parser testfiles through the typed layer', () => {
  it('has the cases', () => {
    expect(cases.length).toBe(33);
  });

  for (const name of cases) {
    it(name, () => {
      const ast = parseDockerfile(readFileSync(`${testfiles}${name}/Dockerfile`, 'utf8'));
      const errors: Record<number, string> = {};
      for (const node of ast.children) {
        const result = outcome(node);
        if ('error' in result) errors[node.startLine] = result.error;
        else {
          expect(INSTRUCTION_KINDS).toContain(result.kind);
          expect(result.kind).toBe(node.keyword);
        }
      }
      expect(errors).toEqual(EXPECTED_ERRORS[name] ?? {});
    });
  }
});

describe('instructionsToJson', () => {
  it('gives plain JSON data with line ranges', () => {
    const ast = parseDockerfile(readFileSync(`${testfiles}docker/Dockerfile`, 'utf8'));
    const json = instructionsToJson(ast);
    expect(JSON.parse(JSON.stringify(json))).toEqual(json);
    expect(json.instructions.length).toBe(ast.children.length);
    expect(json.instructions[0]).toMatchObject({ kind: 'from', startLine: ast.children[0]!.startLine });
    expect(json.escapeToken).toBe('\\');
  });

  it('shows each instruction kind with its typed fields', () => {
    const text = [
      '# syntax=docker/dockerfile:1',
      'ARG BASE=alpine',
      'FROM --platform=$BUILDPLATFORM $BASE AS build',
      'RUN --mount=type=cache,target=/root/.cache \\',
      '    make',
      'COPY --from=build --chmod=755 /out/app /usr/local/bin/',
      'HEALTHCHECK --interval=30s CMD ["app", "health"]',
      '',
    ].join('\n');
    const json = instructionsToJson(parseDockerfile(text));
    expect(json.directives).toEqual({ syntax: 'docker/dockerfile:1' });
    expect(json.instructions).toEqual([
      { kind: 'arg', startLine: 2, endLine: 2, original: 'ARG BASE=alpine', args: [{ key: 'BASE', defaultValue: 'alpine' }] },
      {
        kind: 'from',
        startLine: 3,
        endLine: 3,
        original: 'FROM --platform=$BUILDPLATFORM $BASE AS build',
        baseName: '$BASE',
        stageName: 'build',
        platform: '$BUILDPLATFORM',
      },
      {
        kind: 'run',
        startLine: 4,
        endLine: 5,
        original: expect.stringMatching(/^RUN --mount=type=cache,target=\/root\/\.cache\s+make$/),
        form: 'shell',
        args: ['make'],
        files: [],
        mounts: [{ type: 'cache', target: '/root/.cache', readOnly: false, required: false }],
        mountSpecs: ['type=cache,target=/root/.cache'],
        network: 'default',
        security: 'sandbox',
        flagsUsed: ['mount'],
      },
      {
        kind: 'copy',
        startLine: 6,
        endLine: 6,
        original: 'COPY --from=build --chmod=755 /out/app /usr/local/bin/',
        sources: ['/out/app'],
        inlineSources: [],
        dest: '/usr/local/bin/',
        from: 'build',
        chmod: '755',
        link: false,
        parents: false,
        excludes: [],
      },
      {
        kind: 'healthcheck',
        startLine: 7,
        endLine: 7,
        original: 'HEALTHCHECK --interval=30s CMD ["app", "health"]',
        test: ['CMD', 'app', 'health'],
        intervalNs: 30e9,
        timeoutNs: 0,
        startPeriodNs: 0,
        startIntervalNs: 0,
        retries: 0,
      },
    ]);
  });

  it('throws the first InstructionError with its line', () => {
    expect(() => instructionsToJson(parseDockerfile('FROM alpine\nCOPY --chwon=1 a b\n'))).toThrow('Dockerfile:2: Unknown flag: chwon');
  });
});

describe('mutated instructions', () => {
  /** A small deterministic PRNG, so a failure can be replayed. */
  function random(seed: number): () => number {
    let state = seed;
    return () => {
      state = (state * 1103515245 + 12345) & 0x7fffffff;
      return state / 0x7fffffff;
    };
  }

  const keywords = [...INSTRUCTION_KINDS, 'bogus'];
  const pieces = ['--from=a', '--mount=type=cache,target=/x', '--mount=type=secret', '--mount=,', '--link', '--link=maybe',
    '--', 'AS', 'as', '1x', '<<EOF', '--interval=1', '--retries=-3', '--network=none', 'CMD', 'NONE', '', ' ', '$X', '=', 'a=b',
    '--chmod', '--mount="a,b"', '--mount=type=tmpfs,size=1q', 'x'];

  it('only ever give a typed instruction or an InstructionError', () => {
    const next = random(42);
    const pick = <T>(list: readonly T[]): T => list[Math.floor(next() * list.length)]!;
    for (let i = 0; i < 3000; i++) {
      const keyword = pick(keywords);
      const count = Math.floor(next() * 5);
      const args = Array.from({ length: count }, () => pick(pieces));
      const flags = Array.from({ length: Math.floor(next() * 3) }, () => pick(pieces));
      const node: InstructionNode = {
        keyword,
        flags,
        args,
        json: next() < 0.3,
        heredocs: next() < 0.2 ? [{ name: 'EOF', content: 'x\n', expand: true, chomp: false, fileDescriptor: 0 }] : [],
        original: `${keyword} ${args.join(' ')}`,
        comments: [],
        startLine: i + 1,
        endLine: i + 1,
      };
      if (keyword === 'onbuild' && next() < 0.8) node.nested = { ...node, keyword: pick(keywords) };
      try {
        parseInstruction(node);
      } catch (error) {
        if (!(error instanceof InstructionError)) throw new Error(`${JSON.stringify(node)}: ${String(error)}`);
        expect(error.range?.startLine).toBe(i + 1);
      }
    }
  });
});
