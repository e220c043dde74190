/**
 * One .dockerignore pattern, matched the way moby/patternmatcher matches it.
 *
 * patternmatcher first checks the pattern with Go's filepath.Match (only for
 * its syntax errors), then turns it into a plain comparison or a Go regexp:
 * `*` and `?` stop at `/`, `**` spans directories, and the text of `[...]`
 * and of `\x` escapes is handed to Go's regexp as it is. So `[*]` does not
 * mean "a star" there (the `*` becomes `[^/]*`, which closes the class), and
 * `\d` means a digit. We build the same Go regexp text and translate it to a
 * JavaScript RegExp, so such corners come out as BuildKit has them.
 */

/** The pattern is malformed; the message says how. */
export class IgnorePatternSyntaxError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'IgnorePatternSyntaxError';
  }
}

type MatchKind = 'exact' | 'prefix' | 'suffix' | 'regexp';

export class IgnorePattern {
  private readonly kind: MatchKind;
  private readonly regexp: RegExp | undefined;

  /**
   * @param text the cleaned pattern without its `!`.
   * @param exception true for `!` patterns, which re-include.
   * @param line the ignore-file line it came from, if any.
   */
  constructor(
    readonly text: string,
    readonly exception: boolean,
    readonly line?: number,
  ) {
    checkMatchSyntax(text);
    const { kind, goRegexp } = compileLikePatternmatcher(text);
    this.kind = kind;
    if (kind === 'regexp') this.regexp = new RegExp(goRegexpToJs(goRegexp), 'u');
  }

  test(path: string): boolean {
    switch (this.kind) {
      case 'exact':
        return path === this.text;
      case 'prefix':
        // The pattern ends in `**`.
        return path.startsWith(this.text.slice(0, -2));
      case 'suffix': {
        // The pattern starts with `**`; `**/foo` also matches `foo` itself.
        const suffix = this.text.slice(2);
        return path.endsWith(suffix) || (suffix.startsWith('/') && path === suffix.slice(1));
      }
      case 'regexp':
        return this.regexp!.test(path);
    }
  }
}

/** filepath.Match's syntax check: classes must be closed and non-empty, escapes complete. */
function checkMatchSyntax(pattern: string): void {
  const chars = Array.from(pattern);
  let pos = 0;
  // One class member: not an unescaped `-` or `]`, and the class must continue after it.
  const classChar = (): number => {
    let ch = chars[pos];
    if (ch === undefined || ch === '-' || ch === ']') throw new IgnorePatternSyntaxError('bad character class');
    pos++;
    if (ch === '\\') {
      ch = chars[pos++];
      if (ch === undefined) throw new IgnorePatternSyntaxError('trailing backslash in character class');
    }
    if (pos >= chars.length) throw new IgnorePatternSyntaxError("missing ']'");
    return ch.codePointAt(0)!;
  };
  while (pos < chars.length) {
    const ch = chars[pos++];
    if (ch === '\\') {
      if (pos >= chars.length) throw new IgnorePatternSyntaxError('trailing backslash');
      pos++;
    } else if (ch === '[') {
      if (chars[pos] === '^') pos++;
      for (let members = 0; ; members++) {
        if (chars[pos] === ']' && members > 0) {
          pos++;
          break;
        }
        classChar();
        if (chars[pos] === '-') {
          pos++;
          classChar();
        }
      }
    }
  }
}

/** Characters patternmatcher escapes: regexp syntax with no meaning in filepath.Match. */
const ESCAPED_BY_PATTERNMATCHER = new Set(['.', '+', '(', ')', '|', '{', '}', '$']);

