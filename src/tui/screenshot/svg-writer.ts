/**
 * An SVG of a headless terminal's screen: colours (16, 256 and RGB), inverse,
 * bold, and box-drawing characters, one <text> run per span of equal style.
 * No dependency; rsvg-convert turns it into a PNG.
 */
import type xterm from '@xterm/headless';

type HeadlessTerminal = InstanceType<typeof xterm.Terminal>;

/** The VS Code dark palette for the 16 ANSI colours, readable on the dark background. */
const ANSI16 = [
  '#000000', '#cd3131', '#0dbc79', '#e5e510', '#2472c8', '#bc3fbc', '#11a8cd', '#e5e5e5',
  '#666666', '#f14c4c', '#23d18b', '#f5f543', '#3b8eea', '#d670d6', '#29b8db', '#ffffff',
];
const DEFAULT_FG = '#d4d4d4';
const DEFAULT_BG = '#1e1e1e';
const CELL_WIDTH = 8.4;
const LINE_HEIGHT = 17;
const FONT_SIZE = 14;
const PADDING = 10;

function color256(index: number): string {
  if (index < 16) return ANSI16[index]!;
  if (index >= 232) {
    const level = 8 + (index - 232) * 10;
    return `rgb(${level},${level},${level})`;
  }
  const n = index - 16;
  const steps = [0, 95, 135, 175, 215, 255];
  return `rgb(${steps[Math.floor(n / 36)]},${steps[Math.floor(n / 6) % 6]},${steps[n % 6]})`;
}

interface CellStyle {
  fg: string;
  bg: string | undefined;
  bold: boolean;
}

function escapeXml(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

export function screenToSvg(term: HeadlessTerminal, title = 'layerlab'): string {
  const buffer = term.buffer.active;
  const cell = buffer.getNullCell();
  const width = Math.ceil(term.cols * CELL_WIDTH + PADDING * 2);
  const height = Math.ceil(term.rows * LINE_HEIGHT + PADDING * 2);
  const parts: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}">`,
    `<title>${escapeXml(title)}</title>`,
    `<rect width="100%" height="100%" fill="${DEFAULT_BG}"/>`,
    `<g font-family="DejaVu Sans Mono, Menlo, Consolas, monospace" font-size="${FONT_SIZE}" xml:space="preserve">`,
  ];
  const colorOf = (mode: 'fg' | 'bg'): string | undefined => {
    const isDefault = mode === 'fg' ? cell.isFgDefault() : cell.isBgDefault();
    if (isDefault) return undefined;
    const value = mode === 'fg' ? cell.getFgColor() : cell.getBgColor();
    const rgb = mode === 'fg' ? cell.isFgRGB() : cell.isBgRGB();
    return rgb ? `#${value.toString(16).padStart(6, '0')}` : color256(value);
  };
  for (let y = 0; y < term.rows; y++) {
    const line = buffer.getLine(buffer.viewportY + y);
    if (!line) continue;
    const baseline = PADDING + y * LINE_HEIGHT + FONT_SIZE - 1;
    let run: { x: number; text: string; style: CellStyle } | undefined;
    const flush = (): void => {
      if (!run) return;
      const x = PADDING + run.x * CELL_WIDTH;
      if (run.style.bg) {
        parts.push(`<rect x="${x.toFixed(1)}" y="${PADDING + y * LINE_HEIGHT}" width="${(run.text.length * CELL_WIDTH).toFixed(1)}" height="${LINE_HEIGHT}" fill="${run.style.bg}"/>`);
      }
      if (run.text.trim() !== '') {
        const weight = run.style.bold ? ' font-weight="bold"' : '';
        parts.push(`<text x="${x.toFixed(1)}" y="${baseline}" fill="${run.style.fg}"${weight} textLength="${(run.text.length * CELL_WIDTH).toFixed(1)}" lengthAdjust="spacingAndGlyphs">${escapeXml(run.text)}</text>`);
      }
      run = undefined;
    };
    for (let x = 0; x < term.cols; x++) {
      line.getCell(x, cell);
      if (cell.getWidth() === 0) continue;
      let fg = colorOf('fg') ?? DEFAULT_FG;
      let bg = colorOf('bg');
      if (cell.isInverse()) [fg, bg] = [bg ?? DEFAULT_BG, fg];
      const style: CellStyle = { fg, bg, bold: cell.isBold() !== 0 };
      const char = cell.getChars() || ' ';
      if (run && run.style.fg === style.fg && run.style.bg === style.bg && run.style.bold === style.bold) run.text += char;
      else {
        flush();
        run = { x, text: char, style };
      }
    }
    flush();
  }
  parts.push('</g>', '</svg>', '');
  return parts.join('\n');
}
