/**
 * What the workbench bundle adds to Ink 6.8's frame composer (see
 * ink-patches.ts for why and how it is wired in): caches that carry
 * over from one frame to the next, and a quicker way to turn a row of
 * styled cells back into a string.
 *
 * Ink's own caches live for one frame. These look up the previous frame's
 * entries too and keep the ones they use, so the caches hold at most two
 * frames' worth of text. A row whose cells are the very same objects as the
 * previous frame's row at that index reuses its string.
 */

/** As @alcalzone/ansi-tokenize (Ink's tokenizer) has them. */
export interface AnsiCode {
  type: 'ansi';
  code: string;
  endCode: string;
}

export interface StyledChar {
  type: 'char';
  value: string;
  fullWidth: boolean;
  styles: AnsiCode[];
}

/** The two functions of @alcalzone/ansi-tokenize that turn styles into escape codes. */
export interface AnsiCodeFunctions {
  ansiCodesToString(codes: AnsiCode[]): string;
  diffAnsiCodes(from: AnsiCode[], to: AnsiCode[]): AnsiCode[];
}

/** The part of Ink's OutputCaches this extends (ink/build/output.js). */
export interface InkOutputCaches {
  widths: Map<string, number>;
  blockWidths: Map<string, number>;
  styledChars: Map<string, StyledChar[]>;
  getStyledChars(line: string): StyledChar[];
  getStringWidth(text: string): number;
  getWidestLine(text: string): number;
}

export type InkOutputCachesClass = new () => InkOutputCaches;

export interface FrameCaches extends InkOutputCaches {
  /** A row's string: Ink's styledCharsToString(cells).trimEnd(), reused when the cells did not change. */
  rowText(index: number, cells: readonly StyledChar[]): string;
}

/** One empty cell for every empty place on the screen (Ink makes a new one per cell and frame). */
export const BLANK_CELL: StyledChar = Object.freeze({ type: 'char', value: ' ', fullWidth: false, styles: Object.freeze([]) as unknown as AnsiCode[] });

function sameCodes(a: readonly AnsiCode[], b: readonly AnsiCode[]): boolean {
  if (a === b) return true;
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i]!.code !== b[i]!.code) return false;
  return true;
}

/**
 * The same string as ansi-tokenize's styledCharsToString(cells).trimEnd(),
 * without asking for the difference between two equal styles: that built
 * three Sets per character, most of the garbage of a frame.
 */
export function cellsToString(cells: readonly StyledChar[], { ansiCodesToString, diffAnsiCodes }: AnsiCodeFunctions): string {
  let text = '';
  let previous: AnsiCode[] | undefined;
  for (const cell of cells) {
    if (previous === undefined) text += ansiCodesToString(cell.styles);
    else if (!sameCodes(previous, cell.styles)) text += ansiCodesToString(diffAnsiCodes(previous, cell.styles));
    text += cell.value;
    previous = cell.styles;
  }
  if (previous !== undefined) text += ansiCodesToString(diffAnsiCodes(previous, []));
  return text.trimEnd();
}

/**
 * A factory for Ink's Output: each call makes the caches of a new frame,
 * which see the previous frame's and let the one before go.
 */
export function frameCachesFactory(Base: InkOutputCachesClass, codes: AnsiCodeFunctions): () => FrameCaches {
  class CarriedCaches extends Base implements FrameCaches {
    previous: CarriedCaches | undefined;
    private readonly rows: { cells: readonly StyledChar[]; text: string }[] = [];

    constructor(previous: CarriedCaches | undefined) {
      super();
      this.previous = previous;
    }

    private carried<T>(own: Map<string, T>, before: Map<string, T> | undefined, key: string, compute: () => T): T {
      let value = own.get(key);
      if (value !== undefined) return value;
      value = before?.get(key);
      if (value === undefined) return compute();
      own.set(key, value);
      return value;
    }

    override getStyledChars(line: string): StyledChar[] {
      return this.carried(this.styledChars, this.previous?.styledChars, line, () => super.getStyledChars(line));
    }

    override getStringWidth(text: string): number {
      return this.carried(this.widths, this.previous?.widths, text, () => super.getStringWidth(text));
    }

    override getWidestLine(text: string): number {
      return this.carried(this.blockWidths, this.previous?.blockWidths, text, () => super.getWidestLine(text));
    }

    rowText(index: number, cells: readonly StyledChar[]): string {
      const before = this.previous?.rows[index];
      const text = before && before.cells.length === cells.length && before.cells.every((cell, i) => cell === cells[i]) ? before.text : cellsToString(cells, codes);
      this.rows[index] = { cells, text };
      return text;
    }
  }

  let last: CarriedCaches | undefined;
  return () => {
    const caches = new CarriedCaches(last);
    // Two generations at most: the frame before the last one is let go.
    if (last) last.previous = undefined;
    last = caches;
    return caches;
  };
}
