/**
 * Go's path/filepath.Match, which BuildKit uses to expand COPY/ADD source
 * globs, one path element at a time: `*` is any run of characters and `?` any
 * one character (neither crosses `/`), `[...]` a class with ranges and `^`
 * for negation, `\` escapes the next character. A malformed pattern matches
 * nothing (BuildKit ignores Match's ErrBadPattern). Dot files get no special
 * treatment: `*` matches `.env`.
 */

/** Does this path element hold an unescaped `*`, `?` or `[` (fsutil's containsWildcards)? */
export function containsWildcards(element: string): boolean {
  for (let i = 0; i < element.length; i++) {
    const ch = element[i];
    if (ch === '\\') i++;
    else if (ch === '*' || ch === '?' || ch === '[') return true;
  }
  return false;
}

/**
 * Split a `/`-separated path at its first element with a wildcard:
 * `a/b*\/c` -> `{ fixed: ['a'], pattern: ['b*', 'c'] }`.
 */
export function splitWildcards(elements: string[]): { fixed: string[]; pattern: string[] } {
  const at = elements.findIndex(containsWildcards);
  if (at < 0) return { fixed: elements, pattern: [] };
  return { fixed: elements.slice(0, at), pattern: elements.slice(at) };
}

const compiled = new Map<string, RegExp | null>();

/** Does `name` (one path element) match `pattern` (one element)? */
export function matchElement(pattern: string, name: string): boolean {
  let regexp = compiled.get(pattern);
  if (regexp === undefined) {
    regexp = compileElement(pattern);
    if (compiled.size > 1000) compiled.clear();
    compiled.set(pattern, regexp);
  }
  return regexp !== null && regexp.test(name);
}

const literal = (ch: string): string => `\\u{${ch.codePointAt(0)!.toString(16)}}`;

/** Translate one element to an anchored regexp, or null when Match would call it malformed. */
function compileElement(pattern: string): RegExp | null {
  const chars = Array.from(pattern);
  let source = '';
  let pos = 0;
  while (pos < chars.length) {
    const ch = chars[pos++]!;
    if (ch === '*') {
      source += '[^/]*';
    } else if (ch === '?') {
      source += '[^/]';
    } else if (ch === '\\') {
      if (pos >= chars.length) return null;
      source += literal(chars[pos++]!);
    } else if (ch === '[') {
      let cls = '[';
      if (chars[pos] === '^') {
        cls += '^';
        pos++;
      }
      // One class character; `-` and `]` must be escaped to stand for themselves.
      const readChar = (): string | null => {
        const c = chars[pos];
        if (c === undefined || c === '-' || c === ']') return null;
        pos++;
        if (c !== '\\') return c;
        const escaped = chars[pos++];
        return escaped === undefined ? null : escaped;
      };
      let ranges = 0;
      for (;;) {
        if (chars[pos] === ']' && ranges > 0) {
          pos++;
          break;
        }
        const low = readChar();
        if (low === null) return null;
        cls += literal(low);
        if (chars[pos] === '-') {
          pos++;
          const high = readChar();
          if (high === null || high.codePointAt(0)! < low.codePointAt(0)!) return null;
          cls += '-' + literal(high);
        }
        ranges++;
      }
      source += cls + ']';
    } else {
      source += literal(ch);
    }
  }
  return new RegExp(`^${source}$`, 'u');
}