/** patternmatcher's Pattern.compile for `/` as the separator. */
function compileLikePatternmatcher(pattern: string): { kind: MatchKind; goRegexp: string } {
  const chars = Array.from(pattern);
  let kind: MatchKind = 'exact';
  let out = '^';
  for (let pos = 0, step = 0; pos < chars.length; step++) {
    const ch = chars[pos++]!;
    if (ch === '*') {
      if (chars[pos] === '*') {
        pos++;
        // `**/` is the same as `**`.
        if (chars[pos] === '/') pos++;
        if (pos >= chars.length) {
          // A trailing `**` accepts everything below, as in .gitignore.
          if (kind === 'exact') kind = 'prefix';
          else {
            out += '.*';
            kind = 'regexp';
          }
        } else {
          // Any number of directories, including none.
          out += '(.*/)?';
          kind = 'regexp';
        }
        if (step === 0) kind = 'suffix';
      } else {
        out += '[^/]*';
        kind = 'regexp';
      }
    } else if (ch === '?') {
      out += '[^/]';
      kind = 'regexp';
    } else if (ESCAPED_BY_PATTERNMATCHER.has(ch)) {
      out += '\\' + ch;
    } else if (ch === '\\') {
      if (pos < chars.length) {
        out += '\\' + chars[pos++];
        kind = 'regexp';
      } else {
        out += '\\';
      }
    } else if (ch === '[' || ch === ']') {
      out += ch;
      kind = 'regexp';
    } else {
      out += ch;
    }
  }
  return { kind, goRegexp: out + '$' };
}

/** Escape what a JavaScript `u` regexp needs escaped to be literal (it allows no other escapes). */
const JS_SYNTAX = new Set(['^', '$', '\\', '.', '*', '+', '?', '(', ')', '[', ']', '{', '}', '|', '/']);
const jsLiteral = (ch: string): string => (JS_SYNTAX.has(ch) ? '\\' + ch : ch);
const jsClassLiteral = (ch: string): string => (ch === '-' ? '\\-' : jsLiteral(ch));

/** Go regexp escapes outside a class (Go's Perl classes and assertions are ASCII). */
const GO_ESCAPES: Record<string, string> = {
  d: '[0-9]',
  D: '[^0-9]',
  s: '[\\t\\n\\f\\r ]',
  S: '[^\\t\\n\\f\\r ]',
  w: '[0-9A-Za-z_]',
  W: '[^0-9A-Za-z_]',
  b: '\\b',
  B: '\\B',
  A: '^',
  z: '$',
  a: '\\x07',
  f: '\\f',
  n: '\\n',
  r: '\\r',
  t: '\\t',
  v: '\\v',
};

/** The same inside a class, where only characters and classes make sense. */
const GO_CLASS_ESCAPES: Record<string, string> = {
  d: '0-9',
  D: '\\D',
  s: '\\t\\n\\f\\r ',
  w: '0-9A-Za-z_',
  W: '\\W',
  a: '\\x07',
  f: '\\f',
  n: '\\n',
  r: '\\r',
  t: '\\t',
  v: '\\v',
};

const POSIX_CLASSES: Record<string, string> = {
  alnum: '0-9A-Za-z',
  alpha: 'A-Za-z',
  ascii: '\\x00-\\x7F',
  blank: '\\t ',
  cntrl: '\\x00-\\x1F\\x7F',
  digit: '0-9',
  graph: '!-~',
  lower: 'a-z',
  print: ' -~',
  punct: '!-\\/:-@\\[-`\\{-~',
  space: '\\t\\n\\v\\f\\r ',
  upper: 'A-Z',
  word: '0-9A-Za-z_',
  xdigit: '0-9A-Fa-f',
};

/** Control-character escapes and their code points, for class ranges. */
const GO_CHAR_ESCAPES: Record<string, number> = { a: 7, f: 12, n: 10, r: 13, t: 9, v: 11 };

const isAsciiPunctuation = (ch: string): boolean => ch.codePointAt(0)! < 0x80 && !/^[0-9A-Za-z]$/.test(ch);

function unsupportedEscape(ch: string | undefined): IgnorePatternSyntaxError {
  return new IgnorePatternSyntaxError(
    ch === undefined ? 'trailing backslash' : `invalid or unsupported escape sequence \\${ch}`,
  );
}

