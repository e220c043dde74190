/**
 * Go string semantics for the parser.
 *
 * BuildKit's parser works on Go strings, which are bytes: some loops walk
 * runes (parseWords, TrimSpace) and some walk single bytes (flag extraction,
 * HEALTHCHECK), and the difference is visible with non-ASCII input. To match
 * it exactly the parser holds text as "byte strings": JS strings whose every
 * char code is one UTF-8 byte (0..255), the way Go sees them. Only at the AST
 * boundary are they decoded into ordinary JS strings.
 */

/** One byte per char: what Go's []byte(s) would hold. */
export type ByteString = string;

export function utf8ToByteString(bytes: Uint8Array): ByteString {
  let out = '';
  const chunk = 0x8000;
  for (let i = 0; i < bytes.length; i += chunk) {
    out += String.fromCharCode(...bytes.subarray(i, i + chunk));
  }
  return out;
}

export function textToByteString(text: string): ByteString {
  return utf8ToByteString(new TextEncoder().encode(text));
}

/** The UTF-8 bytes of one code point, as a byte string (Go's string(rune)). */
export function runeToByteString(cp: number): ByteString {
  if (cp < 0 || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff)) cp = 0xfffd;
  if (cp < 0x80) return String.fromCharCode(cp);
  if (cp < 0x800) return String.fromCharCode(0xc0 | (cp >> 6), 0x80 | (cp & 0x3f));
  if (cp < 0x10000) {
    return String.fromCharCode(0xe0 | (cp >> 12), 0x80 | ((cp >> 6) & 0x3f), 0x80 | (cp & 0x3f));
  }
  return String.fromCharCode(
    0xf0 | (cp >> 18),
    0x80 | ((cp >> 12) & 0x3f),
    0x80 | ((cp >> 6) & 0x3f),
    0x80 | (cp & 0x3f),
  );
}

export const RUNE_ERROR = 0xfffd;

/**
 * Go's utf8.DecodeRuneInString: the rune at `i` and its width in bytes. An
 * invalid or truncated sequence decodes as (U+FFFD, 1), one byte at a time.
 */
export function decodeRune(s: ByteString, i: number): [rune: number, width: number] {
  const b0 = s.charCodeAt(i);
  if (b0 < 0x80) return [b0, 1];
  const cont = (k: number): number => {
    const b = s.charCodeAt(i + k);
    return b >= 0x80 && b <= 0xbf ? b & 0x3f : -1;
  };
  if (b0 >= 0xc2 && b0 <= 0xdf) {
    const c1 = cont(1);
    return c1 < 0 ? [RUNE_ERROR, 1] : [((b0 & 0x1f) << 6) | c1, 2];
  }
  if (b0 >= 0xe0 && b0 <= 0xef) {
    const b1 = s.charCodeAt(i + 1);
    // Overlong forms (E0 80..9F) and surrogates (ED A0..BF) are invalid.
    if ((b0 === 0xe0 && !(b1 >= 0xa0 && b1 <= 0xbf)) || (b0 === 0xed && !(b1 >= 0x80 && b1 <= 0x9f))) {
      return [RUNE_ERROR, 1];
    }
    const c1 = cont(1);
    const c2 = cont(2);
    if (c1 < 0 || c2 < 0) return [RUNE_ERROR, 1];
    return [((b0 & 0x0f) << 12) | (c1 << 6) | c2, 3];
  }
  if (b0 >= 0xf0 && b0 <= 0xf4) {
    const b1 = s.charCodeAt(i + 1);
    if ((b0 === 0xf0 && !(b1 >= 0x90 && b1 <= 0xbf)) || (b0 === 0xf4 && !(b1 >= 0x80 && b1 <= 0x8f))) {
      return [RUNE_ERROR, 1];
    }
    const c1 = cont(1);
    const c2 = cont(2);
    const c3 = cont(3);
    if (c1 < 0 || c2 < 0 || c3 < 0) return [RUNE_ERROR, 1];
    return [((b0 & 0x07) << 18) | (c1 << 12) | (c2 << 6) | c3, 4];
  }
  return [RUNE_ERROR, 1];
}

