/**
 * Parser fuzzing: random bytes, random Dockerfile token soups and mutations
 * of BuildKit's corpus must either parse (into an AST whose line ranges make
 * sense and which dumps) or throw a DockerfileError subclass; never anything
 * else. Seeded, so a failure reproduces: the message names seed and input.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { dumpBuildkitAst } from '../../src/dockerfile/ast-dump.js';
import { DockerfileError } from '../../src/dockerfile/errors.js';
import { parseDockerfileBytes } from '../../src/dockerfile/parser.js';
import { mulberry32 } from '../helpers/seeded-random.js';

const parserDir = fileURLToPath(
  new URL('../fixtures/conformance/buildkit/frontend/dockerfile/parser/', import.meta.url),
);

function corpus(): Uint8Array[] {
  const files: Uint8Array[] = [];
  for (const dir of ['testfiles', 'testfiles-negative']) {
    for (const name of readdirSync(`${parserDir}${dir}`).sort()) files.push(readFileSync(`${parserDir}${dir}/${name}/Dockerfile`));
  }
  files.push(readFileSync(`${parserDir}testfile-line/Dockerfile`));
  const heredocs = JSON.parse(
    readFileSync(new URL('../fixtures/conformance/buildkit-derived/heredoc_cases.json', import.meta.url), 'utf8'),
  ) as { TestParseExtractsHeredoc: { dockerfile: string } };
  files.push(new TextEncoder().encode(heredocs.TestParseExtractsHeredoc.dockerfile));
  return files;
}

const encode = (s: string): Uint8Array => new TextEncoder().encode(s);

/** Pieces that reach the parser's corners: continuations, directives, JSON, flags, heredocs. */
const TOKENS = [
  'FROM ', 'RUN ', 'CMD ', 'COPY ', 'ADD ', 'ENV ', 'LABEL ', 'ARG ', 'ONBUILD ', 'HEALTHCHECK ', 'SHELL ',
  'ENTRYPOINT ', 'VOLUME ', 'EXPOSE ', 'USER ', 'WORKDIR ', 'STOPSIGNAL ', 'MAINTAINER ', 'BOGUS ',
  '\n', '\r\n', '\\\n', '`\n', ' \\ \n', '\n\n', '# comment\n', '#\n', '# escape=`\n', '# escape=\\\n',
  '# syntax=docker/dockerfile:1\n', '# check=skip=all\n', '# escape=x\n', '\ufeff', '\t', ' ', '\u00a0', '\u0085',
  '[', ']', '"', "'", '[ "a", "b" ]', '["a" , 1]', '[[]]', '1e400', '\\u0000', '\\"', ',', '=', 'k=v ', 'k v ',
  '--', '--from=build ', '--mount=type=cache,target=/x ', '-- ', '<<', '<<EOF', '<<-EOF', "<<'EOF'", '3<<EOF',
  '<< EOF', 'EOF\n', '\tEOF\n', '$', '${', '}', '${a:-b}', 'é', '♥', '\u{1F600}', 'x', 'foo', '/tmp',
];

function tokenSoup(next: () => number): Uint8Array {
  let text = '';
  const n = 1 + Math.floor(next() * 40);
  for (let i = 0; i < n; i++) text += TOKENS[Math.floor(next() * TOKENS.length)];
  return encode(text);
}

/** Mostly "interesting" bytes, so random input still hits line and quote logic. */
const interestingBytes = Array.from(encode('\n\r\\`#"\'[]<-= \t{}$,:'));

function randomBytes(next: () => number): Uint8Array {
  const out = new Uint8Array(Math.floor(next() * 300));
  for (let i = 0; i < out.length; i++) {
    const roll = next();
    out[i] =
      roll < 0.4
        ? interestingBytes[Math.floor(next() * interestingBytes.length)]!
        : roll < 0.8
          ? 0x20 + Math.floor(next() * 0x5f)
          : Math.floor(next() * 256);
  }
  return out;
}

