import { describe, expect, it } from 'vitest';
import {
  ShellPatternError,
  expandGoTemplate,
  replaceAll,
  replaceFirst,
  reversePattern,
  reverseString,
  shellPatternToRegexSource,
  trimPrefix,
  trimSuffix,
} from '../../src/dockerfile/shell-pattern.js';

describe('shellPatternToRegexSource', () => {
  it.each([
    ['*', true, true, '^[^\\n]*'],
    ['*', false, true, '^[^\\n]*?'],
    ['a?b', true, false, 'a[^\\n]b'],
    ['\\*\\?\\\\', true, false, '\\*\\?\\\\'],
    // Brackets and other regexp syntax are literal: BuildKit has no bracket expressions.
    ['[a-z]{2}.+(x|y)^$', true, false, '\\[a-z\\]\\{2\\}\\.\\+\\(x\\|y\\)\\^\\$'],
    // An escaped } or / only kept the character inside ${...}; the backslash goes.
    ['\\}\\/', true, false, '\\}/'],
    ['\uFEFFab', true, false, 'ab'],
  ] as const)('%j (greedy %s, anchored %s) -> %j', (pattern, greedy, anchored, expected) => {
    expect(shellPatternToRegexSource(pattern, greedy, anchored)).toBe(expected);
  });

  it.each(['\\', '\\x', 'ab\\\\\\', '\\n'])('rejects the escape in %j', (pattern) => {
    expect(() => shellPatternToRegexSource(pattern, true, true)).toThrow(ShellPatternError);
  });
});

describe('reversing', () => {
  it.each([
    ['abc', 'cba'],
    ['x\\?y', 'y\\?x'],
    ['\\\\\\*z', 'z\\*\\\\'],
    // A trailing lone backslash is an ordinary character when reversing.
    ['xy\\', '\\yx'],
    ['🐳\\*⛵', '⛵\\*🐳'],
  ])('reversePattern(%j) = %j', (pattern, expected) => {
    expect(reversePattern(pattern)).toBe(expected);
  });

  it('reverses strings by code point, not UTF-16 unit', () => {
    expect(reverseString('a🐳b')).toBe('b🐳a');
  });
});

describe('trimming', () => {
  const path = '/usr/local/lib/libfoo.so.1';
  it.each([
    ['#', '*/', false, 'usr/local/lib/libfoo.so.1'],
    ['##', '*/', true, 'libfoo.so.1'],
    ['%', '.*', false, '/usr/local/lib/libfoo.so'],
    ['%%', '.*', true, '/usr/local/lib/libfoo'],
    ['#', 'nomatch', false, path],
    ['%', '', false, path],
  ] as const)('${v%s%s}', (op, pattern, greedy, expected) => {
    const trim = op.startsWith('#') ? trimPrefix : trimSuffix;
    expect(trim(pattern, path, greedy)).toBe(expected);
  });

  it('treats brackets literally', () => {
    expect(trimPrefix('[ab]', '[ab]x', false)).toBe('x');
    expect(trimPrefix('[ab]', 'ax', false)).toBe('ax');
  });

  it('does not let * or ? cross a newline, like Go regexp', () => {
    expect(trimPrefix('*', 'ab\ncd', true)).toBe('\ncd');
    expect(trimPrefix('??', 'a\nb', true)).toBe('a\nb');
  });

  it('matches ? against a whole code point', () => {
    expect(trimPrefix('?', '🐳x', false)).toBe('x');
    expect(trimSuffix('?', 'x🐳', false)).toBe('x');
  });
});

describe('replacing', () => {
  it('replaces the first, longest match literally', () => {
    expect(replaceFirst('o*o', 'foo boo', '0')).toBe('f0');
    expect(replaceFirst('x', 'abc', '!')).toBe('abc');
    expect(replaceFirst('b', 'abc', '$0$$')).toBe('a$0$$c');
  });

  it('skips an empty match right after a match, as Go does (JS replace would not)', () => {
    expect(replaceAll('*', 'abc', 'X')).toBe('X');
    expect(replaceAll('*', '', 'X')).toBe('X');
    expect(replaceAll('*', 'ab\ncd', 'X')).toBe('X\nX');
    expect(replaceAll('', 'ab', '-')).toBe('-a-b-');
  });

  it('advances by code points', () => {
    expect(replaceAll('?', '🐳x', '.')).toBe('..');
  });

  it('expands the replacement as a Go template', () => {
    expect(replaceAll('?', 'ab', '<$0>')).toBe('<a><b>');
    expect(replaceAll('b', 'abc', '$1')).toBe('ac');
  });
});

describe('expandGoTemplate', () => {
  it.each([
    ['plain', 'plain'],
    ['<$0>', '<M>'],
    ['${0}x', 'Mx'],
    ['$$0', '$0'],
    ['$1 $name ${name}', '  '],
    // Not numbers, so names of groups that do not exist.
    ['$00 $0a', ' '],
    // Malformed references keep the dollar sign.
    ['$', '$'],
    ['$-', '$-'],
    ['${0', '${0'],
    ['${}', '${}'],
  ])('%j -> %j', (template, expected) => {
    expect(expandGoTemplate(template, 'M')).toBe(expected);
  });
});
