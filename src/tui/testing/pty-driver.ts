/**
 * Drives the real workbench the way a person does: `node bin/layerlab.js`
 * under a pty at a fixed size, its output parsed by @xterm/headless, keys
 * sent as bytes, and the screen read back as lines. Used by the pty tests,
 * the benchmark (bench/tui.ts) and `npm run screenshots`.
 *
 * Checks wait for a predicate after each parsed chunk and skip the chunks
 * inside a synchronized-output frame, which are half drawn (TUI-NOTES.md).
 */
import { fileURLToPath } from 'node:url';
import pty from '@lydell/node-pty';
import xterm from '@xterm/headless';

// The package is a CJS bundle: a default import works under Node ESM, a named one does not.
const { Terminal } = xterm;
type HeadlessTerminal = InstanceType<typeof Terminal>;

/** bin/layerlab.js, from src/tui/testing or dist/tui/testing alike. */
export const LAYERLAB_BIN = fileURLToPath(new URL('../../../bin/layerlab.js', import.meta.url));

export const KEYS = {
  up: '\x1b[A',
  down: '\x1b[B',
  right: '\x1b[C',
  left: '\x1b[D',
  tab: '\t',
  shiftTab: '\x1b[Z',
  enter: '\r',
  escape: '\x1b',
  ctrlC: '\x03',
  pageDown: '\x1b[6~',
  pageUp: '\x1b[5~',
  backspace: '\x7f',
} as const;

export interface TuiProcessOptions {
  args: string[];
  cols: number;
  rows: number;
  /** Added to the environment (CI is always removed: with it Ink draws nothing until exit). */
  env?: Record<string, string | undefined>;
  cwd?: string;
  /** Defaults to `node bin/layerlab.js`. */
  command?: string;
  commandArgs?: string[];
}

export class ScreenTimeoutError extends Error {
  constructor(description: string, readonly screen: string) {
    super(`timed out waiting for ${description}; the screen was:\n${screen}`);
    this.name = 'ScreenTimeoutError';
  }
}

export interface ExitStatus {
  exitCode: number;
  signal?: number;
}

export class TuiProcess {
  readonly term: HeadlessTerminal;
  readonly process: pty.IPty;
  readonly exited: Promise<ExitStatus>;
  readonly startedAt = performance.now();
  /** performance.now() of the first parsed output that drew something. */
  firstFrameAt: number | undefined;
  private exitStatus: ExitStatus | undefined;
  private output = '';
  private readonly waiters = new Set<() => void>();

  constructor(options: TuiProcessOptions) {
    const env: Record<string, string> = {};
    for (const [key, value] of Object.entries({ ...process.env, TERM: 'xterm-256color', ...options.env })) {
      if (value !== undefined && key !== 'CI') env[key] = value;
    }
    this.term = new Terminal({ cols: options.cols, rows: options.rows, allowProposedApi: true, scrollback: 0 });
    this.process = pty.spawn(options.command ?? process.execPath, options.commandArgs ?? [LAYERLAB_BIN, ...options.args], {
      name: 'xterm-256color',
      cols: options.cols,
      rows: options.rows,
      cwd: options.cwd ?? process.cwd(),
      env,
    });
    this.process.onData((data) => {
      this.output += data;
      if (this.output.length > 1_000_000) this.output = this.output.slice(-500_000);
      this.term.write(data);
    });
    // The terminal's own answers (cursor position reports...) go back to the program.
    this.term.onData((data) => this.process.write(data));
    this.term.onWriteParsed(() => {
      if (this.firstFrameAt === undefined && this.screenText().trim() !== '') this.firstFrameAt = performance.now();
      if (this.term.modes.synchronizedOutputMode) return;
      for (const waiter of [...this.waiters]) waiter();
    });
    this.exited = new Promise((resolve) => {
      this.process.onExit(({ exitCode, signal }) => {
        this.exitStatus = { exitCode, signal };
        for (const waiter of [...this.waiters]) waiter();
        resolve(this.exitStatus);
      });
    });
  }

  get pid(): number {
    return this.process.pid;
  }

  get hasExited(): boolean {
    return this.exitStatus !== undefined;
  }

  /** The screen as lines of text, trailing spaces removed. */
  lines(): string[] {
    const buffer = this.term.buffer.active;
    const lines: string[] = [];
    for (let y = 0; y < this.term.rows; y++) lines.push(buffer.getLine(buffer.viewportY + y)?.translateToString(true) ?? '');
    return lines;
  }

  screenText(): string {
    return this.lines().join('\n');
  }

  /** Everything the program wrote (the last 500k characters at least), escapes included. */
  rawOutput(): string {
    return this.output;
  }

  write(keys: string): void {
    this.process.write(keys);
  }

  resize(cols: number, rows: number): void {
    this.term.resize(cols, rows);
    this.process.resize(cols, rows);
  }

  /**
   * Resolves once `predicate` holds for a fully drawn screen. Rejects with
   * the screen after `timeoutMs`, or when the program exits first.
   */
  waitFor(predicate: (screen: string, lines: string[]) => boolean, description: string, timeoutMs = 15_000): Promise<void> {
    return new Promise((resolve, reject) => {
      const check = (): boolean => {
        if (this.term.modes.synchronizedOutputMode) return false;
        const lines = this.lines();
        if (predicate(lines.join('\n'), lines)) {
          done();
          resolve();
          return true;
        }
        if (this.exitStatus) {
          done();
          reject(new ScreenTimeoutError(`${description} (the program exited with ${this.exitStatus.exitCode} first)`, this.screenText()));
          return true;
        }
        return false;
      };
      const timer = setTimeout(() => {
        done();
        reject(new ScreenTimeoutError(description, this.screenText()));
      }, timeoutMs);
      const waiter = (): void => void check();
      const done = (): void => {
        clearTimeout(timer);
        this.waiters.delete(waiter);
      };
      this.waiters.add(waiter);
      // The terminal may already show it; parse what is buffered first.
      this.term.write('', () => void check());
    });
  }

  /** Waits until the screen contains `text`. */
  waitForText(text: string | RegExp, timeoutMs?: number): Promise<void> {
    const test = typeof text === 'string' ? (s: string) => s.includes(text) : (s: string) => text.test(s);
    return this.waitFor((screen) => test(screen), JSON.stringify(String(text)), timeoutMs);
  }

  /** Kills the program if it still runs, and waits for it. */
  async kill(): Promise<void> {
    if (!this.exitStatus) this.process.kill('SIGKILL');
    await this.exited;
    this.term.dispose();
  }
}
