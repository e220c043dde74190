/**
 * Lexer behaviour beyond BuildKit's tables: the options, the backtick escape,
 * word splitting details and error messages. Expected values follow
 * BuildKit's lex.go.
 */
import { describe, expect, it } from 'vitest';
import { ShellLexError } from '../../src/dockerfile/errors.js';
import { ShellLex } from '../../src/dockerfile/shell-lexer.js';

const env = new Map([
  ['PWD', '/home'],
  ['EMPTY', ''],
  ['SPACED', ' a  b\tc\nd '],
  ['PATH_', '/usr/local/lib/libfoo.so.1'],
  ['안녕', 'hi'],
]);

function lexError(run: () => unknown): ShellLexError {
  try {
    run();
  } catch (err) {
    if (err instanceof ShellLexError) return err;
    throw err;
  }
  throw new Error('expected a ShellLexError');
}

describe('ShellLex with the backtick escape token', () => {
  const lex = new ShellLex('`');
  it.each([
    ['a`$PWD', 'a$PWD'],
    ['a\\$PWD', 'a\\/home'],
    ['"a`"b"', 'a"b'],
    ['"a``b"', 'a`b'],
    ['"a`xb"', 'a`xb'],
    ['c:\\dir\\file', 'c:\\dir\\file'],
    ['a``', 'a`'],
    ['ab`', 'ab'],
  ])('%j -> %j', (word, expected) => {
    expect(lex.processWord(word, env)).toBe(expected);
  });

  it('escapes white space against splitting', () => {
    expect(lex.processWords('hello` there x', env)).toEqual(['hello there', 'x']);
  });
});

describe('word splitting', () => {
  const lex = new ShellLex();
  it('splits variable values on any white space, but not quoted ones', () => {
    expect(lex.processWords('x$SPACED', env)).toEqual(['x', 'a', 'b', 'c', 'd']);
    expect(lex.processWords('x"$SPACED"', env)).toEqual(['x a  b\tc\nd ']);
  });

  it('drops empty quoted strings, as BuildKit does', () => {
    expect(lex.processWords('a "" b', env)).toEqual(['a', 'b']);
    expect(lex.processWords("''", env)).toEqual([]);
    expect(lex.processWords('"$EMPTY"x', env)).toEqual(['x']);
  });

  it('splits on Unicode white space as Go does (NBSP yes, BOM no)', () => {
    const values = new Map([
      ['NBSP', 'a\u00a0b'],
      ['BOM', 'a\ufeffb'],
    ]);
    expect(lex.processWords('$NBSP', values)).toEqual(['a', 'b']);
    expect(lex.processWords('$BOM', values)).toEqual(['a\ufeffb']);
  });

  // BuildKit's newest lex.go shares one word buffer between nested calls and
  // would lose "pre" here; we keep the behaviour of its earlier versions.
  it('keeps words from before a nested substitution', () => {
    expect(lex.processWords('pre${UNSET:-mid}post x', env)).toEqual(['premidpost', 'x']);
  });

  it('keeps spaces between words in processWord', () => {
    expect(lex.processWord(' a  b ', env)).toBe(' a  b ');
  });
});

describe('expansion', () => {
  const lex = new ShellLex();
  it.each([
    ['${PATH_##*/}', 'libfoo.so.1'],
    ['${PATH_%%.*}', '/usr/local/lib/libfoo'],
    ['${PATH_/lib/LIB}', '/usr/local/LIB/libfoo.so.1'],
    ['${PATH_//lib/LIB}', '/usr/local/LIB/LIBfoo.so.1'],
    // Escapes survive into the pattern, so an escaped * is literal.
    ['${PATH_#/usr\\*}', '/usr/local/lib/libfoo.so.1'],
    ["${UNSET:-'a  b'}", 'a  b'],
    ['${UNSET:-"$PWD"}', '/home'],
    ['$안녕!', 'hi!'],
    ['$@@@', '@@'],
    ['$10x', 'x'],
    ['\ufeff$PWD', '/home'],
    // Replace-all takes a Go template: the escaped $0 reaches it and means the match.
    ['${PWD//?/\\$0}', '\\/\\h\\o\\m\\e'],
    ['${PWD/?/\\$0}', '\\$0home'],
  ])('%j -> %j', (word, expected) => {
    expect(lex.processWord(word, env)).toBe(expected);
  });

  it('records names looked up, also inside defaults that were not used', () => {
    const { result, matched, unmatched } = lex.processWordWithMatches('$PWD ${UNSET:-$OTHER} ${EMPTY:+x}', env);
    expect(result).toBe('/home  ');
    expect([...matched].sort()).toEqual(['EMPTY', 'PWD']);
    expect([...unmatched].sort()).toEqual(['OTHER', 'UNSET']);
  });
});

