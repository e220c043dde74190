/**
 * The shell pane's screen: the pty's output parsed by @xterm/headless, read
 * back as rows of styled runs for Ink, or as ANSI to repaint a real terminal
 * when the shell takes the whole screen. Redraws are announced at most once a
 * frame (TUI-NOTES.md: unthrottled, a flood of output took 4x longer), and
 * the terminal's own replies (cursor position reports...) go back to the
 * program through onReply, or programs that ask for them hang.
 */
import xterm from '@xterm/headless';

// The package is a CJS bundle: a default import works under Node ESM, a named one does not.
const { Terminal } = xterm;
type HeadlessTerminal = InstanceType<typeof Terminal>;
type Cell = ReturnType<HeadlessTerminal['buffer']['active']['getNullCell']>;

/** A colour as Ink's <Text color> takes it: a name of the 16 ANSI colours, ansi256(n) or #rrggbb. */
export type InkColor = string;

export interface ScreenRun {
  text: string;
  fg?: InkColor;
  bg?: InkColor;
  bold?: boolean;
  dim?: boolean;
  italic?: boolean;
  underline?: boolean;
  strikethrough?: boolean;
  inverse?: boolean;
}

export type ScreenRow = ScreenRun[];

const ANSI_NAMES = [
  'black', 'red', 'green', 'yellow', 'blue', 'magenta', 'cyan', 'white',
  'blackBright', 'redBright', 'greenBright', 'yellowBright', 'blueBright', 'magentaBright', 'cyanBright', 'whiteBright',
];

/** At most one redraw per frame. */
export const REDRAW_MS = 16;

export interface ShellScreenOptions {
  cols: number;
  rows: number;
  scrollback?: number;
  redrawMs?: number;
}

export class ShellScreen {
  readonly term: HeadlessTerminal;
  private cursorVisible = true;
  private versionNumber = 0;
  private rowsCache: { version: number; rows: ScreenRow[] } | undefined;
  private redrawTimer: NodeJS.Timeout | undefined;
  private readonly redrawMs: number;
  private readonly listeners = new Set<() => void>();
  private disposed = false;

  constructor(options: ShellScreenOptions) {
    this.redrawMs = options.redrawMs ?? REDRAW_MS;
    this.term = new Terminal({ cols: options.cols, rows: options.rows, scrollback: options.scrollback ?? 1000, allowProposedApi: true });
    // Cursor visibility (DECTCEM, CSI ? 25 h/l) is not in the public modes: watch for it, and let xterm handle it too.
    const track = (visible: boolean) => (params: (number | number[])[]): boolean => {
      if (params.includes(25)) this.cursorVisible = visible;
      return false;
    };
    this.term.parser.registerCsiHandler({ prefix: '?', final: 'h' }, track(true));
    this.term.parser.registerCsiHandler({ prefix: '?', final: 'l' }, track(false));
    this.term.onWriteParsed(() => this.scheduleRedraw());
  }

  get cols(): number {
    return this.term.cols;
  }

  get rows(): number {
    return this.term.rows;
  }

  /** Changes whenever the screen may look different; for useSyncExternalStore. */
  version = (): number => this.versionNumber;

  subscribe = (listener: () => void): (() => void) => {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  };

  /** Output of the pty. */
  write(data: string): void {
    if (!this.disposed) this.term.write(data);
  }

  /** Resolves once everything written so far is parsed. */
  flush(): Promise<void> {
    return new Promise((resolve) => (this.disposed ? resolve() : this.term.write('', resolve)));
  }

  /** The terminal's answers to the program's queries; they must go back to the pty. */
  onReply(listener: (data: string) => void): void {
    this.term.onData(listener);
  }

  resize(cols: number, rows: number): void {
    if (this.disposed || (cols === this.term.cols && rows === this.term.rows)) return;
    this.term.resize(Math.max(2, cols), Math.max(1, rows));
    this.changed();
  }

  private scheduleRedraw(): void {
    this.redrawTimer ??= setTimeout(() => {
      this.redrawTimer = undefined;
      this.changed();
    }, this.redrawMs);
  }

  private changed(): void {
    this.versionNumber++;
    for (const listener of this.listeners) listener();
  }

  /** The visible rows as styled runs, the cursor as an inverted cell. */
  screenRows(options: { cursor?: boolean } = {}): ScreenRow[] {
    const showCursor = options.cursor ?? true;
    if (this.rowsCache?.version === this.versionNumber && showCursor) return this.rowsCache.rows;
    const buffer = this.term.buffer.active;
    const cell = buffer.getNullCell();
    const rows: ScreenRow[] = [];
    const cursorRow = showCursor && this.cursorVisible ? buffer.cursorY : -1;
    for (let y = 0; y < this.term.rows; y++) {
      const line = buffer.getLine(buffer.baseY + y);
      const runs: ScreenRow = [];
      if (line) {
        for (let x = 0; x < this.term.cols; x++) {
          line.getCell(x, cell);
          // The second half of a wide character.
          if (cell.getWidth() === 0) continue;
          const style = styleOf(cell);
          if (y === cursorRow && x === buffer.cursorX) style.inverse = !style.inverse;
          appendRun(runs, cell.getChars() || ' ', style);
        }
      }
      rows.push(trimRow(runs));
    }
    if (showCursor) this.rowsCache = { version: this.versionNumber, rows };
    return rows;
  }

  /** The screen as plain text lines (trailing spaces removed), for tests and messages. */
  textLines(): string[] {
    const buffer = this.term.buffer.active;
    const lines: string[] = [];
    for (let y = 0; y < this.term.rows; y++) lines.push(buffer.getLine(buffer.baseY + y)?.translateToString(true) ?? '');
    return lines;
  }

