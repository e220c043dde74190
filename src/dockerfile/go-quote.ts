/**
 * Go's strconv.Quote, exactly: BuildKit's AST dump (and several of its error
 * messages) print strings this way, and the conformance results compare bytes.
 */

/** unicode.IsPrint: letters, marks, numbers, punctuation, symbols and the ASCII space. */
const PRINTABLE = /^[\p{L}\p{M}\p{N}\p{P}\p{S}]$/u;

const NAMED_ESCAPES: Record<number, string> = {
  0x07: '\\a',
  0x08: '\\b',
  0x0c: '\\f',
  0x0a: '\\n',
  0x0d: '\\r',
  0x09: '\\t',
  0x0b: '\\v',
};

function isGoPrint(r: number): boolean {
  if (r <= 0xff) {
    if (r >= 0x20 && r <= 0x7e) return true;
    if (r >= 0xa1 && r <= 0xff) return r !== 0xad;
    return false;
  }
  return PRINTABLE.test(String.fromCodePoint(r));
}

const hex = (n: number, width: number): string => n.toString(16).padStart(width, '0');

/** strconv.Quote(s) for a JS string (lone surrogates count as U+FFFD, as Go's UTF-8 decoding would). */
export function goQuote(s: string): string {
  let out = '"';
  for (const ch of s) {
    let r = ch.codePointAt(0)!;
    if (r >= 0xd800 && r <= 0xdfff) r = 0xfffd;
    if (r === 0x22 || r === 0x5c) {
      out += '\\' + String.fromCharCode(r);
    } else if (isGoPrint(r)) {
      out += String.fromCodePoint(r);
    } else if (NAMED_ESCAPES[r] !== undefined) {
      out += NAMED_ESCAPES[r];
    } else if (r < 0x20 || r === 0x7f) {
      out += '\\x' + hex(r, 2);
    } else if (r < 0x10000) {
      out += '\\u' + hex(r, 4);
    } else {
      out += '\\U' + hex(r, 8);
    }
  }
  return out + '"';
}

/** fmt.Sprintf("%q", []string{...}): `["a" "b"]`. */
export function goQuoteList(items: readonly string[]): string {
  return '[' + items.map(goQuote).join(' ') + ']';
}