function mutate(source: Uint8Array, next: () => number): Uint8Array {
  let bytes = Array.from(source);
  const edits = 1 + Math.floor(next() * 6);
  for (let e = 0; e < edits; e++) {
    const at = Math.floor(next() * (bytes.length + 1));
    const kind = Math.floor(next() * 6);
    if (kind === 0 && bytes.length > 0) {
      bytes[Math.min(at, bytes.length - 1)] = Math.floor(next() * 256);
    } else if (kind === 1) {
      bytes.splice(at, Math.floor(next() * 20));
    } else if (kind === 2) {
      bytes.splice(at, 0, ...encode(TOKENS[Math.floor(next() * TOKENS.length)]!));
    } else if (kind === 3) {
      const from = Math.floor(next() * bytes.length);
      bytes.splice(at, 0, ...bytes.slice(from, from + Math.floor(next() * 80)));
    } else if (kind === 4) {
      bytes = bytes.slice(0, at);
    } else {
      bytes.splice(at, 0, interestingBytes[Math.floor(next() * interestingBytes.length)]!);
    }
  }
  return Uint8Array.from(bytes);
}

function lineCount(bytes: Uint8Array): number {
  let lines = 0;
  for (const b of bytes) if (b === 0x0a) lines++;
  return bytes.length > 0 && bytes[bytes.length - 1] !== 0x0a ? lines + 1 : lines;
}

/** Parse one input; returns 'parsed' or 'rejected', or throws an assertion that names the input. */
function check(input: Uint8Array, label: string): 'parsed' | 'rejected' {
  let ast;
  try {
    ast = parseDockerfileBytes(input);
  } catch (err) {
    if (err instanceof DockerfileError) {
      expect(err.message, label).toMatch(/^Dockerfile(:\d+)?: ./);
      return 'rejected';
    }
    throw new Error(`${label}: unexpected ${String(err)}\ninput: ${JSON.stringify(new TextDecoder().decode(input))}`);
  }
  expect(ast.children.length, label).toBeGreaterThan(0);
  const lines = lineCount(input);
  let previousEnd = 0;
  for (const child of ast.children) {
    expect(child.startLine, label).toBeGreaterThan(previousEnd);
    expect(child.endLine, label).toBeGreaterThanOrEqual(child.startLine);
    expect(child.endLine, label).toBeLessThanOrEqual(lines);
    previousEnd = child.endLine;
  }
  expect(dumpBuildkitAst(ast).split('\n').length - 1, label).toBe(ast.children.length);
  return 'parsed';
}

describe('parser fuzzing', () => {
  const files = corpus();

  it('throws only DockerfileErrors on random bytes (1500 inputs, seed 1)', () => {
    const next = mulberry32(1);
    const seen = { parsed: 0, rejected: 0 };
    for (let i = 0; i < 1500; i++) seen[check(randomBytes(next), `seed 1 random #${i}`)]++;
    // Both outcomes occur, so the generator reaches past the first error path.
    expect(seen.parsed).toBeGreaterThan(100);
    expect(seen.rejected).toBeGreaterThan(0);
  });

  it('throws only DockerfileErrors on token soups (1500 inputs, seed 2)', () => {
    const next = mulberry32(2);
    const seen = { parsed: 0, rejected: 0 };
    for (let i = 0; i < 1500; i++) seen[check(tokenSoup(next), `seed 2 soup #${i}`)]++;
    expect(seen.parsed).toBeGreaterThan(100);
    expect(seen.rejected).toBeGreaterThan(50);
  });

  it('throws only DockerfileErrors on mutations of the BuildKit corpus (3000 inputs, seed 3)', () => {
    const next = mulberry32(3);
    const seen = { parsed: 0, rejected: 0 };
    for (let i = 0; i < 3000; i++) {
      const source = files[i % files.length]!;
      seen[check(mutate(source, next), `seed 3 mutation #${i} of file ${i % files.length}`)]++;
    }
    expect(seen.parsed).toBeGreaterThan(1000);
    expect(seen.rejected).toBeGreaterThan(50);
  });

  it('survives inputs at the size limits', () => {
    expect(check(encode('FROM a\n' + 'ONBUILD '.repeat(8000) + 'RUN x\n'), 'deep ONBUILD')).toBe('parsed');
    expect(check(encode('FROM a\nRUN <<EOF ' + '${a:-'.repeat(12000) + '\nEOF\n'), 'deep ${')).toBe('rejected');
    expect(check(encode('FROM a\nCMD ' + '['.repeat(20000) + ']'.repeat(20000) + '\n'), 'deep JSON')).toBe('parsed');
    expect(check(encode('FROM a\nLABEL x=' + 'y'.repeat(70000) + '\n'), 'long line')).toBe('rejected');
  });
});
