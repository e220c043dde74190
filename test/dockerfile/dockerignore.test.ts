import { describe, expect, it } from 'vitest';
import {
  DockerignoreError,
  DockerignoreMatcher,
  cleanPath,
  dockerignoreCandidates,
  parseDockerignore,
  type IgnoreMatchState,
} from '../../src/dockerfile/dockerignore.js';

describe('cleanPath (Go filepath.Clean)', () => {
  it.each([
    ['', '.'],
    ['.', '.'],
    ['a/./b/', 'a/b'],
    ['//a//b', '/a/b'],
    ['/..', '/'],
    ['/../x', '/x'],
    ['a/../..', '..'],
    ['../a/../b', '../b'],
    ['a/b/../../..', '..'],
    ['!x/../y', 'y'],
  ])('%j -> %j', (path, expected) => {
    expect(cleanPath(path)).toBe(expected);
  });
});

describe('parseDockerignore', () => {
  it('reads patterns as ignorefile.ReadAll does', () => {
    const text = [
      '\uFEFF# comment after a BOM',
      'build',
      '',
      '   ',
      '/abs/path/',
      '  # indented: a pattern, not a comment',
      '! /re/included/',
      '!',
      '!   ',
      'a/./b/../c\r',
      '/',
      'trailing   ',
    ].join('\n');
    expect(parseDockerignore(text)).toEqual([
      { pattern: 'build', line: 2 },
      { pattern: 'abs/path', line: 5 },
      { pattern: '# indented: a pattern, not a comment', line: 6 },
      { pattern: '!re/included', line: 7 },
      { pattern: '!', line: 8 },
      { pattern: '!', line: 9 },
      { pattern: 'a/c', line: 10 },
      { pattern: '/', line: 11 },
      { pattern: 'trailing', line: 12 },
    ]);
  });

  it('drops a BOM only on the first line', () => {
    expect(parseDockerignore('a\n\uFEFFb\n').map((e) => e.pattern)).toEqual(['a', '\uFEFFb']);
  });

  it('reads nothing from an empty file', () => {
    expect(parseDockerignore('')).toEqual([]);
    expect(parseDockerignore('\n\n# only comments\n')).toEqual([]);
  });
});

/** [patterns, path, excluded] */
type MatchCase = [string[], string, boolean];