/** Decode a byte string the way Go ranges over a string: invalid bytes become U+FFFD each. */
export function byteStringToText(s: ByteString): string {
  // Fast path: pure ASCII needs no decoding.
  if (!/[\x80-\xff]/.test(s)) return s;
  let out = '';
  for (let i = 0; i < s.length; ) {
    const [r, w] = decodeRune(s, i);
    out += String.fromCodePoint(r);
    i += w;
  }
  return out;
}

/** Go's unicode.IsSpace. */
export function isGoSpace(r: number): boolean {
  if (r <= 0xff) {
    return r === 0x20 || (r >= 0x09 && r <= 0x0d) || r === 0x85 || r === 0xa0;
  }
  return (
    r === 0x1680 ||
    (r >= 0x2000 && r <= 0x200a) ||
    r === 0x2028 ||
    r === 0x2029 ||
    r === 0x202f ||
    r === 0x205f ||
    r === 0x3000
  );
}

/** bytes.TrimLeftFunc(s, unicode.IsSpace). */
export function trimLeftSpace(s: ByteString): ByteString {
  let i = 0;
  while (i < s.length) {
    const [r, w] = decodeRune(s, i);
    if (!isGoSpace(r)) break;
    i += w;
  }
  return s.slice(i);
}

/** strings.TrimSpace. */
export function trimSpace(s: ByteString): ByteString {
  const left = trimLeftSpace(s);
  // Walk back rune by rune as utf8.DecodeLastRuneInString does, so trimming
  // costs only what it removes.
  let end = left.length;
  while (end > 0) {
    const last = left.charCodeAt(end - 1);
    if (last < 0x80) {
      if (!isGoSpace(last)) break;
      end--;
      continue;
    }
    let start = end - 1;
    while (start > 0 && start > end - 4 && (left.charCodeAt(start) & 0xc0) === 0x80) start--;
    const [r, w] = decodeRune(left, start);
    // A sequence that does not end exactly here is one invalid byte: not a space.
    if (start + w !== end || !isGoSpace(r)) break;
    end = start;
  }
  return left.slice(0, end);
}

/** strings.ToLower, rune by rune as Go maps them (never growing a rune into two). */
export function goToLower(s: ByteString): ByteString {
  if (!/[\x80-\xff]/.test(s)) return s.toLowerCase();
  let out = '';
  for (let i = 0; i < s.length; ) {
    const [r, w] = decodeRune(s, i);
    if (r === RUNE_ERROR && w === 1) {
      // Go keeps an invalid byte as RuneError's encoding.
      out += runeToByteString(RUNE_ERROR);
    } else if (r === 0x130) {
      out += 'i'; // unicode.ToLower('İ') is plain 'i'; JS would add a combining dot
    } else {
      const lower = String.fromCodePoint(r).toLowerCase();
      const cps = Array.from(lower);
      out += runeToByteString(cps.length === 1 ? cps[0]!.codePointAt(0)! : r);
    }
    i += w;
  }
  return out;
}

/** Go's reWhitespace, `[\t\v\f\r ]+`. */
const ASCII_BLANKS = /[\t\v\f\r ]+/g;

/** regexp.MustCompile(`[\t\v\f\r ]+`).Split(s, n) with Go's edge cases (n < 0: all). */
export function splitOnBlanks(s: ByteString, n: number): ByteString[] {
  if (n === 0) return [];
  if (s.length === 0) return [''];
  const parts: ByteString[] = [];
  let beg = 0;
  let end = 0;
  ASCII_BLANKS.lastIndex = 0;
  for (let m = ASCII_BLANKS.exec(s); m; m = ASCII_BLANKS.exec(s)) {
    if (n > 0 && parts.length === n - 1) break;
    end = m.index;
    const matchEnd = m.index + m[0].length;
    if (matchEnd !== 0) parts.push(s.slice(beg, end));
    beg = matchEnd;
  }
  if (end !== s.length) parts.push(s.slice(beg));
  return parts;
}
