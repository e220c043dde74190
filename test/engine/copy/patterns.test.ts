/** Pure logic: Go filepath.Match per element, --chmod parsing and application, destination paths. */
import { describe, expect, it } from 'vitest';
import { applyChmod, CopyOptionError, destinationOf, parseChmod } from '../../../src/engine/copy/index.js';
import { containsWildcards, matchElement, splitWildcards } from '../../../src/engine/copy/go-glob.js';

describe('filepath.Match on one element', () => {
  it.each([
    ['*', 'abc', true],
    ['*', '.hidden', true],
    ['a*c', 'abbc', true],
    ['a?c', 'abc', true],
    ['a?c', 'ac', false],
    ['[abc]x', 'bx', true],
    ['[a-c]x', 'dx', false],
    ['[^a-c]x', 'dx', true],
    ['\\*', '*', true],
    ['\\*', 'a', false],
    ['[\\]]', ']', true],
    ['a[', 'a[', false], // malformed: matches nothing
    ['[]a]', 'a', false], // malformed in Go
    ['[z-a]', 'm', false],
    ['*.tar.gz', 'x.tar.gz', true],
  ])('%s vs %s -> %s', (pattern, name, expected) => {
    expect(matchElement(pattern, name)).toBe(expected);
  });

  it('splits a path at its first wildcard element', () => {
    expect(splitWildcards(['a', 'b*', 'c'])).toEqual({ fixed: ['a'], pattern: ['b*', 'c'] });
    expect(splitWildcards(['a', 'b\\*'])).toEqual({ fixed: ['a', 'b\\*'], pattern: [] });
    expect(containsWildcards('x[1]')).toBe(true);
  });
});

describe('--chmod', () => {
  it('parses octal and replaces permission and special bits', () => {
    expect(applyChmod(parseChmod('755', 'COPY'), 0o600, false)).toBe(0o755);
    expect(applyChmod(parseChmod('4755', 'COPY'), 0o600, false)).toBe(0o4755);
    expect(applyChmod(parseChmod('0', 'COPY'), 0o777, true)).toBe(0);
  });

  it.each([
    ['u+x', 0o644, false, 0o744],
    ['+x', 0o644, false, 0o755],
    ['a-w', 0o666, false, 0o444],
    ['go=', 0o755, false, 0o700],
    ['u=rw,go=r', 0o777, false, 0o644],
    ['a+X', 0o644, false, 0o644],
    ['a+X', 0o744, false, 0o755],
    ['a+X', 0o700, true, 0o711],
    ['g=u', 0o740, false, 0o770],
    ['u+s,o+t', 0o755, true, 0o5755],
  ])('%s on %o (dir %s) -> %o', (spec, mode, isDir, expected) => {
    expect(applyChmod(parseChmod(spec, 'COPY'), mode, isDir)).toBe(expected);
  });

  it('rejects what BuildKit rejects', () => {
    for (const bad of ['8', '77777', 'u+q', 'x=r', 'u+x,']) {
      expect(() => parseChmod(bad, 'ADD'), bad).toThrow(CopyOptionError);
    }
  });
});

describe('destinationOf', () => {
  it.each([
    ['/abs', '/w', '/abs', false],
    ['/abs/', '/w', '/abs', true],
    ['rel', '/w', '/w/rel', false],
    ['.', '/w', '/w', true],
    ['./', '/w', '/w', true],
    ['sub/.', '/w', '/w/sub', true],
    ['../up', '/w/x', '/w/up', false],
    ['', '/w', '/w', true],
  ])('%s in %s -> %s (dir %s)', (dest, workdir, path, isDir) => {
    expect(destinationOf(dest, workdir)).toEqual({ path, isDir });
  });
});