describe('DockerignoreMatcher.matches', () => {
  const cases: MatchCase[] = [
    // `*` and `?` stop at `/`.
    [['*.go'], 'main.go', true],
    [['*.go'], 'cmd/main.go', false],
    [['*/*.go'], 'cmd/main.go', true],
    [['?'], 'a', true],
    [['?'], 'ab', false],
    [['?.txt'], '한.txt', true],
    [['?.txt'], '🐳.txt', true],
    // A pattern naming a directory covers what is inside.
    [['docs'], 'docs', true],
    [['docs'], 'docs/a/b.md', true],
    [['docs'], 'docsx', false],
    [['docs'], 'other/docs', false],
    // `**` matches any number of directories, including none.
    [['**/*.go'], 'main.go', true],
    [['**/*.go'], 'cmd/x/main.go', true],
    [['**'], 'anything/at/all', true],
    [['a/**/b'], 'a/b', true],
    [['a/**/b'], 'a/x/y/b', true],
    [['a/**/b'], 'a/x/b/inside', true],
    [['a/**/b'], 'ab', false],
    // A trailing `**` is a prefix match, so it does not name the directory itself.
    [['docs/**'], 'docs', false],
    [['docs/**'], 'docs/a', true],
    [['foo**'], 'foobar/baz', true],
    // A leading `**` is a suffix match.
    [['**/foo'], 'foo', true],
    [['**/foo'], 'a/b/foo', true],
    [['**/foo'], 'a/xfoo', false],
    [['**foo'], 'barfoo', true],
    // Classes, escapes and characters that are regexp syntax.
    [['[a-c]x'], 'bx', true],
    [['[a-c]x'], 'dx', false],
    [['[^a]x'], 'bx', true],
    [['[^a]x'], 'ax', false],
    [['[\\]]'], ']', true],
    [['\\[x\\]'], '[x]', true],
    [['[[:digit:]]x'], '7x', true],
    [['[[:digit:]]x'], 'ax', false],
    // Class text goes to Go's regexp as patternmatcher writes it: the `*` in
    // `[*]` becomes `[^/]*`, whose `]` ends the class, so `[*]` is "any of
    // `[^/`, repeated, then `]`" and does not match a star.
    [['[*]'], '*', false],
    [['[*]'], '[/]', true],
    [['[*]'], ']', true],
    [['[a?]'], 'a]', true],
    [['[a?]'], 'a', false],
    [['a\\*b'], 'a*b', true],
    [['a\\*b'], 'axb', false],
    [['*.txt'], 'a.txt', true],
    [['*.txt'], 'aXtxt', false],
    [['x{1,2}*'], 'x{1,2}y', true],
    [['x{1,2}*'], 'xx', false],
    [['a+b(c)|$'], 'a+b(c)|$', true],
    [['*a+b'], 'zza+b', true],
    [['*a+b'], 'zaab', false],
    [['x]*'], 'x]y', true],
    [['x-*'], 'x-y', true],
    // patternmatcher hands `\d` to Go's regexp: a digit, not a `d`.
    [['file\\d'], 'file7', true],
    [['file\\d'], 'filed', false],
    // `^` inside a pattern is a regexp anchor there, so it never matches mid-pattern.
    [['a^*'], 'a^b', false],
    [['a^b'], 'a^b', true],
    // Exceptions: the last matching pattern wins.
    [['*.md', '!README.md'], 'README.md', false],
    [['*.md', '!README.md'], 'CHANGES.md', true],
    [['!README.md', '*.md'], 'README.md', true],
    [['docs', '!docs/keep.md'], 'docs/keep.md', false],
    [['docs', '!docs/keep.md'], 'docs/other.md', true],
    [['docs', '!docs/keep.md'], 'docs', true],
    [['docs', '!docs/keep', 'docs/keep/tmp'], 'docs/keep/x', false],
    [['docs', '!docs/keep', 'docs/keep/tmp'], 'docs/keep/tmp/y', true],
    [['*', '!src', 'src/*.log'], 'src/a.go', false],
    [['*', '!src', 'src/*.log'], 'src/a.log', true],
    // Decided the way BuildKit's walk decides, from the parent's results: `a`
    // was already excluded when the last `a` was reached for directory a, so it
    // was never tested there and does not apply to a/b.
    [['a', '!a/b', 'a'], 'a/b', false],
    [['a', '!a/b', 'a'], 'a/c', true],
    // Paths are cleaned; the context root itself is never excluded.
    [['docs'], './docs/x/', true],
    [['docs'], '/docs', true],
    [['**'], '.', false],
    [[], 'anything', false],
  ];

  it.each(cases)('%j: %j -> %s', (patterns, path, excluded) => {
    expect(new DockerignoreMatcher(patterns).matches(path)).toBe(excluded);
  });

  it('agrees with a walk that passes parent state down', () => {
    const matcher = new DockerignoreMatcher(['a', '!a/b/**', 'a/b/c']);
    let state: IgnoreMatchState | undefined;
    const results: boolean[] = [];
    for (const path of ['a', 'a/b', 'a/b/c', 'a/b/c/d']) {
      const step = matcher.matchWithParent(path, state);
      results.push(step.excluded);
      expect(matcher.matches(path)).toBe(step.excluded);
      state = step.state;
    }
    expect(results).toEqual([true, true, true, true]);
    expect(matcher.matches('a/b/x')).toBe(false);
  });
});

describe('DockerignoreMatcher errors', () => {
  it('rejects a lone !, naming the line', () => {
    expect(() => DockerignoreMatcher.fromText('a\n!\n')).toThrow(
      new DockerignoreError('illegal exclusion pattern: "!"', '!', 2),
    );
    let caught: unknown;
    try {
      DockerignoreMatcher.fromText('a\n!\n', 'app.Dockerfile.dockerignore');
    } catch (err) {
      caught = err;
    }
    expect(caught).toBeInstanceOf(DockerignoreError);
    const error = caught as DockerignoreError;
    expect(error.message).toBe('app.Dockerfile.dockerignore:2: illegal exclusion pattern: "!"');
    expect(error.isUserError).toBe(true);
    expect(error.exitCode).toBe(2);
    expect(error.line).toBe(2);
  });

  it.each(['[a', '[]', '[^]', '[a-]', '[-a]', 'x[z-a]', 'a\\', 'q\\q', '\\é', '[[:nope:]]'])('rejects %j', (pattern) => {
    expect(() => DockerignoreMatcher.fromText(`ok\n${pattern}\n`)).toThrow(/^\.dockerignore:2: syntax error in pattern/);
  });
});