  /**
   * ANSI that paints a real terminal of the same size to look like this
   * screen: every cell with its style, the modes a full-screen program set
   * (cursor keys, keypad, bracketed paste), and the cursor where it is.
   */
  repaintSequence(): string {
    const buffer = this.term.buffer.active;
    const cell = buffer.getNullCell();
    const modes = this.term.modes;
    let out = '\x1b[0m\x1b[H\x1b[2J';
    for (let y = 0; y < this.term.rows; y++) {
      const line = buffer.getLine(buffer.baseY + y);
      if (!line) continue;
      out += `\x1b[${y + 1};1H`;
      let last = '';
      let text = '';
      for (let x = 0; x < this.term.cols; x++) {
        line.getCell(x, cell);
        if (cell.getWidth() === 0) continue;
        const sgr = sgrOf(cell);
        if (sgr !== last) {
          out += text + sgr;
          text = '';
          last = sgr;
        }
        text += cell.getChars() || ' ';
      }
      // Trailing default-styled blanks are what a cleared screen has already.
      out += last === '\x1b[0m' ? text.replace(/ +$/, '') : text;
      out += '\x1b[0m';
    }
    if (modes.applicationCursorKeysMode) out += '\x1b[?1h';
    if (modes.applicationKeypadMode) out += '\x1b=';
    if (modes.bracketedPasteMode) out += '\x1b[?2004h';
    out += `\x1b[${buffer.cursorY + 1};${buffer.cursorX + 1}H`;
    out += this.cursorVisible ? '\x1b[?25h' : '\x1b[?25l';
    return out;
  }

  /** Undoes the modes repaintSequence may have set, before the workbench draws again. */
  static resetSequence(): string {
    return '\x1b[0m\x1b[?1l\x1b>\x1b[?2004l\x1b[?1000l\x1b[?1002l\x1b[?1003l\x1b[?1006l\x1b[?25h';
  }

  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    if (this.redrawTimer) clearTimeout(this.redrawTimer);
    this.redrawTimer = undefined;
    this.listeners.clear();
    this.term.dispose();
  }
}

function colorName(palette: boolean, rgb: boolean, value: number): InkColor | undefined {
  if (rgb) return `#${value.toString(16).padStart(6, '0')}`;
  if (palette) return value < 16 ? ANSI_NAMES[value] : `ansi256(${value})`;
  return undefined;
}

function styleOf(cell: Cell): Omit<ScreenRun, 'text'> {
  const style: Omit<ScreenRun, 'text'> = {};
  const fg = colorName(cell.isFgPalette(), cell.isFgRGB(), cell.getFgColor());
  const bg = colorName(cell.isBgPalette(), cell.isBgRGB(), cell.getBgColor());
  if (fg) style.fg = fg;
  if (bg) style.bg = bg;
  if (cell.isBold()) style.bold = true;
  if (cell.isDim()) style.dim = true;
  if (cell.isItalic()) style.italic = true;
  if (cell.isUnderline()) style.underline = true;
  if (cell.isStrikethrough()) style.strikethrough = true;
  if (cell.isInverse()) style.inverse = true;
  // Invisible text (passwords typed with echo off are not drawn anyway) shows as blanks.
  return style;
}

function sameStyle(a: Omit<ScreenRun, 'text'>, b: Omit<ScreenRun, 'text'>): boolean {
  return (
    a.fg === b.fg &&
    a.bg === b.bg &&
    !a.bold === !b.bold &&
    !a.dim === !b.dim &&
    !a.italic === !b.italic &&
    !a.underline === !b.underline &&
    !a.strikethrough === !b.strikethrough &&
    !a.inverse === !b.inverse
  );
}

function appendRun(runs: ScreenRow, text: string, style: Omit<ScreenRun, 'text'>): void {
  const last = runs.at(-1);
  if (last && sameStyle(last, style)) last.text += text;
  else runs.push({ text, ...style });
}

/** Drops trailing blanks that show nothing (no background, no inverse), so rows stay short. */
function trimRow(runs: ScreenRow): ScreenRow {
  while (runs.length > 0) {
    const last = runs.at(-1)!;
    if (last.bg || last.inverse || last.underline || last.strikethrough) break;
    const trimmed = last.text.replace(/ +$/, '');
    if (trimmed === '') runs.pop();
    else {
      last.text = trimmed;
      break;
    }
  }
  return runs;
}

function sgrOf(cell: Cell): string {
  const codes: number[] = [0];
  if (cell.isBold()) codes.push(1);
  if (cell.isDim()) codes.push(2);
  if (cell.isItalic()) codes.push(3);
  if (cell.isUnderline()) codes.push(4);
  if (cell.isInverse()) codes.push(7);
  if (cell.isInvisible()) codes.push(8);
  if (cell.isStrikethrough()) codes.push(9);
  const color = (palette: boolean, rgb: boolean, value: number, base: number): void => {
    if (rgb) codes.push(base + 8, 2, (value >> 16) & 0xff, (value >> 8) & 0xff, value & 0xff);
    else if (palette && value < 8) codes.push(base + value);
    else if (palette && value < 16) codes.push(base + 60 + value - 8);
    else if (palette) codes.push(base + 8, 5, value);
  };
  color(cell.isFgPalette(), cell.isFgRGB(), cell.getFgColor(), 30);
  color(cell.isBgPalette(), cell.isBgRGB(), cell.getBgColor(), 40);
  return `\x1b[${codes.join(';')}m`;
}
