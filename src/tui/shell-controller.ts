/**
 * The shell pane's flow, without React: open a shell at the selected step
 * (asking before/after for a failed RUN), route the keys to it while it has
 * focus, give it the whole terminal and take it back, and when it exits
 * review its changes and keep them as a new step or throw them away. The UI
 * state of it lives in the reducer (ui.shell); this class owns the PaneShell
 * and the asynchronous parts, and tells its host what changed.
 */
import type { SessionApi } from '../engine/session-types.js';
import type { ChangeEntry } from '../layers/types.js';
import { SHELL_LEAVE_KEY } from './key-bindings.js';
import type { Layout } from './layout.js';
import type { ViewLine } from './model/file-view.js';
import { handOffTerminal } from './shell/full-screen.js';
import { failedCommandBanner, normaliseRunLine, PaneShell, runLineFor, splitAtLeaveKey, type ShellOutcome } from './shell/pane-shell.js';
import type { ShellScreen } from './shell/shell-screen.js';
import { shellHasKeys, type ShellState, type UiAction, type UiState } from './state/ui-state.js';

export interface ShellPaneView {
  /** undefined while the shell opens. */
  screen: ShellScreen | undefined;
  title: string;
  /** The shell has the keys. */
  focused: boolean;
}

/**
 * Gives the terminal to `takeOver` and back: the host unmounts Ink, awaits
 * it, then resizes the controller and draws the workbench again.
 */
export type TerminalHandOff = (takeOver: (stdin: NodeJS.ReadStream, stdout: NodeJS.WriteStream) => Promise<void>) => Promise<void>;

export interface ShellHost {
  readonly session: SessionApi;
  ui(): UiState;
  layout(): Layout;
  quitting(): boolean;
  dispatch(action: UiAction): void;
  message(text: string, kind?: 'info' | 'error'): void;
  /** Brings derived state in line and draws. */
  refresh(): void;
  /** The bottom pane's content must be built again (it shows the review). */
  invalidateBottom(): void;
  /** The last step the image is made of (the image row opens a shell there). */
  finalStep(): number | undefined;
  /** Trees built from a shell's changes are stale. */
  forgetShellTrees(): void;
  /** A keep wrote the Dockerfile and re-planned; `index` is the new step. */
  kept(index: number, line: string): void;
  /** A keep ended, kept or not: a save seen meanwhile may be replayed. */
  keepSettled(): void;
}

export class ShellController {
  /** The shell of the shell pane, from open until kept or discarded. */
  private shell: PaneShell | undefined;
  /** Counts shells opened: a late answer for a shell the user gave up on is thrown away. */
  private shellId = 0;
  /** Keys typed while the shell opens, for the shell. */
  private pendingInput = '';
  private fullScreen = false;
  private keepingNow = false;

  constructor(
    private readonly host: ShellHost,
    private readonly handOff: TerminalHandOff | undefined,
  ) {}

  /** Which shell is the current one (each open counts one up). */
  get id(): number {
    return this.shellId;
  }

  /** A keep is writing the Dockerfile and re-planning. */
  get keeping(): boolean {
    return this.keepingNow;
  }

  /** The exited shell whose changes the layer pane shows, while they are under review. */
  underReview(): { id: number; step: number; state: ShellState; changes: readonly ChangeEntry[] } | undefined {
    const review = this.host.ui().shell;
    const outcome = this.shell?.outcome;
    if (review?.phase !== 'review' || !outcome) return undefined;
    return { id: this.shellId, step: review.step, state: review.state, changes: outcome.changes };
  }

  /** The pty's size: the bottom pane inside its border. */
  size(): { cols: number; rows: number } {
    const layout = this.host.layout();
    return { cols: Math.max(2, layout.width - 2), rows: Math.max(1, layout.bottomHeight - 2) };
  }

  /** The pane and the pty change size together (TUI-NOTES.md). */
  resize(): void {
    this.shell?.resize(this.size().cols, this.size().rows);
  }

  /** The open shell's screen while the bottom pane shows it (opening or running). */
  paneView(): ShellPaneView | undefined {
    const shell = this.host.ui().shell;
    if (!shell || (shell.phase !== 'opening' && shell.phase !== 'running')) return undefined;
    const step = this.host.session.steps[shell.step];
    const where = `${shell.state === 'before' ? 'before' : 'after'} step ${shell.step + 1}${step ? ` ${step.keyword}` : ''}`;
    const title = shell.phase === 'opening' ? `shell ${where}: opening…` : `shell ${this.shell?.shellPath ?? ''} · ${where}`;
    return { screen: this.shell?.screen, title, focused: shellHasKeys(this.host.ui()) };
  }

