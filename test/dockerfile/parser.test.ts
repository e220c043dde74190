/**
 * Parser behaviour beyond BuildKit's golden files, each case checked against
 * what BuildKit's parser.go / line_parsers.go / split_command.go do.
 */
import { describe, expect, it } from 'vitest';
import { dumpBuildkitAst } from '../../src/dockerfile/ast-dump.js';
import { ParseError } from '../../src/dockerfile/errors.js';
import { goQuote, goQuoteList } from '../../src/dockerfile/go-quote.js';
import { parseDockerfile, parseDockerfileBytes } from '../../src/dockerfile/parser.js';
import { parseWords } from '../../src/dockerfile/parser-line-parsers.js';
import { byteStringToText, textToByteString } from '../../src/dockerfile/parser-go-strings.js';

const dump = (text: string): string => dumpBuildkitAst(parseDockerfile(text));
const errorOf = (text: string): ParseError => {
  try {
    parseDockerfile(text);
  } catch (err) {
    if (err instanceof ParseError) return err;
    throw err;
  }
  throw new Error('expected a ParseError');
};

describe('lines', () => {
  it('accepts CRLF line endings and a UTF-8 BOM', () => {
    const ast = parseDockerfile('\ufeffFROM alpine\r\nRUN echo \\\r\n  hi\r\n');
    expect(dumpBuildkitAst(ast)).toBe('(from "alpine")\n(run "echo   hi")\n');
    expect(ast.children.map((c) => [c.startLine, c.endLine])).toEqual([
      [1, 1],
      [2, 3],
    ]);
  });

  it('strips a BOM only at the start of the file', () => {
    // Later, it is part of the keyword, which is then unknown (parseIgnore).
    expect(dump('FROM a\n\ufeffRUN x\n')).toBe('(from "a")\n(\ufeffrun "")\n');
  });

  it('keeps the joined text, continuations removed, as original', () => {
    const ast = parseDockerfile('FROM a\nRUN a \\\n    b\n');
    expect(ast.children[1]!.original).toBe('RUN a     b');
  });

  it('skips comment lines and warns on empty lines inside continuations (TestParseWarnsOnEmptyContinutationLine)', () => {
    const ast = parseDockerfile(
      '\nFROM alpine:3.6\n\nRUN something \\\n\n    following \\\n\n    more\n\nRUN another \\\n\n    thing\nRUN non-indented \\\n# this is a comment\n   after-comment\n\nRUN indented \\\n    # this is an indented comment\n    comment\n\t',
    );
    expect(ast.warnings.map((w) => w.message)).toEqual([
      'Empty continuation line found in: RUN something     following     more',
      'Empty continuation line found in: RUN another     thing',
    ]);
    expect(ast.warnings.map((w) => [w.startLine, w.endLine])).toEqual([
      [4, 8],
      [10, 12],
    ]);
    expect(dumpBuildkitAst(ast)).toBe(
      '(from "alpine:3.6")\n(run "something     following     more")\n(run "another     thing")\n(run "non-indented    after-comment")\n(run "indented     comment")\n',
    );
  });

  it('does not treat an escaped escape as a continuation', () => {
    expect(dump('FROM a\nRUN echo \\\\\nRUN b\n')).toBe('(from "a")\n(run "echo \\\\\\\\")\n(run "b")\n');
  });

  it('rejects a line longer than BuildKit scanner buffer (TestParseReturnsScannerErrors)', () => {
    const err = errorOf(`\n\t\tFROM image\n\t\tLABEL test=${'a'.repeat(65536)}\n`);
    expect(err.detail).toBe('dockerfile line greater than max allowed size of 65535');
    expect(err.range).toEqual({ startLine: 3, endLine: 3 });
  });

  it('accepts a line of exactly 65535 bytes plus its newline', () => {
    const line = 'LABEL x=' + 'a'.repeat(65535 - 'LABEL x='.length);
    expect(parseDockerfile(`FROM a\n${line}\n`).children).toHaveLength(2);
    expect(() => parseDockerfile(`FROM a\n${line}a\n`)).toThrow('max allowed size');
  });

  it('fails with no instructions, naming the last line', () => {
    expect(errorOf('').message).toBe('Dockerfile: file with no instructions');
    expect(errorOf('# just\n\n# comments\n').message).toBe('Dockerfile:3: file with no instructions');
  });
});

