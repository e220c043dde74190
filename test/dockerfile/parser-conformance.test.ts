/**
 * BuildKit's own parser test data (test/fixtures/conformance/, copied from
 * moby/buildkit), checked with the rules of its parser_test.go and
 * parser_heredoc_test.go.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { dumpBuildkitAst } from '../../src/dockerfile/ast-dump.js';
import { ParseError } from '../../src/dockerfile/errors.js';
import {
  chompHeredocContent,
  heredocsFromLine,
  parseDockerfileBytes,
  parseDockerfile,
  parseHeredoc,
} from '../../src/dockerfile/parser.js';

const conformance = fileURLToPath(new URL('../fixtures/conformance/', import.meta.url));
const parserDir = `${conformance}buildkit/frontend/dockerfile/parser/`;

const caseNames = (dir: string): string[] =>
  readdirSync(`${parserDir}${dir}`, { withFileTypes: true })
    .filter((e) => e.isDirectory())
    .map((e) => e.name)
    .sort();

describe('BuildKit testfiles: AST dump equals result byte for byte', () => {
  const cases = caseNames('testfiles');
  it('has all 33 cases', () => {
    expect(cases).toHaveLength(33);
  });
  it.each(cases)('%s', (name) => {
    const dockerfile = readFileSync(`${parserDir}testfiles/${name}/Dockerfile`);
    const expected = readFileSync(`${parserDir}testfiles/${name}/result`, 'utf8');
    expect(dumpBuildkitAst(parseDockerfileBytes(dockerfile))).toBe(expected);
  });
});

describe('BuildKit testfiles-negative: Parse returns an error', () => {
  const cases = caseNames('testfiles-negative');
  it('has all 4 cases', () => {
    expect(cases).toHaveLength(4);
  });
  it.each(cases)('%s', (name) => {
    const dockerfile = readFileSync(`${parserDir}testfiles-negative/${name}/Dockerfile`);
    expect(() => parseDockerfileBytes(dockerfile)).toThrow(ParseError);
  });

  it('names the problem and the lines', () => {
    const nested = () => parseDockerfileBytes(readFileSync(`${parserDir}testfiles-negative/shykes-nested-json/Dockerfile`));
    expect(nested).toThrow('Dockerfile:1: when using JSON array syntax, arrays must be comprised of strings only');
    const env = () => parseDockerfileBytes(readFileSync(`${parserDir}testfiles-negative/env_no_value/Dockerfile`));
    expect(env).toThrow('Dockerfile:3: ENV must have two arguments');
    const comments = () => parseDockerfileBytes(readFileSync(`${parserDir}testfiles-negative/only_comments/Dockerfile`));
    expect(comments).toThrow('file with no instructions');
  });
});

describe('BuildKit testfile-line: line numbers (TestParseIncludesLineNumbers)', () => {
  it('has StartLine 5, EndLine 31 and children [5,5] [11,12] [17,31]', () => {
    const ast = parseDockerfileBytes(readFileSync(`${parserDir}testfile-line/Dockerfile`));
    expect([ast.startLine, ast.endLine]).toEqual([5, 31]);
    expect(ast.children.map((c) => [c.startLine, c.endLine])).toEqual([
      [5, 5],
      [11, 12],
      [17, 31],
    ]);
  });
});

interface HeredocExpectation {
  Name: string;
  FileDescriptor: number;
  Expand: boolean;
  Chomp: boolean;
  Content: string;
}

const heredocCases = JSON.parse(readFileSync(`${conformance}buildkit-derived/heredoc_cases.json`, 'utf8')) as {
  TestParseExtractsHeredoc: {
    dockerfile: string;
    cases: { comment: string; heredocs: HeredocExpectation[] | null }[];
  };
  TestParseJSONHeredoc: { dockerfile: string };
  TestParseHeredocHelpers: { valid: string[]; invalid: string[]; notHeredocs: string[] };
  TestHeredocsFromLine: { cases: { line: string; heredocNames: string[] | null }[] };
};

describe('TestParseExtractsHeredoc', () => {
  const { dockerfile, cases } = heredocCases.TestParseExtractsHeredoc;
  const ast = parseDockerfile(dockerfile);
  it('finds one instruction per case after FROM', () => {
    expect(cases).toHaveLength(27);
    expect(ast.children).toHaveLength(cases.length + 1);
  });
  it.each(cases.map((c, i) => [i, c.comment, c.heredocs] as const))('case %i: %s', (i, _comment, expected) => {
    const actual = ast.children[i + 1]!.heredocs.map((h) => ({
      Name: h.name,
      FileDescriptor: h.fileDescriptor,
      Expand: h.expand,
      Chomp: h.chomp,
      Content: h.content,
    }));
    expect(actual).toEqual(expected ?? []);
  });
});

describe('TestParseJSONHeredoc', () => {
  it('JSON-form RUN never has heredocs', () => {
    const ast = parseDockerfile(heredocCases.TestParseJSONHeredoc.dockerfile);
    expect(ast.children).toHaveLength(4);
    for (const child of ast.children.slice(1)) {
      expect(child.json).toBe(true);
      expect(child.heredocs).toEqual([]);
    }
  });
});

describe('TestParseHeredocHelpers', () => {
  const { valid, invalid, notHeredocs } = heredocCases.TestParseHeredocHelpers;
  it.each(valid)('valid %s', (word) => {
    expect(parseHeredoc(word)?.name).toBe('EOF');
  });
  it.each(invalid)('invalid %s', (word) => {
    expect(() => parseHeredoc(word)).toThrow(ParseError);
  });
  it.each(notHeredocs.map((w) => [w]))('not a heredoc: %j', (word) => {
    expect(parseHeredoc(word)).toBeUndefined();
  });
});

describe('TestHeredocsFromLine', () => {
  it.each(heredocCases.TestHeredocsFromLine.cases.map((c) => [c.line, c.heredocNames] as const))(
    '%s',
    (line, names) => {
      expect(heredocsFromLine(line).map((h) => h.name)).toEqual(names ?? []);
    },
  );
});

describe('chompHeredocContent', () => {
  it('strips leading tabs on every line, and only tabs', () => {
    expect(chompHeredocContent('\tbaz\n\t\tquux\n  keep\n')).toBe('baz\nquux\n  keep\n');
  });
  it('splits lines on \\n only, as Go (?m)^ does', () => {
    expect(chompHeredocContent('a\r\tb\n\tc')).toBe('a\r\tb\nc');
  });
});