  /**
   * Input as the terminal sent it, while the shell has the keys: they go to
   * the pty as they are (Ctrl-C included) up to the leave key, which gives
   * the focus back. Returns what followed the leave key, for the workbench.
   */
  takeKeys(data: string): string {
    const { toShell, left, rest } = splitAtLeaveKey(data, SHELL_LEAVE_KEY);
    if (toShell) {
      if (this.shell) this.shell.write(toShell);
      else this.pendingInput += toShell;
    }
    if (left) {
      this.host.dispatch({ type: 'focus', pane: 'steps' });
      this.host.refresh();
    }
    return rest;
  }

  /** `s`: back into the open shell, or a new one at the selected step. */
  open(): void {
    const host = this.host;
    const current = host.ui().shell;
    if (current?.phase === 'running' || current?.phase === 'opening') {
      host.dispatch({ type: 'focus', pane: 'bottom' });
      return;
    }
    if (current?.phase === 'review') {
      host.message("Keep (k) or discard (d) the last shell's changes first.");
      return;
    }
    if (!host.session.openShell) {
      host.message('No shell: this build of the engine cannot open one yet (SessionApi.openShell is missing).', 'error');
      return;
    }
    const steps = host.session.steps;
    const cursor = host.ui().stepCursor;
    // The image row: the image as built, i.e. after its last step.
    const index = cursor < steps.length ? cursor : host.finalStep();
    const step = index === undefined ? undefined : steps[index];
    if (!step || step.status === 'pending' || step.status === 'skipped') {
      host.message('Run the step first: a shell opens in the container as it is after a step that ran (n runs the next one).');
      return;
    }
    if (step.status === 'running') {
      host.message('The step is still running: a shell opens once it is done.');
      return;
    }
    if (step.status === 'failed') {
      if (step.keyword === 'RUN') {
        // The question is asked in the hint bar: the failure message makes way for it.
        host.dispatch({ type: 'message', message: undefined });
        host.dispatch({ type: 'shell.choose', step: step.index });
      }
      // A failed COPY or WORKDIR has no state after it: only the one before.
      else this.start(step.index, 'before');
      return;
    }
    this.start(step.index, 'after');
  }

  /** Opens a shell in the container before or after `step`. */
  start(step: number, state: ShellState): void {
    const host = this.host;
    const id = ++this.shellId;
    this.pendingInput = '';
    host.dispatch({ type: 'message', message: undefined });
    host.dispatch({ type: 'shell.opening', step, state });
    const failed = host.session.steps[step];
    // As the engine puts it into $LAYERLAB_FAILED_COMMAND: the RUN line without RUN and its flags.
    const failedCommand = state === 'before' && failed?.status === 'failed' && failed.keyword === 'RUN' ? failed.text.replace(/^RUN\s+(--\S+\s+)*/i, '') : undefined;
    const banner = failedCommand ? failedCommandBanner(failedCommand) : [];
    PaneShell.open(host.session, { step, state }, this.size(), { banner }).then(
      (shell) => {
        if (host.quitting() || id !== this.shellId) {
          void shell.discard().catch(() => undefined);
          return;
        }
        this.shell = shell;
        // The pane may have changed size while the shell opened.
        shell.resize(this.size().cols, this.size().rows);
        if (this.pendingInput) shell.write(this.pendingInput);
        this.pendingInput = '';
        void shell.finished.then((outcome) => this.finished(id, outcome));
        host.dispatch({ type: 'shell.running' });
        host.refresh();
      },
      (err: unknown) => {
        if (host.quitting() || id !== this.shellId) return;
        host.dispatch({ type: 'shell.closed' });
        if (err instanceof Error && err.name === 'NoShellError') {
          // Nothing to type into, but the files are there to look at.
          host.dispatch({ type: 'step.select', index: step, follow: false });
          host.dispatch({ type: 'layer.mode.set', mode: 'upto' });
          host.dispatch({ type: 'focus', pane: 'layer' });
          host.message(`No shell at step ${step + 1}: ${err.message}. The layer pane shows its files instead.`, 'error');
        } else {
          host.message(`The shell did not open: ${errorText(err)}`, 'error');
        }
        host.refresh();
      },
    );
  }

  private finished(id: number, outcome: ShellOutcome): void {
    const host = this.host;
    const shell = host.ui().shell;
    if (host.quitting() || id !== this.shellId || !shell || shell.phase === 'choose' || shell.phase === 'review') return;
    const step = host.session.steps[shell.step];
    let cannotKeep: string | undefined;
    if (outcome.changes.length === 0) cannotKeep = 'the shell changed nothing in the filesystem';
    else if (shell.state === 'after' && step?.status === 'failed') {
      cannotKeep = 'changes made on top of a failed step cannot be kept (open the shell before the step, and fix the RUN line there)';
    }
    host.dispatch({
      type: 'shell.exited',
      exitCode: outcome.exitCode,
      changeCount: outcome.changes.length,
      line: runLineFor(outcome.commands),
      cannotKeep,
    });
    host.invalidateBottom();
    host.refresh();
  }