describe('comments', () => {
  it('collects comments above an instruction, reset by an empty "#" and by each instruction', () => {
    const ast = parseDockerfile('# one\n\n# two\nFROM a\n# three\n#\n# four\nRUN x\nRUN y\n');
    expect(ast.children.map((c) => c.comments)).toEqual([['one', 'two'], ['four'], []]);
  });

  it('drops parser directives from the comments', () => {
    const ast = parseDockerfile('# syntax=docker/dockerfile:1\n# hello\nFROM a\n');
    expect(ast.children[0]!.comments).toEqual(['hello']);
  });
});

describe('parser directives', () => {
  it('reads syntax, escape and check at the top, case-insensitively', () => {
    const ast = parseDockerfile('# syntax = docker/dockerfile:1.7\n#ESCAPE=`\n# check=skip=JSONArgsRecommended\nFROM a\n');
    expect(ast.directives).toEqual({
      syntax: 'docker/dockerfile:1.7',
      escape: '`',
      check: 'skip=JSONArgsRecommended',
    });
    expect(ast.escapeToken).toBe('`');
  });

  it('stops looking after a comment, a blank line or an unknown directive', () => {
    for (const before of ['# a comment\n', '\n', '# unknown=1\n', 'FROM a\n']) {
      const ast = parseDockerfile(`${before}# escape=\`\nFROM a\nRUN x \\\ny\n`);
      expect(ast.escapeToken).toBe('\\');
      expect(ast.directives.escape).toBeUndefined();
    }
  });

  it('uses the backtick for continuations and keeps backslashes literal', () => {
    expect(dump('# escape=`\nFROM a\nRUN dir c:\\ `\n  && echo hi\n')).toBe('(from "a")\n(run "dir c:\\\\   && echo hi")\n');
  });

  it('rejects a repeated directive and an invalid escape, with the line', () => {
    const repeated = errorOf('# escape=`\n# escape=\\\nFROM a\n');
    expect(repeated.message).toBe('Dockerfile:2: only one escape parser directive can be used');
    expect(errorOf('# escape=x\nFROM a\n').message).toBe("Dockerfile:1: invalid escape token 'x' does not match ` or \\");
  });
});

describe('JSON (exec) form', () => {
  it('decodes JSON exactly, including escapes and unicode', () => {
    expect(dump('CMD ["a\\u00e9\\n", "\\ud83d\\ude00", "\\/"]\n')).toBe('(cmd "aé\\n" "😀" "/")\n');
  });

  it('turns an unpaired surrogate escape into U+FFFD as Go does', () => {
    expect(parseDockerfile('CMD ["\\ud800x"]\n').children[0]!.args).toEqual(['\ufffdx']);
  });

  it('falls back to shell form when the text is not a JSON array', () => {
    for (const text of ['["a"] trailing', "['a']", '["a"', '[1e400]', '{"a": 1}', '["a",]']) {
      const node = parseDockerfile(`RUN ${text}\n`).children[0]!;
      expect([node.json, node.args]).toEqual([false, [text]]);
    }
  });

  it('rejects a JSON array of anything but strings', () => {
    for (const text of ['[1]', '["a", null]', '[["a"]]', '[true]']) {
      expect(errorOf(`FROM a\nCMD ${text}\n`).message).toBe(
        'Dockerfile:2: when using JSON array syntax, arrays must be comprised of strings only',
      );
    }
  });

  it('splits COPY/ADD/VOLUME on blanks when not JSON', () => {
    const node = parseDockerfile('COPY [a b] /c\n').children[0]!;
    expect(node.args).toEqual(['[a', 'b]', '/c']);
  });

  it('marks HEALTHCHECK CMD in JSON form', () => {
    const node = parseDockerfile('HEALTHCHECK --interval=5s CMD ["curl", "-f"]\n').children[0]!;
    expect([node.flags, node.args, node.json]).toEqual([['--interval=5s'], ['CMD', 'curl', '-f'], true]);
  });
});

describe('flags', () => {
  it('takes leading --words, removes quotes and backslashes, and stops at --', () => {
    const node = parseDockerfile('COPY --from="build stage" --chown=a\\ b -- --not-a-flag /x\n').children[0]!;
    expect(node.flags).toEqual(['--from=build stage', '--chown=a b']);
    expect(node.args).toEqual(['--not-a-flag', '/x']);
  });

  it('keeps an empty quoted value', () => {
    expect(parseDockerfile('RUN --network="" x\n').children[0]!.flags).toEqual(['--network=']);
  });

  it('reads flag bytes one at a time as BuildKit does (non-ASCII turns into Latin-1 mojibake)', () => {
    expect(parseDockerfile('COPY --chown=usér a b\n').children[0]!.flags).toEqual(['--chown=usÃ©r']);
  });
});

