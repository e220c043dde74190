/**
 * A unified diff of one file's two versions, for the file view: Myers'
 * algorithm (linear space, by bisecting on the middle snake) over lines, three
 * lines of context, hunk headers as `diff -u` prints them. Binary files and
 * very large files are reported as such instead of diffed.
 */

export interface DiffLine {
  op: ' ' | '-' | '+';
  text: string;
  /** The line had no newline after it (the last line of its file). */
  noNewline?: boolean;
}

export interface Hunk {
  /** 1-based; 0 when the range is empty, as diff -u prints it. */
  oldStart: number;
  oldLines: number;
  newStart: number;
  newLines: number;
  lines: DiffLine[];
}

export type FileDiff =
  | { kind: 'identical' }
  | { kind: 'text'; hunks: Hunk[]; added: number; removed: number; unified: string }
  | { kind: 'binary'; oldSize: number; newSize: number }
  | { kind: 'too-large'; oldSize: number; newSize: number; limit: number };

export interface TextDiffOptions {
  /** Lines of context around each change; 3 like diff -u. */
  context?: number;
  /** Refuse files bigger than this many bytes (either side). 8 MiB by default. */
  maxBytes?: number;
  /** Names for the ---/+++ lines. */
  oldName?: string;
  newName?: string;
}

const DEFAULT_MAX_BYTES = 8 * 1024 * 1024;
/** git looks for a NUL byte in the first 8000 bytes; so do we. */
const BINARY_SNIFF_BYTES = 8000;

export function looksBinary(data: Buffer): boolean {
  return data.subarray(0, BINARY_SNIFF_BYTES).includes(0);
}

interface SplitText {
  lines: string[];
  /** The last line has no newline after it. */
  noFinalNewline: boolean;
}

function splitLines(text: string): SplitText {
  if (text === '') return { lines: [], noFinalNewline: false };
  const lines = text.split('\n');
  const noFinalNewline = lines[lines.length - 1] !== '';
  if (!noFinalNewline) lines.pop();
  return { lines, noFinalNewline };
}

type Op = { op: ' ' | '-' | '+'; oldIndex: number; newIndex: number };

/**
 * Myers costs O((N+M)·D): two unrelated 100k-line files would take minutes.
 * Past this many diagonal steps the search gives up on the remaining ranges
 * and replaces them whole; the diff stays correct, only less minimal.
 */
const DEFAULT_SEARCH_BUDGET = 20_000_000;

interface SearchBudget {
  remaining: number;
}

/** Myers diff of two token arrays, as a list of keep/delete/insert operations. */
export function diffTokens(a: ArrayLike<number>, b: ArrayLike<number>, searchBudget = DEFAULT_SEARCH_BUDGET): Op[] {
  const ops: Op[] = [];
  diffRange(a, 0, a.length, b, 0, b.length, ops, { remaining: searchBudget });
  return ops;
}

function diffRange(
  a: ArrayLike<number>,
  aLo: number,
  aHi: number,
  b: ArrayLike<number>,
  bLo: number,
  bHi: number,
  ops: Op[],
  budget: SearchBudget,
): void {
  // Common prefix and suffix cost nothing to find and shrink the search a lot.
  let prefixEnd = 0;
  while (aLo + prefixEnd < aHi && bLo + prefixEnd < bHi && a[aLo + prefixEnd] === b[bLo + prefixEnd]) prefixEnd++;
  for (let i = 0; i < prefixEnd; i++) ops.push({ op: ' ', oldIndex: aLo + i, newIndex: bLo + i });
  aLo += prefixEnd;
  bLo += prefixEnd;
  let suffix = 0;
  while (aHi - suffix > aLo && bHi - suffix > bLo && a[aHi - suffix - 1] === b[bHi - suffix - 1]) suffix++;
  const suffixOps: Op[] = [];
  for (let i = suffix; i > 0; i--) suffixOps.push({ op: ' ', oldIndex: aHi - i, newIndex: bHi - i });
  aHi -= suffix;
  bHi -= suffix;

  if (aLo === aHi) {
    for (let j = bLo; j < bHi; j++) ops.push({ op: '+', oldIndex: aLo, newIndex: j });
  } else if (bLo === bHi) {
    for (let i = aLo; i < aHi; i++) ops.push({ op: '-', oldIndex: i, newIndex: bLo });
  } else {
    const split = budget.remaining > 0 ? middleSnake(a, aLo, aHi, b, bLo, bHi, budget) : undefined;
    if (split) {
      diffRange(a, aLo, split.x, b, bLo, split.y, ops, budget);
      diffRange(a, split.x, aHi, b, split.y, bHi, ops, budget);
    } else {
      for (let i = aLo; i < aHi; i++) ops.push({ op: '-', oldIndex: i, newIndex: bLo });
      for (let j = bLo; j < bHi; j++) ops.push({ op: '+', oldIndex: aHi, newIndex: j });
    }
  }
  for (const op of suffixOps) ops.push(op);
}