describe('mayContainExceptions', () => {
  it('is false without exceptions', () => {
    expect(new DockerignoreMatcher(['docs']).mayContainExceptions('docs')).toBe(false);
  });

  it('is true only above a plain-path exception', () => {
    const matcher = new DockerignoreMatcher(['docs', 'node_modules', '!docs/keep.md', '!node_modules/x/**']);
    expect(matcher.mayContainExceptions('docs')).toBe(true);
    expect(matcher.mayContainExceptions('docs/sub')).toBe(false);
    expect(matcher.mayContainExceptions('node_modules')).toBe(true);
    expect(matcher.mayContainExceptions('node_modules/x')).toBe(true);
    expect(matcher.mayContainExceptions('node_modules/y')).toBe(false);
    expect(matcher.mayContainExceptions('build')).toBe(false);
  });

  it('compares whole path components', () => {
    expect(new DockerignoreMatcher(['a', '!ab']).mayContainExceptions('a')).toBe(false);
  });

  it('is always true once any exception has a wildcard, as in BuildKit', () => {
    const matcher = new DockerignoreMatcher(['*', '!docs', '!**/*.go']);
    expect(matcher.mayContainExceptions('vendor')).toBe(true);
    expect(matcher.mayContainExceptions('anything/else')).toBe(true);
  });
});

describe('walking a context', () => {
  /** A context tree: directories end with `/`. */
  const tree = [
    'Dockerfile',
    'README.md',
    'docs/',
    'docs/a.md',
    'docs/keep.md',
    'docs/sub/',
    'docs/sub/x',
    'node_modules/',
    'node_modules/pkg/',
    'node_modules/pkg/index.js',
    'src/',
    'src/main.go',
    'src/main_test.go',
  ];

  /**
   * Walk the tree as the copier would: depth first, passing state down,
   * sending an excluded directory only when something below it is sent.
   */
  function walk(matcher: DockerignoreMatcher): { sent: string[]; visited: string[] } {
    const sent: string[] = [];
    const visited: string[] = [];
    const visit = (dir: string, state: IgnoreMatchState | undefined, pendingParents: string[]): void => {
      const children = tree.filter((entry) => {
        const path = entry.replace(/\/$/, '');
        const parent = path.includes('/') ? path.slice(0, path.lastIndexOf('/')) : '';
        return parent === dir;
      });
      for (const entry of children) {
        const isDirectory = entry.endsWith('/');
        const path = entry.replace(/\/$/, '');
        visited.push(path);
        const step = matcher.walk(path, isDirectory, state);
        if (step.action === 'prune') continue;
        if (step.action === 'include') {
          sent.push(...pendingParents.splice(0), path);
          if (isDirectory) visit(path, step.state, []);
        } else if (isDirectory) {
          visit(path, step.state, [...pendingParents, path]);
        }
      }
    };
    visit('', undefined, []);
    return { sent, visited };
  }

  it('sends what BuildKit would send and skips pruned directories', () => {
    const matcher = DockerignoreMatcher.fromText(
      ['node_modules', 'docs', '!docs/keep.md', '*.md', '!README.md', '**/*_test.go'].join('\n'),
    );
    const { sent, visited } = walk(matcher);
    expect(sent).toEqual(['Dockerfile', 'README.md', 'docs', 'docs/keep.md', 'src', 'src/main.go']);
    expect(visited).not.toContain('node_modules/pkg');
    expect(visited).not.toContain('docs/sub/x');
    expect(visited).toContain('docs/a.md');
  });

  it('sends everything with an empty ignore file', () => {
    const { sent } = walk(DockerignoreMatcher.fromText('# nothing\n'));
    expect(sent).toEqual(tree.map((e) => e.replace(/\/$/, '')));
  });
});

describe('dockerignoreCandidates', () => {
  it.each([
    ['ctx', 'ctx/build/app.Dockerfile', ['ctx/build/app.Dockerfile.dockerignore', 'ctx/.dockerignore']],
    ['ctx', undefined, ['ctx/Dockerfile.dockerignore', 'ctx/.dockerignore']],
    ['ctx', '-', ['ctx/.dockerignore']],
    ['/abs/ctx', '/other/Dockerfile', ['/other/Dockerfile.dockerignore', '/abs/ctx/.dockerignore']],
  ] as const)('context %j, Dockerfile %j', (context, dockerfile, expected) => {
    expect(dockerignoreCandidates(context, dockerfile)).toEqual(expected);
  });
});