/**
 * Translate the Go regexp text patternmatcher builds (always `^...$`) into
 * JavaScript `u` regexp source with the same meaning. Go's `.` does not match
 * a newline, and neither does our translation of it.
 */
function goRegexpToJs(go: string): string {
  const chars = Array.from(go);
  let out = '';
  let pos = 0;
  while (pos < chars.length) {
    const ch = chars[pos++]!;
    if (ch === '\\') {
      const next = chars[pos++];
      if (next !== undefined && isAsciiPunctuation(next)) out += jsLiteral(next);
      else if (next !== undefined && GO_ESCAPES[next] !== undefined) out += GO_ESCAPES[next];
      else throw unsupportedEscape(next);
    } else if (ch === '[') {
      const cls = translateGoClass(chars, pos);
      out += cls.source;
      pos = cls.end;
    } else if (ch === '.') {
      out += '[^\\n]';
    } else if (ch === '(') {
      out += '(?:';
    } else if (ch === ')' || ch === '?' || ch === '*' || ch === '^' || ch === '$') {
      // Only patternmatcher's own constructs and a user's `^` (an anchor in Go too).
      out += ch;
    } else {
      out += jsLiteral(ch);
    }
  }
  return out;
}

/** A Go regexp class starting after its `[`, with Go's rules (Perl flags). */
function translateGoClass(chars: string[], start: number): { source: string; end: number } {
  let pos = start;
  let source = '[';
  if (chars[pos] === '^') {
    source += '^';
    pos++;
  }
  /** One class character (possibly escaped), as a JS class literal and a code point. */
  const classChar = (): { js: string; codePoint: number } => {
    const ch = chars[pos++];
    if (ch === undefined) throw new IgnorePatternSyntaxError("missing closing ']'");
    if (ch !== '\\') return { js: jsClassLiteral(ch), codePoint: ch.codePointAt(0)! };
    const next = chars[pos++];
    if (next !== undefined && isAsciiPunctuation(next)) return { js: jsClassLiteral(next), codePoint: next.codePointAt(0)! };
    if (next !== undefined && GO_CHAR_ESCAPES[next] !== undefined) {
      return { js: GO_CLASS_ESCAPES[next]!, codePoint: GO_CHAR_ESCAPES[next] };
    }
    throw unsupportedEscape(next);
  };
  // `]` right after `[` or `[^` is a member, not the end.
  for (let first = true; first || chars[pos] !== ']'; first = false) {
    if (pos >= chars.length) throw new IgnorePatternSyntaxError("missing closing ']'");
    if (chars[pos] === '[' && chars[pos + 1] === ':') {
      const rest = chars.slice(pos + 2).join('');
      const close = rest.indexOf(':]');
      if (close >= 0) {
        const name = rest.slice(0, close);
        const members = POSIX_CLASSES[name];
        if (members === undefined) throw new IgnorePatternSyntaxError(`invalid character class [:${name}:]`);
        source += members;
        pos += 2 + Array.from(rest.slice(0, close + 2)).length;
        continue;
      }
    }
    if (chars[pos] === '\\' && chars[pos + 1] !== undefined && 'dDswW'.includes(chars[pos + 1]!)) {
      source += GO_CLASS_ESCAPES[chars[pos + 1]!];
      pos += 2;
      continue;
    }
    if (chars[pos] === '\\' && chars[pos + 1] === 'S') throw unsupportedEscape('S');
    const low = classChar();
    // `a-]` is `a` and `-`; otherwise `-` makes a range.
    if (chars[pos] === '-' && chars[pos + 1] !== undefined && chars[pos + 1] !== ']') {
      pos++;
      const high = classChar();
      if (high.codePoint < low.codePoint) throw new IgnorePatternSyntaxError('invalid character class range');
      source += `${low.js}-${high.js}`;
    } else {
      source += low.js;
    }
  }
  pos++;
  return { source: source + ']', end: pos };
}