describe('ENV, LABEL and ARG', () => {
  it('keeps values raw, as (key, value, separator) triples', () => {
    expect(parseDockerfile('ENV a="x y" b=\'z\' c=\n').children[0]!.args).toEqual([
      'a', '"x y"', '=', 'b', "'z'", '=', 'c', '', '=',
    ]);
    expect(parseDockerfile('LABEL key  some value\n').children[0]!.args).toEqual(['key', 'some value', '']);
  });

  it('rejects a word without = in the key=value form', () => {
    expect(errorOf('ENV a=1 b\n').message).toBe(
      'Dockerfile:1: Syntax error - can\'t find = in "b". Must be of the form: name=value',
    );
  });

  it('requires a value in the legacy form', () => {
    expect(errorOf('LABEL key\n').message).toBe('Dockerfile:1: LABEL must have two arguments');
  });

  it('splits ARG into words, quotes kept', () => {
    expect(parseDockerfile('ARG a b="c d" e=\n').children[0]!.args).toEqual(['a', 'b="c d"', 'e=']);
  });

  it('splits words like BuildKit parseWords (TestParseWords)', () => {
    const words = (s: string): string[] => parseWords(textToByteString(s), '\\').map(byteStringToText);
    expect(words('foo')).toEqual(['foo']);
    expect(words('foo bar')).toEqual(['foo', 'bar']);
    expect(words('foo\\ bar')).toEqual(['foo\\ bar']);
    expect(words('foo=bar')).toEqual(['foo=bar']);
    expect(words("foo bar 'abc xyz'")).toEqual(['foo', 'bar', "'abc xyz'"]);
    expect(words('foo bar "abc xyz"')).toEqual(['foo', 'bar', '"abc xyz"']);
    expect(words('àöû')).toEqual(['àöû']);
    expect(words('föo bàr "âbc xÿz"')).toEqual(['föo', 'bàr', '"âbc xÿz"']);
  });
});

describe('other instructions', () => {
  it('keeps unknown instructions with one empty argument, as BuildKit parseIgnore does', () => {
    const node = parseDockerfile('FROBNICATE the thing\n').children[0]!;
    expect([node.keyword, node.args]).toEqual(['frobnicate', ['']]);
    expect(dump('FROBNICATE the thing\n')).toBe('(frobnicate "")\n');
  });

  it('lowercases keywords and keeps empty instructions', () => {
    expect(dump('From a\nrun\nWORKDIR\nONBUILD\n')).toBe('(from "a")\n(run)\n(workdir)\n(onbuild)\n');
  });

  it('nests ONBUILD with its own flags and the inner instruction', () => {
    const node = parseDockerfile('ONBUILD --x=1 COPY --from=a b c\n').children[0]!;
    expect(node.args).toEqual([]);
    expect(node.nested).toMatchObject({ keyword: 'copy', flags: ['--from=a'], args: ['b', 'c'], startLine: 1 });
    expect(dump('ONBUILD --x=1 COPY --from=a b c\n')).toBe('(onbuild ["--x=1"] (copy ["--from=a"] "b" "c"))\n');
  });
});

describe('Go quoting (strconv.Quote)', () => {
  it('escapes like Go: named escapes, \\x, \\u, \\U, printable unicode kept', () => {
    expect(goQuote('a"b\\c')).toBe('"a\\"b\\\\c"');
    expect(goQuote('\x07\b\f\n\r\t\v')).toBe('"\\a\\b\\f\\n\\r\\t\\v"');
    expect(goQuote('\x00\x1f\x7f')).toBe('"\\x00\\x1f\\x7f"');
    expect(goQuote('\u0085\u00a0\u00ad\u200b\u2028')).toBe('"\\u0085\\u00a0\\u00ad\\u200b\\u2028"');
    expect(goQuote('é♥☃ 한국어😀')).toBe('"é♥☃ 한국어😀"');
    expect(goQuote('\u{e0001}\u{f0000}')).toBe('"\\U000e0001\\U000f0000"');
    expect(goQuote('\u3000')).toBe('"\\u3000"');
  });

  it('prints a flag list like %q of a []string', () => {
    expect(goQuoteList(['--a=1', 'b "c"'])).toBe('["--a=1" "b \\"c\\""]');
  });
});

describe('bytes', () => {
  it('treats invalid UTF-8 byte by byte and shows U+FFFD', () => {
    const bytes = Uint8Array.from([...new TextEncoder().encode('FROM a\nRUN x'), 0xff, 0xc3, 0x0a]);
    expect(parseDockerfileBytes(bytes).children[1]!.args).toEqual(['x\ufffd\ufffd']);
  });
});