  /** What the review of an exited shell says, in the bottom pane. */
  reviewLines(): ViewLine[] {
    const shell = this.host.ui().shell;
    if (shell?.phase !== 'review') return [];
    const where = shell.state === 'before' ? `before step ${shell.step + 1}` : `after step ${shell.step + 1}`;
    const paths = `${shell.changeCount} path${shell.changeCount === 1 ? '' : 's'}`;
    const lines: ViewLine[] = [
      {
        text: `The shell exited with ${shell.exitCode}. ${shell.changeCount > 0 ? `It changed ${paths}: the layer pane shows them as a diff.` : 'It changed nothing.'}`,
        tone: 'heading',
      },
    ];
    if (shell.cannotKeep) {
      lines.push({ text: `Nothing to keep: ${shell.cannotKeep}. d closes this.`, tone: 'note' });
      return lines;
    }
    lines.push({ text: `k keeps the changes as a new step ${where}; this line goes into the Dockerfile and the steps below it run again:`, tone: 'note' });
    // The whole line, cut into rows as it is (it is what goes into the Dockerfile).
    const line = normaliseRunLine(shell.line);
    const room = Math.max(10, this.host.layout().width - 4);
    for (let at = 0; at < line.length; at += room) lines.push({ text: `  ${line.slice(at, at + room)}`, tone: 'added' });
    lines.push({ text: shell.editing ? 'Editing the line below: enter when done, esc to stop.' : 'e edits the line · d throws the changes away', tone: 'note' });
    return lines;
  }

  /** `k`: the reviewed changes become a new step with the (edited) RUN line. */
  keep(): void {
    const host = this.host;
    const review = host.ui().shell;
    const shell = this.shell;
    if (review?.phase !== 'review' || !shell || this.keepingNow) return;
    if (review.cannotKeep) {
      host.message(`Nothing to keep: ${review.cannotKeep}.`);
      return;
    }
    const line = normaliseRunLine(review.line);
    const id = this.shellId;
    this.keepingNow = true;
    host.message("Keeping the shell's changes as a new step…");
    shell.keep(line).then(
      (index) => {
        this.keepingNow = false;
        if (host.quitting() || id !== this.shellId) return;
        this.shell = undefined;
        host.forgetShellTrees();
        host.kept(index, line);
        host.keepSettled();
        host.refresh();
      },
      (err: unknown) => {
        this.keepingNow = false;
        if (host.quitting()) return;
        host.message(`Not kept: ${errorText(err)}`, 'error');
        host.keepSettled();
        host.refresh();
      },
    );
    host.refresh();
  }

  /** Ends the shell (opening, running or under review) and throws its changes away. */
  discard(text: string): void {
    const host = this.host;
    const shell = this.shell;
    this.shell = undefined;
    // A shell still opening is given up: its late arrival is thrown away.
    this.shellId++;
    this.pendingInput = '';
    host.forgetShellTrees();
    host.dispatch({ type: 'shell.closed' });
    host.message(text);
    host.invalidateBottom();
    if (shell) {
      shell.discard().catch((err: unknown) => {
        host.message(`The shell was not cleaned up: ${errorText(err)}`, 'error');
        host.refresh();
      });
    }
  }

  /** `f`: the running shell gets the whole terminal until the leave key. */
  goFullScreen(): void {
    const host = this.host;
    const shell = this.shell;
    if (!shell || host.ui().shell?.phase !== 'running') {
      host.message('No shell is running: s opens one, then f gives it the whole terminal.');
      return;
    }
    if (!this.handOff || this.fullScreen) {
      host.message('Full screen needs the workbench on a terminal.', 'error');
      return;
    }
    this.fullScreen = true;
    this.handOff((stdin, stdout) => handOffTerminal({ stdin, stdout, shell, leaveKey: SHELL_LEAVE_KEY, exited: shell.exited }).then(() => undefined))
      .catch((err: unknown) => host.message(`Full screen: ${errorText(err)}`, 'error'))
      .finally(() => {
        this.fullScreen = false;
        host.invalidateBottom();
        host.refresh();
      });
  }

  /** On quit: ends the shell and frees its screen (the session discards its shells too). */
  async close(): Promise<void> {
    const shell = this.shell;
    this.shell = undefined;
    await shell?.discard().catch(() => undefined);
  }
}

function errorText(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
