/** Small formatting helpers shared by the panes: sizes, modes, owners, times. */
import type { EntryType } from '../layers/types.js';

const UNITS = ['B', 'kB', 'MB', 'GB', 'TB'];

/** Decimal units, as docker prints image sizes ("4.2 MB"). */
export function formatBytes(bytes: number): string {
  if (!Number.isFinite(bytes) || bytes < 0) return '?';
  if (bytes < 1000) return `${bytes} B`;
  let value = bytes;
  let unit = 0;
  while (value >= 1000 && unit < UNITS.length - 1) {
    value /= 1000;
    unit++;
  }
  return `${value >= 100 ? value.toFixed(0) : value.toFixed(1)} ${UNITS[unit]}`;
}

const TYPE_LETTERS: Record<EntryType, string> = {
  file: '-',
  hardlink: 'h',
  dir: 'd',
  symlink: 'l',
  char: 'c',
  block: 'b',
  fifo: 'p',
  socket: 's',
};

/** `ls -l` style: "-rwxr-xr-x", with setuid/setgid/sticky letters. */
export function formatMode(type: EntryType, mode: number): string {
  const bits = ['r', 'w', 'x'];
  let out = TYPE_LETTERS[type];
  for (let shift = 6; shift >= 0; shift -= 3) {
    for (let bit = 0; bit < 3; bit++) {
      out += mode & (1 << (shift + 2 - bit)) ? bits[bit] : '-';
    }
  }
  const chars = out.split('');
  const special = (index: number, flag: number, set: string, setNoExec: string): void => {
    if (mode & flag) chars[index] = chars[index] === 'x' ? set : setNoExec;
  };
  special(3, 0o4000, 's', 'S');
  special(6, 0o2000, 's', 'S');
  special(9, 0o1000, 't', 'T');
  return chars.join('');
}

export function formatOwner(uid: number, gid: number): string {
  return `${uid}:${gid}`;
}

/** "0.4s", "12s", "3m05s". */
export function formatDuration(ms: number): string {
  if (ms < 10_000) return `${(ms / 1000).toFixed(1)}s`;
  const seconds = Math.floor(ms / 1000);
  if (seconds < 60) return `${seconds}s`;
  return `${Math.floor(seconds / 60)}m${String(seconds % 60).padStart(2, '0')}s`;
}

/** Cuts text to `width` columns with an ellipsis. Width counts UTF-16 units, enough for our ASCII-heavy rows. */
export function truncate(text: string, width: number): string {
  if (width <= 0) return '';
  if (text.length <= width) return text;
  if (width === 1) return '…';
  return `${text.slice(0, width - 1)}…`;
}

/** Pads or cuts to exactly `width` columns. */
export function fit(text: string, width: number): string {
  const cut = truncate(text, width);
  return cut.length < width ? cut + ' '.repeat(width - cut.length) : cut;
}

/** Text on the left, text on the right, space between; the left side gives way first. */
export function spread(left: string, right: string, width: number): string {
  if (right === '') return fit(left, width);
  if (right.length + 1 >= width) return fit(right, width);
  return fit(left, width - right.length - 1) + ' ' + right;
}

/** Word-wraps text to `width` columns; words longer than a line are cut. */
export function wrapText(text: string, width: number): string[] {
  if (width <= 0) return [''];
  if (text.length <= width) return [text];
  const indent = /^\s*/.exec(text)![0];
  const words = text.trim().split(/\s+/);
  const lines: string[] = [];
  let line = indent;
  for (const word of words) {
    const candidate = line.trim() === '' ? indent + word : `${line} ${word}`;
    if (candidate.length <= width) {
      line = candidate;
      continue;
    }
    if (line.trim() !== '') lines.push(line);
    line = (indent + word).slice(0, width);
  }
  if (line.trim() !== '') lines.push(line);
  return lines;
}