describe('options', () => {
  it('rawQuotes keeps the quote characters', () => {
    const lex = new ShellLex('\\', { rawQuotes: true });
    expect(lex.processWord(`'a $PWD'"b $PWD"`, env)).toBe(`'a $PWD'"b /home"`);
    expect(lex.processWords(`'a b' c`, env)).toEqual([`'a b'`, 'c']);
  });

  it('rawEscapes keeps the escape characters', () => {
    const lex = new ShellLex('\\', { rawEscapes: true });
    expect(lex.processWord('a\\ b\\$PWD', env)).toBe('a\\ b\\$PWD');
    expect(lex.processWord('"a\\"b"', env)).toBe('a\\"b');
    expect(lex.processWords('a\\ b c', env)).toEqual(['a\\ b', 'c']);
  });

  it('skipUnsetEnv leaves references to unset variables as written', () => {
    const lex = new ShellLex('\\', { skipUnsetEnv: true });
    expect(lex.processWord('$X ${Y} ${Z:-d} ${Z:?m} ${Z#p} $PWD ${EMPTY:-e}', env)).toBe(
      '$X ${Y} ${Z:-d} ${Z:?m} ${Z#p} /home e',
    );
    // BuildKit writes replace-all back with a single slash.
    expect(lex.processWord('${W//a/b}', env)).toBe('${W/a/b}');
  });

  it('skipProcessQuotes treats quotes as text', () => {
    const lex = new ShellLex('\\', { skipProcessQuotes: true });
    expect(lex.processWord(`'$PWD'`, env)).toBe(`'/home'`);
    expect(lex.processWords('"a b"', env)).toEqual(['"a', 'b"']);
    expect(lex.processWord('"unterminated', env)).toBe('"unterminated');
  });

  it('options are fields that can be changed between calls', () => {
    const lex = new ShellLex();
    lex.skipUnsetEnv = true;
    expect(lex.processWord('$X', env)).toBe('$X');
    lex.skipUnsetEnv = false;
    expect(lex.processWord('$X', env)).toBe('');
  });

  it('rejects an escape token that is not one character', () => {
    expect(() => new ShellLex('ab')).toThrow(TypeError);
  });
});

describe('errors', () => {
  const lex = new ShellLex();
  it.each([
    ['${}', 'syntax error: bad substitution'],
    ['${PWD', "syntax error: missing '}'"],
    ['${PWD:-x', "syntax error: missing '}'"],
    ['${PWD/a', "syntax error: missing '/' in ${}"],
    ['${PWD/a/b', "syntax error: missing '}'"],
    ['${PWD=x}', 'unsupported modifier (=) in substitution'],
    ['${PWD:=x}', 'unsupported modifier (:=) in substitution'],
    ['${PWD:#x}', 'unsupported modifier (:#) in substitution'],
    ['${#PWD}', 'unsupported modifier (P) in substitution'],
    ['${UNSET?}', 'UNSET: is not allowed to be unset'],
    ['${EMPTY:?}', 'EMPTY: is not allowed to be empty'],
    ['${UNSET:?set it with --build-arg}', 'UNSET: set it with --build-arg'],
    ['${PWD#\\x}', "invalid pattern (\\x) in substitution: invalid escape '\\x'"],
    ["'open", 'unexpected end of statement while looking for matching single-quote'],
    ['"open', 'unexpected end of statement while looking for matching double-quote'],
  ])('%j: %s', (word, detail) => {
    const err = lexError(() => lex.processWord(word, env));
    expect(err.message).toBe(`failed to process ${JSON.stringify(word)}: ${detail}`);
    expect(err.isUserError).toBe(true);
    expect(err.exitCode).toBe(2);
  });

  it('quotes the word as Go %q does', () => {
    const err = lexError(() => lex.processWord('\u0001한${}', env));
    expect(err.message).toBe('failed to process "\\x01한${}": syntax error: bad substitution');
  });
});
