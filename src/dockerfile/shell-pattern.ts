/**
 * The shell patterns of `${v#p}`, `${v%p}` and `${v/p/r}` as BuildKit reads
 * them (frontend/dockerfile/shell/lex.go): only `*` and `?` are wildcards,
 * `\` escapes `*`, `?` and `\` (and is dropped before `}` and `/`, which had to
 * be escaped to stay inside `${}`), and there are no bracket expressions, so
 * `[a-z]` is literal text. Any other escape is an error.
 *
 * BuildKit turns a pattern into a Go regular expression. We do the same with
 * a JavaScript one, and mimic the Go regexp details that can show through:
 * `.` does not match a newline, replace-all skips an empty match right after
 * another match, and the replacement of replace-all is a Go template in which
 * `$0` is the match and `$$` a dollar sign.
 */

/** A pattern BuildKit would reject; the lexer wraps it into a ShellLexError. */
export class ShellPatternError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ShellPatternError';
  }
}

/** Go's regexp `.`: any character but a newline (JS `.` also skips \r, U+2028 and U+2029). */
const ANY_CHAR = '[^\\n]';

/** Characters that are regexp syntax in both Go and JavaScript. */
const REGEX_SYNTAX = new Set(['[', ']', '{', '}', '.', '+', '(', ')', '|', '^', '$']);

/** Code points of `text`, dropping one leading byte-order mark as Go's text/scanner does. */
export function scannerCodePoints(text: string): string[] {
  const chars = Array.from(text);
  if (chars[0] === '\uFEFF') chars.shift();
  return chars;
}

/**
 * Translate a shell pattern into regexp source. `greedy` picks `*` as longest
 * (`##`, `%%`, `/`) or shortest (`#`, `%`) match; `anchored` matches only at
 * the start of the value.
 */
export function shellPatternToRegexSource(pattern: string, greedy: boolean, anchored: boolean): string {
  const chars = scannerCodePoints(pattern);
  let out = anchored ? '^' : '';
  const star = greedy ? `${ANY_CHAR}*` : `${ANY_CHAR}*?`;
  for (let i = 0; i < chars.length; i++) {
    const ch = chars[i]!;
    if (ch === '*') {
      out += star;
    } else if (ch === '?') {
      out += ANY_CHAR;
    } else if (ch === '\\') {
      const next = chars[i + 1];
      // `\}` and `\/` kept `}` and `/` inside `${...}`; the backslash is not part of the pattern.
      if (next === '}' || next === '/') continue;
      if (next !== '*' && next !== '?' && next !== '\\') {
        throw new ShellPatternError(
          next === undefined ? "invalid escape '\\' at end of pattern" : `invalid escape '\\${next}'`,
        );
      }
      out += '\\' + next;
      i++;
    } else if (REGEX_SYNTAX.has(ch)) {
      out += '\\' + ch;
    } else {
      out += ch;
    }
  }
  return out;
}

function compile(pattern: string, greedy: boolean, anchored: boolean, flags: string): RegExp {
  return new RegExp(shellPatternToRegexSource(pattern, greedy, anchored), flags);
}

/** `${value#pattern}` (greedy: `##`): drop the matching prefix, if any. */
export function trimPrefix(pattern: string, value: string, greedy: boolean): string {
  const match = compile(pattern, greedy, true, 'u').exec(value);
  return match ? value.slice(match.index + match[0].length) : value;
}

/**
 * Reverse a pattern by code points but keep each `\x` escape in order, so the
 * reversed pattern matches the reversed value (`a\*c` becomes `c\*a`).
 */
export function reversePattern(pattern: string): string {
  const chars = Array.from(pattern);
  const out: string[] = new Array<string>(chars.length);
  const last = chars.length - 1;
  for (let i = 0; i <= last; ) {
    const outIndex = last - i;
    if (chars[i] === '\\' && i !== last) {
      out[outIndex - 1] = '\\';
      out[outIndex] = chars[i + 1]!;
      i += 2;
    } else {
      out[outIndex] = chars[i]!;
      i++;
    }
  }
  return out.join('');
}

export function reverseString(text: string): string {
  return Array.from(text).reverse().join('');
}

/**
 * `${value%pattern}` (greedy: `%%`). A regexp finds the leftmost match, not
 * the shortest one that ends at the end, so BuildKit reverses both the value
 * and the pattern and trims a prefix instead; we do the same, so the results
 * agree even where that differs from bash.
 */
export function trimSuffix(pattern: string, value: string, greedy: boolean): string {
  return reverseString(trimPrefix(reversePattern(pattern), reverseString(value), greedy));
}

/** `${value/pattern/replacement}`: replace the first (longest) match, literally. */
export function replaceFirst(pattern: string, value: string, replacement: string): string {
  const match = compile(pattern, true, false, 'u').exec(value);
  if (!match) return value;
  return value.slice(0, match.index) + replacement + value.slice(match.index + match[0].length);
}

/**
 * `${value//pattern/replacement}` with Go's `Regexp.ReplaceAllString`
 * semantics: an empty match right after a match is not replaced (JavaScript's
 * `replace` would), and the replacement is expanded as a Go template.
 */
export function replaceAll(pattern: string, value: string, replacement: string): string {
  const re = compile(pattern, true, false, 'gu');
  let out = '';
  let lastMatchEnd = 0;
  let searchPos = 0;
  while (searchPos <= value.length) {
    re.lastIndex = searchPos;
    const match = re.exec(value);
    if (!match) break;
    const start = match.index;
    const end = start + match[0].length;
    out += value.slice(lastMatchEnd, start);
    if (end > lastMatchEnd || start === 0) out += expandGoTemplate(replacement, match[0]);
    lastMatchEnd = end;
    // Always advance by at least one character (a whole code point).
    const width = searchPos < value.length ? String.fromCodePoint(value.codePointAt(searchPos)!).length : 0;
    if (searchPos + width > end) searchPos += width;
    else if (searchPos + 1 > end) searchPos++;
    else searchPos = end;
  }
  return out + value.slice(lastMatchEnd);
}

const NAME_CHAR = /^[\p{L}\p{Nd}_]$/u;

/**
 * Go's `Regexp.Expand` for a regexp without capture groups: `$$` is `$`,
 * `$0` / `${0}` is the whole match, any other well-formed `$name` / `${name}`
 * is empty, and a malformed reference leaves the `$` as text.
 */
export function expandGoTemplate(template: string, wholeMatch: string): string {
  let out = '';
  let rest = template;
  for (;;) {
    const dollar = rest.indexOf('$');
    if (dollar < 0) break;
    out += rest.slice(0, dollar);
    rest = rest.slice(dollar + 1);
    if (rest.startsWith('$')) {
      out += '$';
      rest = rest.slice(1);
      continue;
    }
    const reference = parseTemplateReference(rest);
    if (!reference) {
      out += '$';
      continue;
    }
    rest = reference.rest;
    if (reference.name === '0') out += wholeMatch;
  }
  return out + rest;
}

function parseTemplateReference(text: string): { name: string; rest: string } | undefined {
  const braced = text.startsWith('{');
  const chars = Array.from(braced ? text.slice(1) : text);
  let length = 0;
  let name = '';
  while (length < chars.length && NAME_CHAR.test(chars[length]!)) name += chars[length++];
  if (name === '') return undefined;
  let consumed = (braced ? 1 : 0) + name.length;
  if (braced) {
    if (chars[length] !== '}') return undefined;
    consumed++;
  }
  return { name, rest: text.slice(consumed) };
}