/**
 * Finds where the forward and backward searches meet (Myers 1986, section
 * 4b). Returns the split point, or undefined when the ranges share nothing
 * or the search budget ran out.
 */
function middleSnake(
  a: ArrayLike<number>,
  aLo: number,
  aHi: number,
  b: ArrayLike<number>,
  bLo: number,
  bHi: number,
  budget: SearchBudget,
): { x: number; y: number } | undefined {
  const n = aHi - aLo;
  const m = bHi - bLo;
  const maxD = Math.ceil((n + m) / 2);
  const offset = maxD;
  const size = 2 * maxD + 2;
  const forward = new Int32Array(size).fill(-1);
  const backward = new Int32Array(size).fill(-1);
  forward[offset + 1] = 0;
  backward[offset + 1] = 0;
  const delta = n - m;
  const deltaOdd = (delta & 1) !== 0;
  let kForwardStart = 0;
  let kForwardEnd = 0;
  let kBackwardStart = 0;
  let kBackwardEnd = 0;
  for (let d = 0; d < maxD; d++) {
    budget.remaining -= 2 * d + 2;
    if (budget.remaining <= 0) return undefined;
    for (let k = -d + kForwardStart; k <= d - kForwardEnd; k += 2) {
      const kIndex = offset + k;
      let x = k === -d || (k !== d && forward[kIndex - 1]! < forward[kIndex + 1]!) ? forward[kIndex + 1]! : forward[kIndex - 1]! + 1;
      let y = x - k;
      while (x < n && y < m && a[aLo + x] === b[bLo + y]) {
        x++;
        y++;
      }
      forward[kIndex] = x;
      if (x > n) kForwardEnd += 2;
      else if (y > m) kForwardStart += 2;
      else if (deltaOdd) {
        const other = offset + delta - k;
        if (other >= 0 && other < size && backward[other] !== -1 && x >= n - backward[other]!) {
          return { x: aLo + x, y: bLo + y };
        }
      }
    }
    for (let k = -d + kBackwardStart; k <= d - kBackwardEnd; k += 2) {
      const kIndex = offset + k;
      let x =
        k === -d || (k !== d && backward[kIndex - 1]! < backward[kIndex + 1]!) ? backward[kIndex + 1]! : backward[kIndex - 1]! + 1;
      let y = x - k;
      while (x < n && y < m && a[aHi - x - 1] === b[bHi - y - 1]) {
        x++;
        y++;
      }
      backward[kIndex] = x;
      if (x > n) kBackwardEnd += 2;
      else if (y > m) kBackwardStart += 2;
      else if (!deltaOdd) {
        const other = offset + delta - k;
        if (other >= 0 && other < size && forward[other] !== -1) {
          const forwardX = forward[other]!;
          const forwardY = forwardX - (other - offset);
          if (forwardX >= n - x) return { x: aLo + forwardX, y: bLo + forwardY };
        }
      }
    }
  }
  return undefined;
}

function hunkRange(start: number, count: number): string {
  return count === 1 ? `${start}` : `${start},${count}`;
}

