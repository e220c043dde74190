/**
 * BuildKit's own lexer test data (test/fixtures/conformance/, copied from
 * moby/buildkit), read with the rules of BuildKit's lex_test.go.
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { ShellLexError } from '../../src/dockerfile/errors.js';
import { ShellLex } from '../../src/dockerfile/shell-lexer.js';

const conformance = fileURLToPath(new URL('../fixtures/conformance/', import.meta.url));
const shellDir = `${conformance}buildkit/frontend/dockerfile/shell/`;

/** Go's strings.TrimSpace; JS trim() also strips U+FEFF, which Go does not treat as space. */
function goTrimSpace(text: string): string {
  return text.replace(/^\p{White_Space}+|\p{White_Space}+$/gu, '');
}

interface EnvVarCase {
  lineNumber: number;
  platform: string;
  source: string;
  expected: string;
}

function readEnvVarTest(): EnvVarCase[] {
  const cases: EnvVarCase[] = [];
  readFileSync(`${shellDir}envVarTest`, 'utf8')
    .split('\n')
    .forEach((raw, index) => {
      if (raw.startsWith('#')) return;
      const line = goTrimSpace(raw);
      if (line === '') return;
      const fields = line.split('|');
      if (fields.length !== 3) throw new Error(`envVarTest:${index + 1}: expected 3 fields`);
      const [platform, source, expected] = fields.map(goTrimSpace) as [string, string, string];
      cases.push({ lineNumber: index + 1, platform, source, expected });
    });
  return cases;
}

describe('envVarTest (BuildKit)', () => {
  const all = readEnvVarTest();
  // We run on Unix: A (all platforms) and U (Unix only) lines; W is Windows-only.
  const cases = all.filter((c) => c.platform === 'A' || c.platform === 'U');
  const env = new Map([
    ['PWD', '/home'],
    ['SHELL', 'bash'],
    ['KOREAN', '한국어'],
    ['NULL', ''],
  ]);
  const lex = new ShellLex('\\');

  it('has every line we expect', () => {
    expect(cases).toHaveLength(228);
    expect(all.filter((c) => c.platform === 'W')).toHaveLength(2);
  });

  it.each(cases.map((c) => [`line ${c.lineNumber}: ${c.source}`, c] as const))('%s', (_label, c) => {
    if (c.expected === 'error') {
      expect(() => lex.processWord(c.source, env)).toThrow(ShellLexError);
    } else {
      expect(lex.processWord(c.source, env)).toBe(c.expected);
    }
  });
});

describe('wordsTest (BuildKit)', () => {
  interface WordsCase {
    lineNumber: number;
    input: string;
    expected: string[];
    env: Map<string, string>;
  }
  const cases: WordsCase[] = [];
  const env = new Map<string, string>();
  readFileSync(`${shellDir}wordsTest`, 'utf8')
    .split('\n')
    .forEach((line, index) => {
      if (line.startsWith('#') || line === '') return;
      if (line.startsWith('ENV ')) {
        // The value is kept verbatim, trailing spaces included; the last definition wins.
        const definition = line.slice(3).replace(/^ +/, '');
        const equals = definition.indexOf('=');
        if (equals < 0) env.set(definition, '');
        else env.set(definition.slice(0, equals), definition.slice(equals + 1));
        return;
      }
      const fields = line.split('|');
      if (fields.length !== 2) throw new Error(`wordsTest:${index + 1}: expected exactly one |`);
      cases.push({
        lineNumber: index + 1,
        input: goTrimSpace(fields[0]!),
        // Only leading spaces go: trailing ones are part of the expected last word.
        expected: fields[1]!.replace(/^ +/, '').split(','),
        env: new Map(env),
      });
    });

  it('has every case', () => {
    // 24 case lines and 4 ENV lines (SOURCE.txt's "25 cases + 5 ENV lines" miscounts by one each).
    expect(cases).toHaveLength(24);
  });

  const lex = new ShellLex('\\');
  it.each(cases.map((c) => [`line ${c.lineNumber}: ${c.input}`, c] as const))('%s', (_label, c) => {
    if (c.expected.length === 1 && c.expected[0] === 'error') {
      expect(() => lex.processWords(c.input, c.env)).toThrow(ShellLexError);
    } else {
      expect(lex.processWords(c.input, c.env)).toEqual(c.expected);
    }
  });
});

interface MatchCase {
  input: string;
  envs: Record<string, string>;
  expectedErr: boolean;
  expected: string | null;
  matches: string[];
  unmatched: string[];
}
interface MandatoryCase {
  input: string;
  envs: Record<string, string>;
  expected?: string;
  errorContains?: string;
}
interface LexCases {
  TestProcessWithMatches: { cases: MatchCase[] };
  TestShellParserMandatoryEnvVars: { cases: MandatoryCase[] };
  TestProcessWithMatchesPlatform: { input: string; cases: { envs: Record<string, string>; expected: string }[] };
}

const lexCases = JSON.parse(readFileSync(`${conformance}buildkit-derived/lex_cases.json`, 'utf8')) as LexCases;
const envOf = (record: Record<string, string>): Map<string, string> => new Map(Object.entries(record));

describe('TestProcessWithMatches (BuildKit lex_test.go)', () => {
  const cases = lexCases.TestProcessWithMatches.cases;
  const lex = new ShellLex('\\');

  it('has every case', () => {
    expect(cases).toHaveLength(47);
    expect(cases.filter((c) => c.expectedErr)).toHaveLength(13);
  });

  it.each(cases.map((c, i) => [`${i}: ${c.input}`, c] as const))('%s', (_label, c) => {
    const env = envOf(c.envs);
    if (c.expectedErr) {
      expect(() => lex.processWordWithMatches(c.input, env)).toThrow(ShellLexError);
      return;
    }
    const result = lex.processWordWithMatches(c.input, env);
    expect(result.result).toBe(c.expected);
    expect([...result.matched].sort()).toEqual([...c.matches].sort());
    expect([...result.unmatched].sort()).toEqual([...c.unmatched].sort());
  });
});

describe('TestShellParserMandatoryEnvVars (BuildKit lex_test.go)', () => {
  const lex = new ShellLex('\\');
  it.each(lexCases.TestShellParserMandatoryEnvVars.cases.map((c, i) => [`${i}: ${c.input}`, c] as const))(
    '%s',
    (_label, c) => {
      const env = envOf(c.envs);
      if (c.errorContains !== undefined) {
        expect(() => lex.processWord(c.input, env)).toThrow(c.errorContains);
      } else {
        expect(lex.processWord(c.input, env)).toBe(c.expected);
      }
    },
  );
});

describe('TestProcessWithMatchesPlatform (BuildKit lex_test.go)', () => {
  const { input, cases } = lexCases.TestProcessWithMatchesPlatform;
  const lex = new ShellLex('\\');
  it.each(cases.map((c, i) => [i, c] as const))('case %i', (_i, c) => {
    expect(lex.processWordWithMatches(input, envOf(c.envs)).result).toBe(c.expected);
  });
});
