/**
 * Go's time.ParseDuration, which HEALTHCHECK's --interval, --timeout,
 * --start-period and --start-interval use: "1h30m", "2.5s", "300ms", "0".
 * Returns nanoseconds, the unit an image config stores.
 */

const NANOS_PER_UNIT: Record<string, number> = {
  ns: 1,
  us: 1e3,
  'µs': 1e3, // U+00B5 micro sign
  'μs': 1e3, // U+03BC Greek mu
  ms: 1e6,
  s: 1e9,
  m: 60e9,
  h: 3600e9,
};

export class DurationError extends Error {
  override name = 'DurationError';
}

export function parseGoDuration(text: string): number {
  let rest = text;
  let sign = 1;
  if (rest.startsWith('-') || rest.startsWith('+')) {
    if (rest[0] === '-') sign = -1;
    rest = rest.slice(1);
  }
  if (rest === '0') return 0;
  if (rest === '') throw new DurationError(`time: invalid duration ${JSON.stringify(text)}`);
  let total = 0;
  const component = /^(\d*)(?:\.(\d*))?([^\d.]*)/;
  while (rest !== '') {
    const match = component.exec(rest);
    if (!match || (match[1] === '' && (match[2] ?? '') === '')) {
      throw new DurationError(`time: invalid duration ${JSON.stringify(text)}`);
    }
    if (match[3] === '') throw new DurationError(`time: missing unit in duration ${JSON.stringify(text)}`);
    const unitText = match[3]!;
    // The unit is the longest run of non-digit, non-dot characters, as in Go.
    const unit = NANOS_PER_UNIT[unitText];
    if (unit === undefined) {
      throw new DurationError(`time: unknown unit ${JSON.stringify(unitText)} in duration ${JSON.stringify(text)}`);
    }
    const whole = match[1] === '' ? 0 : Number(match[1]);
    const fraction = match[2] ? Number(`0.${match[2]}`) : 0;
    total += (whole + fraction) * unit;
    rest = rest.slice(match[0].length);
  }
  return sign * Math.round(total);
}

/** Formats nanoseconds the way Go's Duration.String does, e.g. "1m30s", "300ms". */
export function formatGoDuration(nanos: number): string {
  if (nanos === 0) return '0s';
  const negative = nanos < 0;
  let n = Math.abs(nanos);
  let out: string;
  if (n < 1e3) out = `${n}ns`;
  else if (n < 1e6) out = `${trimZeros(n / 1e3)}µs`;
  else if (n < 1e9) out = `${trimZeros(n / 1e6)}ms`;
  else {
    const hours = Math.floor(n / 3600e9);
    n -= hours * 3600e9;
    const minutes = Math.floor(n / 60e9);
    n -= minutes * 60e9;
    const seconds = `${trimZeros(n / 1e9)}s`;
    out = hours > 0 ? `${hours}h${minutes}m${seconds}` : minutes > 0 ? `${minutes}m${seconds}` : seconds;
  }
  return negative ? `-${out}` : out;
}

function trimZeros(value: number): string {
  return String(Number(value.toFixed(9)));
}
