/**
 * Go's fmt verbs as BuildKit uses them in history lines, so `created_by`
 * matches byte for byte: %q of a []string, %v of a []string and of a
 * time.Duration.
 */

/** Go strconv.Quote for printable text: enough for history lines. */
export function goQuote(s: string): string {
  let out = '"';
  for (const ch of s) {
    const code = ch.codePointAt(0)!;
    if (ch === '"') out += '\\"';
    else if (ch === '\\') out += '\\\\';
    else if (ch === '\n') out += '\\n';
    else if (ch === '\t') out += '\\t';
    else if (ch === '\r') out += '\\r';
    else if (code < 0x20 || code === 0x7f) out += `\\x${code.toString(16).padStart(2, '0')}`;
    else out += ch;
  }
  return `${out}"`;
}

/** fmt %q of []string: ["a" "b"]. */
export function formatGoStringSlice(items: string[]): string {
  return `[${items.map(goQuote).join(' ')}]`;
}

/** fmt %v of []string: [a b]. */
export function formatGoValueSlice(items: string[]): string {
  return `[${items.join(' ')}]`;
}

/** time.Duration.String() for a duration in nanoseconds. */
export function formatGoDuration(ns: number): string {
  if (ns === 0) return '0s';
  const neg = ns < 0;
  let n = Math.abs(ns);
  let out: string;
  if (n < 1e3) out = `${n}ns`;
  else if (n < 1e6) out = `${trimFraction(n / 1e3)}µs`;
  else if (n < 1e9) out = `${trimFraction(n / 1e6)}ms`;
  else {
    const hours = Math.floor(n / 3.6e12);
    n -= hours * 3.6e12;
    const minutes = Math.floor(n / 6e10);
    n -= minutes * 6e10;
    const seconds = `${trimFraction(n / 1e9)}s`;
    out = hours > 0 ? `${hours}h${minutes}m${seconds}` : minutes > 0 ? `${minutes}m${seconds}` : seconds;
  }
  return neg ? `-${out}` : out;
}

function trimFraction(v: number): string {
  return Number(v.toFixed(9)).toString();
}
