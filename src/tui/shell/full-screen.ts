/**
 * The full-screen hand-off: the shell's pty gets the whole terminal, for vim
 * or top. The caller has unmounted Ink; here the screen is repainted from the
 * headless buffer (so what the pane showed is there at once), then raw keys
 * go to the pty and its output to the terminal, until the leave key or the
 * shell's exit. The pty follows the terminal's size meanwhile; the caller
 * resizes it back to the pane before it draws the workbench again.
 *
 * The terminal stays raw when this ends: the workbench takes it back raw. In
 * cooked mode, a reply the shell asked the terminal for (busybox ash asks
 * where the cursor is, ESC[6n) that arrives just after the leave key is
 * echoed onto the screen, which scrolled the redrawn workbench by a line. A
 * caller that does not draw again restores cooked mode itself.
 */
import type { PaneShell } from './pane-shell.js';
import { ShellScreen } from './shell-screen.js';
import { splitAtLeaveKey } from './pane-shell.js';

export interface HandOffOptions {
  stdin: NodeJS.ReadStream;
  stdout: NodeJS.WriteStream;
  shell: PaneShell;
  /** The bytes that give the terminal back (ctrl+] is \x1d). */
  leaveKey: string;
  /** Resolves when the shell exits (the hand-off ends then too). */
  exited: Promise<unknown>;
}

/** How the hand-off ended. */
export type HandOffEnd = 'left' | 'exited';

const ENTER_ALTERNATE_SCREEN = '\x1b[?1049h';
const LEAVE_ALTERNATE_SCREEN = '\x1b[?1049l';

export async function handOffTerminal(options: HandOffOptions): Promise<HandOffEnd> {
  const { stdin, stdout, shell } = options;
  const size = (): [number, number] => [stdout.columns ?? 80, stdout.rows ?? 24];
  // Output that comes while the repaint is prepared is held, then written after it.
  let held: string[] | undefined = [];
  const offOutput = shell.onOutput((data) => {
    if (held) held.push(data);
    else stdout.write(data);
  });
  shell.resize(...size());
  await shell.screen.flush();
  stdout.write(ENTER_ALTERNATE_SCREEN + shell.screen.repaintSequence() + held.join(''));
  held = undefined;

  return new Promise<HandOffEnd>((resolve) => {
    let done = false;
    const onResize = (): void => shell.resize(...size());
    const onInput = (chunk: Buffer | string): void => {
      const data = typeof chunk === 'string' ? chunk : chunk.toString('utf8');
      const { toShell, left } = splitAtLeaveKey(data, options.leaveKey);
      if (toShell) shell.write(toShell);
      if (left) finish('left');
    };
    const finish = (end: HandOffEnd): void => {
      if (done) return;
      done = true;
      offOutput();
      stdin.off('data', onInput);
      stdout.off('resize', onResize);
      stdin.pause();
      stdout.write(ShellScreen.resetSequence() + LEAVE_ALTERNATE_SCREEN);
      resolve(end);
    };
    stdout.on('resize', onResize);
    if (stdin.isTTY) stdin.setRawMode(true);
    stdin.on('data', onInput);
    stdin.resume();
    void options.exited.then(() => finish('exited'));
  });
}