/** Groups operations into hunks with `context` lines around each change. */
function buildHunks(ops: Op[], oldText: SplitText, newText: SplitText, context: number): Hunk[] {
  const hunks: Hunk[] = [];
  const changeAt: number[] = [];
  ops.forEach((op, i) => {
    if (op.op !== ' ') changeAt.push(i);
  });
  let c = 0;
  while (c < changeAt.length) {
    const first = changeAt[c]!;
    let last = first;
    // Changes closer than 2×context apart share a hunk.
    while (c + 1 < changeAt.length && changeAt[c + 1]! - last <= 2 * context + 1) last = changeAt[++c]!;
    c++;
    const from = Math.max(0, first - context);
    const to = Math.min(ops.length - 1, last + context);
    const lines: DiffLine[] = [];
    let oldLines = 0;
    let newLines = 0;
    for (let i = from; i <= to; i++) {
      const op = ops[i]!;
      const fromOld = op.op !== '+';
      const index = fromOld ? op.oldIndex : op.newIndex;
      const side = fromOld ? oldText : newText;
      const line: DiffLine = { op: op.op, text: side.lines[index]! };
      if (side.noFinalNewline && index === side.lines.length - 1) line.noNewline = true;
      lines.push(line);
      if (op.op !== '+') oldLines++;
      if (op.op !== '-') newLines++;
    }
    const head = ops[from]!;
    hunks.push({
      oldStart: oldLines === 0 ? head.oldIndex : head.oldIndex + 1,
      oldLines,
      newStart: newLines === 0 ? head.newIndex : head.newIndex + 1,
      newLines,
      lines,
    });
  }
  return hunks;
}

function renderUnified(hunks: Hunk[], oldName: string, newName: string): string {
  const out = [`--- ${oldName}`, `+++ ${newName}`];
  for (const hunk of hunks) {
    out.push(`@@ -${hunkRange(hunk.oldStart, hunk.oldLines)} +${hunkRange(hunk.newStart, hunk.newLines)} @@`);
    for (const line of hunk.lines) {
      out.push(`${line.op}${line.text}`);
      if (line.noNewline) out.push('\\ No newline at end of file');
    }
  }
  return `${out.join('\n')}\n`;
}

function toBuffer(value: string | Buffer | undefined): Buffer {
  if (value === undefined) return Buffer.alloc(0);
  return typeof value === 'string' ? Buffer.from(value, 'utf8') : value;
}

/**
 * Diffs two versions of a file. `undefined` stands for "no such file" (a new
 * or deleted file), which diffs against empty text under /dev/null.
 */
export function diffFile(
  oldContent: string | Buffer | undefined,
  newContent: string | Buffer | undefined,
  options: TextDiffOptions = {},
): FileDiff {
  const oldBytes = toBuffer(oldContent);
  const newBytes = toBuffer(newContent);
  const limit = options.maxBytes ?? DEFAULT_MAX_BYTES;
  if (oldBytes.length > limit || newBytes.length > limit) {
    return { kind: 'too-large', oldSize: oldBytes.length, newSize: newBytes.length, limit };
  }
  if (oldContent !== undefined && newContent !== undefined && oldBytes.equals(newBytes)) return { kind: 'identical' };
  if (looksBinary(oldBytes) || looksBinary(newBytes)) {
    return { kind: 'binary', oldSize: oldBytes.length, newSize: newBytes.length };
  }
  const oldText = splitLines(oldBytes.toString('utf8'));
  const newText = splitLines(newBytes.toString('utf8'));

  // Lines become numbers, so the search compares integers. The last line
  // without a newline is a different line from the same text with one.
  const ids = new Map<string, number>();
  const tokenize = (text: SplitText): Int32Array => {
    const tokens = new Int32Array(text.lines.length);
    text.lines.forEach((line, i) => {
      const key = text.noFinalNewline && i === text.lines.length - 1 ? `${line}\u0000` : line;
      let id = ids.get(key);
      if (id === undefined) ids.set(key, (id = ids.size));
      tokens[i] = id;
    });
    return tokens;
  };
  const ops = diffTokens(tokenize(oldText), tokenize(newText));
  const hunks = buildHunks(ops, oldText, newText, options.context ?? 3);
  let added = 0;
  let removed = 0;
  for (const op of ops) {
    if (op.op === '+') added++;
    else if (op.op === '-') removed++;
  }
  const oldName = oldContent === undefined ? '/dev/null' : (options.oldName ?? 'a');
  const newName = newContent === undefined ? '/dev/null' : (options.newName ?? 'b');
  return { kind: 'text', hunks, added, removed, unified: renderUnified(hunks, oldName, newName) };
}
