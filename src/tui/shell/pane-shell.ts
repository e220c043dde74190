/**
 * One shell opened from the workbench: the engine's shell process on its
 * pty, and the headless screen the pane draws. Output goes into the screen
 * (and, while the shell has the whole terminal, to the real one too); the
 * screen's replies go back to the pty; pane and pty are resized together.
 * When the shell exits, what it changed and what was typed are read once,
 * for the review (keep as a step, or discard).
 */
import type { SessionApi, ShellProcess, ShellTarget } from '../../engine/session-types.js';
import type { ChangeEntry } from '../../layers/types.js';
import { ShellScreen } from './shell-screen.js';

export interface ShellOutcome {
  exitCode: number;
  changes: ChangeEntry[];
  /** The lines typed, oldest first (exit left out). */
  commands: string[];
}

export class NoShellSupportError extends Error {
  readonly isUserError = true;
  readonly exitCode = 2;
  constructor() {
    super('this build session cannot open shells (SessionApi.openShell is missing)');
    this.name = 'NoShellSupportError';
  }
}

export class PaneShell {
  readonly screen: ShellScreen;
  /** Resolves with the exit code when the shell process ends. */
  readonly exited: Promise<number>;
  /** Resolves once the shell exited and its changes and commands are read. */
  readonly finished: Promise<ShellOutcome>;
  private outcomeValue: ShellOutcome | undefined;
  private readonly outputListeners = new Set<(data: string) => void>();
  private closed = false;
  private hasExited = false;

  private constructor(
    readonly process: ShellProcess,
    readonly target: ShellTarget,
    screen: ShellScreen,
  ) {
    this.screen = screen;
    process.onData((data) => {
      screen.write(data);
      for (const listener of this.outputListeners) listener(data);
    });
    // Cursor position reports and the like: the program waits for them.
    screen.onReply((data) => {
      if (!this.closed && !this.hasExited) process.write(data);
    });
    this.exited = new Promise<number>((resolve) => process.onExit(resolve));
    // Keys typed between the exit and the review have no pty to go to.
    void this.exited.then(() => (this.hasExited = true));
    this.finished = this.exited.then(async (exitCode) => {
      const [changes, commands] = await Promise.all([
        process.changes().catch(() => [] as ChangeEntry[]),
        process.commands().catch(() => [] as string[]),
      ]);
      this.outcomeValue = { exitCode, changes, commands };
      return this.outcomeValue;
    });
  }

  /** Opens a shell at `target` whose pty is `cols` x `rows`. Throws the engine's errors (NoShellError...). */
  static async open(session: SessionApi, target: ShellTarget, size: { cols: number; rows: number }, options: { banner?: string[] } = {}): Promise<PaneShell> {
    if (!session.openShell) throw new NoShellSupportError();
    const screen = new ShellScreen(size);
    // Lines of ours above the shell's first prompt, dimmed: they are the workbench's, not the shell's.
    for (const line of options.banner ?? []) screen.write(`\x1b[2m${line}\x1b[0m\r\n`);
    try {
      const process = await session.openShell(target, size);
      return new PaneShell(process, target, screen);
    } catch (err) {
      screen.dispose();
      throw err;
    }
  }

  get shellPath(): string {
    return this.process.shellPath;
  }

  /** Set once the shell exited and its outcome is read. */
  get outcome(): ShellOutcome | undefined {
    return this.outcomeValue;
  }

  /** Keys for the shell, as the terminal sends them. */
  write(data: string): void {
    if (!this.closed && !this.hasExited) this.process.write(data);
  }

  /** The pane or the terminal changed size: the screen and the pty follow together. */
  resize(cols: number, rows: number): void {
    if (this.closed) return;
    const c = Math.max(2, cols);
    const r = Math.max(1, rows);
    if (c === this.screen.cols && r === this.screen.rows) return;
    this.screen.resize(c, r);
    if (!this.hasExited) this.process.resize(c, r);
  }

  /** Raw pty output as it arrives (the full-screen hand-off copies it to the real terminal). */
  onOutput(listener: (data: string) => void): () => void {
    this.outputListeners.add(listener);
    return () => this.outputListeners.delete(listener);
  }

  /** Keeps the changes as a new step after the shell's step; resolves with its index. */
  async keep(runLine: string): Promise<number> {
    const index = await this.process.keep(runLine);
    this.close();
    return index;
  }

  /** Kills the shell if it runs and throws its changes away. */
  async discard(): Promise<void> {
    this.closed = true;
    this.outputListeners.clear();
    try {
      await this.process.discard();
    } finally {
      this.screen.dispose();
    }
  }

  private close(): void {
    this.closed = true;
    this.outputListeners.clear();
    this.screen.dispose();
  }
}

/**
 * What a shell before a failed RUN shows first: the command, and how to run
 * it again (busybox ash keeps no history, so the up arrow may not have it).
 */
export function failedCommandBanner(command: string): string[] {
  return [`# The step failed running: ${command}`, '# Run it again with: eval "$LAYERLAB_FAILED_COMMAND"'];
}

/** The RUN line a kept shell becomes: the commands typed, joined with &&. */
export function runLineFor(commands: readonly string[]): string {
  const lines = commands.map((c) => c.trim()).filter((c) => c !== '');
  return `RUN ${lines.length > 0 ? lines.join(' && ') : ':'}`;
}

/** A line the user edited: "RUN " is added when they left it out. */
export function normaliseRunLine(line: string): string {
  const trimmed = line.trim();
  if (trimmed === '') return 'RUN :';
  return /^RUN(\s|$)/i.test(trimmed) ? trimmed : `RUN ${trimmed}`;
}

/**
 * Splits keys typed while the shell has focus at the leave key: what comes
 * before it is the shell's, what comes after is the workbench's. A burst of
 * typed characters arrives as one chunk, so the key is searched in it.
 */
export function splitAtLeaveKey(data: string, leaveKey: string): { toShell: string; left: boolean; rest: string } {
  const at = data.indexOf(leaveKey);
  if (at < 0) return { toShell: data, left: false, rest: '' };
  return { toShell: data.slice(0, at), left: true, rest: data.slice(at + leaveKey.length) };
}
