/**
 * The shell pane's drawing: a real @xterm/headless screen fed with what a
 * shell writes (colours, attributes, cursor moves, queries), read back as
 * styled rows, drawn by the pane through ink-testing-library, and repainted
 * as ANSI for the full-screen hand-off.
 */
import { render } from 'ink-testing-library';
import xterm from '@xterm/headless';
// Ink's own chalk (a dependency of ink): off without a colour terminal, on here to see the inverted cursor.
import chalk from 'chalk';
import { afterEach, describe, expect, it } from 'vitest';
import { ShellPane } from '../../src/tui/components/ShellPane.js';
import { ShellScreen } from '../../src/tui/shell/shell-screen.js';
import { createTheme, ThemeContext } from '../../src/tui/theme.js';

const { Terminal } = xterm;
const plain = (text: string): string => text.replace(/\x1b\[[\d;]*m/g, '');
const screens: ShellScreen[] = [];
afterEach(() => {
  for (const screen of screens.splice(0)) screen.dispose();
});

async function screenWith(data: string, cols = 30, rows = 4): Promise<ShellScreen> {
  const screen = new ShellScreen({ cols, rows, redrawMs: 1 });
  screens.push(screen);
  screen.write(data);
  await screen.flush();
  return screen;
}

describe('ShellScreen', () => {
  it('reads rows back as runs of equal style, with the cursor as an inverted cell', async () => {
    const screen = await screenWith('\x1b[1;31mred\x1b[0m plain \x1b[38;5;200mpink\x1b[0m\r\n\x1b[44m on blue \x1b[0m\r\n$ ');
    const rows = screen.screenRows();
    expect(rows[0]).toEqual([
      { text: 'red', fg: 'red', bold: true },
      { text: ' plain ' },
      { text: 'pink', fg: 'ansi256(200)' },
    ]);
    expect(rows[1]).toEqual([{ text: ' on blue ', bg: 'blue' }]);
    // The cursor sits after "$ ": a blank cell drawn inverted.
    expect(rows[2]).toEqual([{ text: '$ ' }, { text: ' ', inverse: true }]);
    expect(rows[3]).toEqual([]);
    expect(screen.screenRows({ cursor: false })[2]).toEqual([{ text: '$' }]);
  });

  it('hides the cursor when the program asks (DECTCEM) and keeps RGB colours', async () => {
    const screen = await screenWith('\x1b[38;2;1;2;3mrgb\x1b[0m\x1b[?25l');
    expect(screen.screenRows()[0]).toEqual([{ text: 'rgb', fg: '#010203' }]);
    screen.write('\x1b[?25h');
    await screen.flush();
    expect(screen.screenRows()[0]).toEqual([{ text: 'rgb', fg: '#010203' }, { text: ' ', inverse: true }]);
  });

  it('answers a cursor position query through onReply, for the pty', async () => {
    const screen = await screenWith('ab');
    const replies: string[] = [];
    screen.onReply((data) => replies.push(data));
    screen.write('\x1b[6n');
    await screen.flush();
    expect(replies).toEqual(['\x1b[1;3R']);
  });

  it('announces redraws at most once a frame', async () => {
    const screen = new ShellScreen({ cols: 20, rows: 3, redrawMs: 30 });
    screens.push(screen);
    let redraws = 0;
    screen.subscribe(() => redraws++);
    for (let i = 0; i < 50; i++) screen.write(`line ${i}\r\n`);
    await screen.flush();
    await new Promise((resolve) => setTimeout(resolve, 80));
    expect(redraws).toBeGreaterThanOrEqual(1);
    expect(redraws).toBeLessThanOrEqual(3);
    expect(screen.textLines()).toEqual(['line 48', 'line 49', '']);
  });

  it('repaints a real terminal to look the same (the full-screen hand-off)', async () => {
    const screen = await screenWith('\x1b[1;32mok\x1b[0m done\r\nvim\x1b[?1h\x1b[2;2H', 20, 3);
    const other = new Terminal({ cols: 20, rows: 3, allowProposedApi: true });
    try {
      await new Promise<void>((resolve) => other.write(screen.repaintSequence(), resolve));
      const text = (y: number) => other.buffer.active.getLine(y)!.translateToString(true);
      expect([text(0), text(1), text(2)]).toEqual(['ok done', 'vim', '']);
      const cell = other.buffer.active.getLine(0)!.getCell(0)!;
      expect(cell.isBold()).toBeTruthy();
      expect(cell.getFgColor()).toBe(2);
      expect(other.modes.applicationCursorKeysMode).toBe(true);
      expect([other.buffer.active.cursorX, other.buffer.active.cursorY]).toEqual([1, 1]);
    } finally {
      other.dispose();
    }
  });

  it('resizes with the pane', async () => {
    const screen = await screenWith('x', 10, 2);
    screen.resize(40, 6);
    expect([screen.cols, screen.rows]).toEqual([40, 6]);
    expect(screen.screenRows()).toHaveLength(6);
  });
});

describe('ShellPane', () => {
  it('draws the screen\'s rows inside the pane, and the cursor only with focus', async () => {
    const level = chalk.level;
    chalk.level = 1;
    const screen = await screenWith('/ # echo $((6*7))\r\n42\r\n/ # ', 38, 4);
    const view = render(
      <ThemeContext.Provider value={createTheme(false)}>
        <ShellPane screen={screen} title="shell /bin/sh · after step 3" rightTitle="^] leaves" width={40} height={6} focused />
      </ThemeContext.Provider>,
    );
    try {
      const raw = (view.lastFrame() ?? '').split('\n');
      const lines = raw.map(plain);
      expect(lines[0]).toMatch(/^┏━ shell \/bin\/sh · after .* \^\] leaves ━┓$/);
      expect(lines[1]).toBe('┃/ # echo $((6*7))                     ┃');
      expect(lines[2]).toBe('┃42                                    ┃');
      // The cursor cell is drawn inverted (SGR 7) after the prompt.
      expect(raw[3]).toMatch(/\/ # \x1b\[7m \x1b\[27m/);
      expect(lines[3]).toBe(`┃/ #${' '.repeat(35)}┃`);
      expect(lines).toHaveLength(6);

      // New output shows after the screen's next redraw.
      screen.write('ls\r\nbin  etc\r\n/ # ');
      await screen.flush();
      await new Promise((resolve) => setTimeout(resolve, 50));
      const after = (view.lastFrame() ?? '').split('\n').map(plain);
      expect(after[1]).toContain('42');
      expect(after[2]).toContain('/ # ls');
      expect(after[3]).toContain('bin  etc');
      view.rerender(
        <ThemeContext.Provider value={createTheme(false)}>
          <ShellPane screen={screen} title="shell" rightTitle="s types here" width={40} height={6} focused={false} />
        </ThemeContext.Provider>,
      );
      expect(view.lastFrame()).not.toContain('\x1b[7m');
    } finally {
      view.unmount();
      chalk.level = level;
    }
  });

  it('drops the colours with NO_COLOR, and says so while the shell opens', async () => {
    const screen = await screenWith('\x1b[31mred\x1b[0m', 38, 2);
    const view = render(
      <ThemeContext.Provider value={createTheme(true)}>
        <ShellPane screen={screen} title="shell" rightTitle="" width={40} height={4} focused={false} />
      </ThemeContext.Provider>,
    );
    const opening = render(
      <ThemeContext.Provider value={createTheme(true)}>
        <ShellPane screen={undefined} title="shell: opening…" rightTitle="" width={40} height={4} focused={false} />
      </ThemeContext.Provider>,
    );
    try {
      expect(view.lastFrame()).toContain('│red');
      expect(view.lastFrame()).not.toContain('\x1b[31m');
      expect(opening.lastFrame()).toContain('starting the container…');
    } finally {
      view.unmount();
      opening.unmount();
    }
  });
});

describe('the full-screen hand-off', () => {
  it('gives the terminal back raw, so a late reply to the shell is not echoed onto the workbench', async () => {
    const { EventEmitter } = await import('node:events');
    const { handOffTerminal } = await import('../../src/tui/shell/full-screen.js');
    const screen = await screenWith('/ # ', 20, 3);
    const rawModes: boolean[] = [];
    const stdin = Object.assign(new EventEmitter(), {
      isTTY: true,
      isRaw: false,
      setRawMode(mode: boolean) {
        rawModes.push(mode);
        this.isRaw = mode;
        return this;
      },
      pause() {},
      resume() {},
    });
    let written = '';
    const stdout = Object.assign(new EventEmitter(), { columns: 20, rows: 3, write: (data: string) => ((written += data), true) });
    const toShell: string[] = [];
    const shell = { screen, onOutput: () => () => undefined, resize: () => undefined, write: (data: string) => toShell.push(data) };
    const ended = handOffTerminal({
      stdin: stdin as unknown as NodeJS.ReadStream,
      stdout: stdout as unknown as NodeJS.WriteStream,
      shell: shell as never,
      leaveKey: '\x1d',
      exited: new Promise(() => undefined),
    });
    while (stdin.listenerCount('data') === 0) await new Promise((resolve) => setTimeout(resolve, 1));
    stdin.emit('data', 'ls\r');
    stdin.emit('data', '\x1d');
    expect(await ended).toBe('left');
    expect(toShell).toEqual(['ls\r']);
    expect(rawModes).toEqual([true]);
    expect(stdin.isRaw).toBe(true);
    expect(written).toContain('\x1b[?1049l');
  });
});
