/**
 * The workbench's brain, without React: it owns the UI state (through the
 * pure reducer), listens to the build session, turns commands from the key
 * binding table into session calls and state changes, and derives what each
 * pane shows. Components read its snapshot and draw. Keeping the state here,
 * outside React, also lets a full-screen shell unmount Ink and come back.
 */
import { readFileSync } from 'node:fs';
import { basename } from 'node:path';
import type { BuildEvent, ContextFile, SessionApi, StepState } from '../engine/session-types.js';
import { TreeRowList, type DiffNode } from '../layers/index.js';
import { wrapText } from './format.js';
import { commandForKey, keyName, SHELL_LEAVE_KEY, type CommandId, type KeyPress } from './key-bindings.js';
import { computeLayout, type Layout } from './layout.js';
import { contextLines } from './model/context-lines.js';
import { fileViewLines, type ViewLine } from './model/file-view.js';
import { imageReportLines } from './model/image-report.js';
import { LayerModel, type LayerView } from './model/layer-model.js';
import { outputLines } from './model/output-lines.js';
import { handOffTerminal } from './shell/full-screen.js';
import { failedCommandBanner, normaliseRunLine, PaneShell, runLineFor, splitAtLeaveKey, type ShellOutcome } from './shell/pane-shell.js';
import type { ShellScreen } from './shell/shell-screen.js';
import { cursorRowIndex, stepRows, type StepRow } from './state/step-rows.js';
import { findPattern, initialUiState, keyModeOf, shellHasKeys, uiReducer, type ShellState, type UiAction, type UiState } from './state/ui-state.js';

export interface Snapshot {
  ui: UiState;
  layout: Layout;
  /** Clock for spinners and elapsed times. */
  now: number;
  steps: readonly StepState[];
  breakpoints: ReadonlySet<number>;
  stepRows: readonly StepRow[];
  /** The layer pane's view, undefined while it loads. */
  layerView: LayerView | undefined;
  layerRows: readonly DiffNode[];
  /** Whether a directory row is collapsed. */
  isCollapsed: (node: DiffNode) => boolean;
  bottom: { title: string; lines: readonly ViewLine[] };
  /** The open shell's screen while the bottom pane shows it (opening or running). */
  shell: ShellPaneView | undefined;
  quitting: boolean;
}

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

export interface ControllerOptions {
  session: SessionApi;
  columns: number;
  rows: number;
  /** Called once the session is closed after q or Ctrl-C. */
  onQuit: () => void;
  /** How a shell gets the whole terminal (`f`); without it, `f` says it cannot. */
  handOff?: TerminalHandOff;
}

type BottomContent = { key: string; title: string; lines: ViewLine[]; follow?: boolean };

const EVENT_FRAME_MS = 16;
const EMPTY_BOTTOM: BottomContent = { key: '', title: '', lines: [] };
const TICK_MS = 100;
/** Quiet time after a cursor move before the selected file is read. */
const FILE_READ_DELAY_MS = 60;

export class AppController {
  readonly session: SessionApi;
  private ui: UiState;
  private layout: Layout;
  private readonly layers: LayerModel;
  private view: LayerView | undefined;
  private rows: TreeRowList | undefined;
  private viewRequestKey = '';
  private viewSequence = 0;
  private imageView: LayerView | undefined;
  private imageRequestKey = '';
  private contextFiles: ContextFile[] | undefined;
  private contextLoaded = false;
  private dockerfileLines: string[] = [];
  private dockerfileVersion = 0;
  private stepRowsCache: { key: string; rows: StepRow[] } | undefined;
  private breakpointsCache: { key: string; set: ReadonlySet<number> } | undefined;
  private bottomCache: BottomContent | undefined;
  /** The selected file's view with its content read (see scheduleFileContent). */
  private fileContent: BottomContent | undefined;
  private fileTimer: NodeJS.Timeout | undefined;
  private sessionVersion = 0;
  private snapshot: Snapshot;
  private readonly listeners = new Set<() => void>();
  private pendingNotify: NodeJS.Timeout | undefined;
  private ticker: NodeJS.Timeout | undefined;
  private readonly unsubscribe: () => void;
  private quitting = false;
  private readonly onQuit: () => void;
  private readonly handOff: TerminalHandOff | undefined;
  /** The shell of the shell pane, from open until kept or discarded. */
  private shell: PaneShell | undefined;
  /** Counts shells opened: a late answer for a shell the user gave up on is thrown away. */
  private shellId = 0;
  /** Keys typed while the shell opens, for the shell. */
  private pendingShellInput = '';
  /** Set by handleRawInput for the input event Ink hands to handleInput next: the keys the shell did not take. */
  private rawHandled: { rest: string } | undefined;
  private fullScreen = false;
  private keeping = false;
  /** The Dockerfile as a kept shell wrote it: the file watcher's news of it is no news. */
  private ownDockerfileText: string | undefined;
  /** A save the watcher saw while a keep was writing the Dockerfile, replayed after it. */
  private deferredReplan: string | undefined;

  constructor(options: ControllerOptions) {
    this.session = options.session;
    this.onQuit = options.onQuit;
    this.handOff = options.handOff;
    this.layers = new LayerModel(this.session);
    this.layout = computeLayout(options.columns, options.rows);
    this.ui = uiReducer(initialUiState(this.session.steps.length), { type: 'viewport', viewport: this.layout.viewport });
    this.readDockerfile();
    this.unsubscribe = this.session.subscribe((event) => this.onSessionEvent(event));
    this.snapshot = this.buildSnapshot();
    this.refresh();
  }

  // ---- the external store React reads -------------------------------------

  subscribe = (listener: () => void): (() => void) => {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  };

  getSnapshot = (): Snapshot => this.snapshot;

  private notify(): void {
    if (this.pendingNotify) {
      clearTimeout(this.pendingNotify);
      this.pendingNotify = undefined;
    }
    this.snapshot = this.buildSnapshot();
    for (const listener of this.listeners) listener();
  }

  /** Session events come in bursts (log lines): draw at most once a frame for them. */
  private notifySoon(): void {
    this.pendingNotify ??= setTimeout(() => {
      this.pendingNotify = undefined;
      this.refresh();
    }, EVENT_FRAME_MS);
  }

  /** The steps pane's rows, rebuilt only when the steps, the unfolded set or the Dockerfile change. */
  private currentStepRows(): readonly StepRow[] {
    const key = this.stepRowsKey();
    if (this.stepRowsCache?.key !== key) {
      this.stepRowsCache = { key, rows: stepRows(this.session.steps, { dockerfileLines: this.dockerfileLines, unfolded: this.ui.unfolded }) };
    }
    return this.stepRowsCache.rows;
  }

  /** A copy of the session's breakpoints that changes identity only when they change (for memoised panes). */
  private currentBreakpoints(): ReadonlySet<number> {
    const key = [...this.session.breakpoints].sort((a, b) => a - b).join(',');
    if (this.breakpointsCache?.key !== key) this.breakpointsCache = { key, set: new Set(this.session.breakpoints) };
    return this.breakpointsCache.set;
  }

  private stepRowsKey(): string {
    // Steps are replaced or updated in place by the session: their visible fields make the key.
    const steps = this.session.steps
      .map((s) => `${s.index}:${s.status}:${s.text.length}:${s.startLine}:${s.layer?.diffId ?? ''}:${s.counts?.added ?? ''}:${s.failure?.exitCode ?? ''}:${s.cacheMiss ?? ''}`)
      .join('|');
    return `${steps}#${[...this.ui.unfolded].join(',')}#${this.dockerfileVersion}`;
  }

  private buildSnapshot(): Snapshot {
    const rows = this.rows;
    return {
      ui: this.ui,
      layout: this.layout,
      // The clock only matters while a step runs (spinner, elapsed time); a fixed value lets panes skip redraws.
      now: this.ticker ? Date.now() : 0,
      steps: this.session.steps,
      breakpoints: this.currentBreakpoints(),
      stepRows: this.currentStepRows(),
      layerView: this.view,
      layerRows: rows?.rows ?? [],
      isCollapsed: (node) => rows?.isCollapsed(node) ?? false,
      bottom: this.bottomCache ?? EMPTY_BOTTOM,
      shell: this.shellPaneView(),
      quitting: this.quitting,
    };
  }

  // ---- state changes --------------------------------------------------------

  private dispatch(action: UiAction): void {
    this.ui = uiReducer(this.ui, action);
  }

  /** Brings derived state in line with the UI state and the session, then draws. */
  private refresh(): void {
    const rowsOfSteps = this.currentStepRows();
    this.dispatch({ type: 'steps.scroll', row: cursorRowIndex(rowsOfSteps, this.ui.stepCursor), count: rowsOfSteps.length });
    this.requestLayerView();
    this.requestImageView();
    if (this.ui.bottomView === 'context') this.loadContextFiles();
    const bottom = this.bottomContent();
    this.bottomCache = bottom;
    this.dispatch({ type: 'bottom.lines', count: bottom.lines.length, follow: bottom.follow ?? false });
    this.updateTicker();
    this.notify();
  }

  resize(columns: number, rows: number): void {
    this.layout = computeLayout(columns, rows);
    this.dispatch({ type: 'viewport', viewport: this.layout.viewport });
    // The pane and the pty change size together (TUI-NOTES.md).
    this.shell?.resize(this.shellSize().cols, this.shellSize().rows);
    this.bottomCache = undefined;
    this.refresh();
  }

  private readDockerfile(): void {
    try {
      this.dockerfileLines = readFileSync(this.session.dockerfilePath, 'utf8').split('\n');
      this.dockerfileVersion++;
    } catch {
      this.dockerfileLines = [];
    }
  }

  private updateTicker(): void {
    const running = this.session.steps.some((s) => s.status === 'running');
    if (running && !this.ticker) {
      this.ticker = setInterval(() => this.notify(), TICK_MS);
    } else if (!running && this.ticker) {
      clearInterval(this.ticker);
      this.ticker = undefined;
    }
  }

  private message(text: string, kind: 'info' | 'error' = 'info'): void {
    this.dispatch({ type: 'message', message: { text, kind } });
  }

  private onSessionEvent(event: BuildEvent | { type: 'state' }): void {
    if (this.quitting) return;
    this.sessionVersion++;
    // What the steps took from the context may change with any step: ask again when shown.
    if (event.type !== 'log') this.contextLoaded = false;
    switch (event.type) {
      case 'plan':
        this.readDockerfile();
        this.dispatch({ type: 'plan', stepCount: event.steps.length });
        this.layers.forgetPartial();
        this.contextLoaded = false;
        break;
      case 'step-start':
        this.dispatch({ type: 'plan', stepCount: this.session.steps.length });
        this.dispatch({ type: 'step.started', index: event.step });
        break;
      case 'step-failed': {
        this.dispatch({ type: 'step.select', index: event.step, follow: this.ui.followRunning });
        const step = this.session.steps[event.step];
        const exit = event.exitCode !== undefined ? ` (exit code ${event.exitCode})` : '';
        this.message(`Step ${event.step + 1} failed at ${basename(this.session.dockerfilePath)}:${event.line}${exit}: ${step?.text ?? event.message}`, 'error');
        this.layers.forgetPartial();
        // The failure deserves to be seen at once.
        this.refresh();
        return;
      }
      case 'done':
        this.message(`Image ${event.imageId.slice(0, 19)} written${event.tags.length ? ` as ${event.tags.join(', ')}` : ''}.`);
        break;
      case 'state':
        this.dispatch({ type: 'plan', stepCount: this.session.steps.length });
        break;
      default:
        break;
    }
    this.notifySoon();
  }

  // ---- input ----------------------------------------------------------------

  /**
   * Ink's useInput callback. Ink splits escape sequences into events of their
   * own, but a burst of plain characters ("\t\tn", "jjj", a paste) arrives as
   * one string: it is taken apart here, one key per character.
   */
  handleInput(input: string, key: KeyPress): void {
    const handled = this.takeRawHandled();
    if (handled) {
      // The shell took this event's keys; what came after its leave key is ours.
      for (const char of handled.rest) {
        const press = keyOfChar(char);
        this.handleKey(press.input, press.key);
      }
      return;
    }
    // Ink strips the ESC of a sequence it did not name ("[1;5A"): those are not bursts.
    const unnamedSequence = /^(\[[\d;?]*[~A-Za-z]|O[A-Za-z])$/.test(input);
    if (input.length > 1 && !unnamedSequence) {
      const chars = [...input];
      for (const [at, char] of chars.entries()) {
        // A key of the burst gave the shell focus ("s" then typing): the rest is the shell's.
        if (shellHasKeys(this.ui)) {
          this.handleRawInput(chars.slice(at).join(''));
          const rest = this.takeRawHandled()?.rest ?? '';
          if (rest) this.handleInput(rest, {});
          return;
        }
        const press = keyOfChar(char);
        this.handleKey(press.input, press.key);
      }
      return;
    }
    this.handleKey(input, key);
  }

  private takeRawHandled(): { rest: string } | undefined {
    const handled = this.rawHandled;
    this.rawHandled = undefined;
    return handled;
  }

  /**
   * Every input event as the terminal sent it, before Ink's useInput sees it
   * (one always-on listener, TUI-NOTES.md). While the shell has focus, its
   * keys go to the pty as they are (Ctrl-C included) up to the leave key;
   * handleInput then skips the event, or takes what followed the leave key.
   */
  handleRawInput(data: string): void {
    this.rawHandled = undefined;
    if (this.quitting || !shellHasKeys(this.ui)) return;
    const { toShell, left, rest } = splitAtLeaveKey(data, SHELL_LEAVE_KEY);
    if (toShell) {
      if (this.shell) this.shell.write(toShell);
      else this.pendingShellInput += toShell;
    }
    this.rawHandled = { rest };
    if (left) {
      this.dispatch({ type: 'focus', pane: 'steps' });
      this.refresh();
    }
  }

  private handleKey(input: string, key: KeyPress): void {
    if (this.quitting) {
      // A second Ctrl-C while closing means "now".
      if (key.ctrl && input === 'c') process.exit(130);
      return;
    }
    if (this.ui.find.editing) {
      this.handleFindInput(input, key);
      return;
    }
    if (this.ui.shell?.phase === 'review' && this.ui.shell.editing) {
      this.handleRunLineInput(input, key);
      return;
    }
    const command = commandForKey(keyName(input, key), keyModeOf(this.ui));
    if (command) this.execute(command);
  }

  /** Editing the RUN line of a kept shell, in the status bar. */
  private handleRunLineInput(input: string, key: KeyPress): void {
    if (key.return) this.dispatch({ type: 'shell.line.done' });
    else if (key.escape) this.dispatch({ type: 'back' });
    else if (key.backspace || key.delete) this.dispatch({ type: 'shell.line.backspace' });
    else if (key.ctrl && input === 'c') return this.execute('app.quit');
    else if (!key.ctrl && !key.meta && input !== '' && !/[\x00-\x1f\x7f]/.test(input)) this.dispatch({ type: 'shell.line.input', text: input });
    else return;
    this.bottomCache = undefined;
    this.refresh();
  }

  private handleFindInput(input: string, key: KeyPress): void {
    if (key.return) this.dispatch({ type: 'find.close', keep: true });
    else if (key.escape) this.dispatch({ type: 'find.close', keep: false });
    else if (key.backspace || key.delete) this.dispatch({ type: 'find.backspace' });
    else if (key.ctrl && input === 'r') this.dispatch({ type: 'find.regex.toggle' });
    else if (key.ctrl && input === 'c') return this.execute('app.quit');
    else if (key.downArrow || key.upArrow) {
      this.dispatch({ type: 'find.close', keep: true });
      this.dispatch({ type: 'move', delta: key.downArrow ? 1 : -1 });
    } else if (!key.ctrl && !key.meta && input !== '' && !/[\x00-\x1f\x7f]/.test(input)) {
      this.dispatch({ type: 'find.input', text: input });
    } else return;
    this.applyRowOptions();
    this.refresh();
  }

  /** Runs one command of the key binding table. */
  execute(command: CommandId): void {
    const ui = this.ui;
    if (ui.help && command !== 'help.toggle' && command !== 'app.back' && command !== 'app.quit') {
      // Keys other than those close the help first, so nothing happens unseen behind it.
      this.dispatch({ type: 'help.toggle' });
      this.refresh();
      return;
    }
    const cursor = ui.stepCursor;
    const steps = this.session.steps;
    const onStep = cursor < steps.length;
    switch (command) {
      case 'step.next':
        this.run(() => this.session.next());
        break;
      case 'step.continue':
        this.run(() => this.session.continue());
        break;
      case 'step.runToCursor':
        this.run(() => (onStep ? this.session.runTo(cursor) : this.runToEnd()));
        break;
      case 'step.rerun':
        if (!onStep) this.message('Select a step to re-run from.');
        else this.run(() => this.session.rerunFrom(cursor));
        break;
      case 'step.breakpoint':
        if (onStep) this.session.toggleBreakpoint(cursor);
        break;
      case 'step.cancel':
        if (this.session.busy) {
          this.session.cancel();
          this.message('Stopping the running step…');
        }
        break;
      case 'shell.open':
        this.openShell();
        break;
      case 'shell.before':
      case 'shell.after':
        if (ui.shell?.phase === 'choose') this.startShell(ui.shell.step, command === 'shell.before' ? 'before' : 'after');
        break;
      case 'shell.fullScreen':
        this.goFullScreen();
        break;
      case 'shell.close':
        if (this.ui.shell && this.ui.shell.phase !== 'choose') this.discardShell('The shell pane is closed; the shell ended and its changes were thrown away.');
        else this.message('No shell is open: s opens one at the selected step.');
        break;
      case 'shell.leave':
        // The raw input path leaves the shell; here the key means nothing.
        break;
      case 'shell.keep':
        this.keepShell();
        break;
      case 'shell.editLine':
        this.dispatch({ type: 'shell.line.edit' });
        this.bottomCache = undefined;
        break;
      case 'shell.discard':
        this.discardShell("The shell's changes were thrown away.");
        break;
      case 'find.open':
        this.dispatch({ type: 'find.open' });
        break;
      case 'pane.next':
      case 'pane.previous':
        this.dispatch({ type: 'focus.cycle', direction: command === 'pane.next' ? 1 : -1 });
        break;
      case 'cursor.down':
      case 'cursor.up':
        if (ui.help) break;
        this.dispatch({ type: 'move', delta: command === 'cursor.down' ? 1 : -1 });
        break;
      case 'cursor.pageDown':
      case 'cursor.pageUp':
        this.dispatch({ type: 'page', direction: command === 'cursor.pageDown' ? 1 : -1 });
        break;
      case 'cursor.first':
      case 'cursor.last':
        this.dispatch({ type: 'move', delta: command === 'cursor.first' ? -Infinity : Infinity });
        break;
      case 'item.toggle':
        this.toggleItem();
        break;
      case 'item.open':
        this.dispatch({ type: 'focus', pane: ui.focus === 'steps' ? 'layer' : 'bottom' });
        break;
      case 'tree.expandAll':
      case 'tree.collapseAll':
        if (this.rows) {
          const path = this.rows.rows[ui.layerCursor]?.path;
          this.rows.setAllCollapsed(command === 'tree.collapseAll');
          this.dispatch({ type: 'layer.rows', count: this.rows.rows.length, keepCursor: this.cursorFor(path) });
        }
        break;
      case 'layer.mode':
        this.dispatch({ type: 'layer.mode.cycle' });
        break;
      case 'layer.markRange':
        this.dispatch({ type: 'layer.range.mark' });
        this.message(`Range starts at step ${cursor + 1}: move the cursor to B, l switches the layer view.`);
        break;
      case 'layer.sort':
        this.dispatch({ type: 'layer.sort.toggle' });
        this.applyRowOptions();
        break;
      case 'filter.added':
      case 'filter.modified':
      case 'filter.deleted':
      case 'filter.unchanged': {
        const diff = ({ 'filter.added': 'added', 'filter.modified': 'modified', 'filter.deleted': 'removed', 'filter.unchanged': 'unmodified' } as const)[command];
        this.dispatch({ type: 'filter.toggle', diff });
        this.applyRowOptions();
        break;
      }
      case 'view.output':
        this.dispatch({ type: 'bottom.view', view: 'output' });
        break;
      case 'view.image':
        this.dispatch({ type: 'bottom.view', view: 'image' });
        break;
      case 'view.context':
        this.dispatch({ type: 'bottom.view', view: 'context' });
        break;
      case 'help.toggle':
        this.dispatch({ type: 'help.toggle' });
        break;
      case 'app.back':
        this.dispatch({ type: 'back' });
        this.applyRowOptions();
        break;
      case 'app.quit':
        void this.quit();
        return;
    }
    this.refresh();
  }

  private cursorFor(path: string | undefined): number {
    if (!this.rows || path === undefined) return 0;
    return Math.max(0, this.rows.indexOf(path));
  }

  private toggleItem(): void {
    if (this.ui.focus === 'steps') {
      const step = this.session.steps[this.ui.stepCursor];
      if (step && step.endLine > step.startLine) this.dispatch({ type: 'step.unfold.toggle', index: step.index });
      return;
    }
    if (this.ui.focus === 'layer' && this.rows) {
      this.rows.toggle(this.ui.layerCursor);
      this.dispatch({ type: 'layer.rows', count: this.rows.rows.length });
    }
  }

  private runToEnd(): Promise<void> {
    const last = this.session.steps.length - 1;
    return last >= 0 ? this.session.runTo(last) : Promise.resolve();
  }

  /** Starts a session call; its progress arrives as events, its errors as a message. */
  private run(call: () => Promise<void>): void {
    this.dispatch({ type: 'follow', on: true });
    this.dispatch({ type: 'message', message: undefined });
    call().then(
      () => this.refresh(),
      (err: unknown) => {
        if (this.quitting) return;
        this.message(errorText(err), 'error');
        this.refresh();
      },
    );
  }

  // ---- the shell pane ----------------------------------------------------------

  /** The pty's size: the bottom pane inside its border. */
  private shellSize(): { cols: number; rows: number } {
    return { cols: Math.max(2, this.layout.width - 2), rows: Math.max(1, this.layout.bottomHeight - 2) };
  }

  private shellPaneView(): ShellPaneView | undefined {
    const shell = this.ui.shell;
    if (!shell || (shell.phase !== 'opening' && shell.phase !== 'running')) return undefined;
    const step = this.session.steps[shell.step];
    const where = `${shell.state === 'before' ? 'before' : 'after'} step ${shell.step + 1}${step ? ` ${step.keyword}` : ''}`;
    const title = shell.phase === 'opening' ? `shell ${where}: opening…` : `shell ${this.shell?.shellPath ?? ''} · ${where}`;
    return { screen: this.shell?.screen, title, focused: shellHasKeys(this.ui) };
  }

  private openShell(): void {
    const current = this.ui.shell;
    if (current?.phase === 'running' || current?.phase === 'opening') {
      // Back into the open shell.
      this.dispatch({ type: 'focus', pane: 'bottom' });
      return;
    }
    if (current?.phase === 'review') {
      this.message("Keep (k) or discard (d) the last shell's changes first.");
      return;
    }
    if (!this.session.openShell) {
      this.message('No shell: this build of the engine cannot open one yet (SessionApi.openShell is missing).', 'error');
      return;
    }
    const steps = this.session.steps;
    // The image row: the image as built, i.e. after its last step.
    const index = this.ui.stepCursor < steps.length ? this.ui.stepCursor : this.layers.finalStep(steps);
    const step = index === undefined ? undefined : steps[index];
    if (!step || step.status === 'pending' || step.status === 'skipped') {
      this.message('Run the step first: a shell opens in the container as it is after a step that ran (n runs the next one).');
      return;
    }
    if (step.status === 'running') {
      this.message('The step is still running: a shell opens once it is done.');
      return;
    }
    if (step.status === 'failed') {
      if (step.keyword === 'RUN') {
        // The question is asked in the hint bar: the failure message makes way for it.
        this.dispatch({ type: 'message', message: undefined });
        this.dispatch({ type: 'shell.choose', step: step.index });
      }
      // A failed COPY or WORKDIR has no state after it: only the one before.
      else this.startShell(step.index, 'before');
      return;
    }
    this.startShell(step.index, 'after');
  }

  private startShell(step: number, state: ShellState): void {
    const id = ++this.shellId;
    this.pendingShellInput = '';
    this.dispatch({ type: 'message', message: undefined });
    this.dispatch({ type: 'shell.opening', step, state });
    const failed = this.session.steps[step];
    // As the engine puts it into $LAYERLAB_FAILED_COMMAND: the RUN line without RUN and its flags.
    const failedCommand = state === 'before' && failed?.status === 'failed' && failed.keyword === 'RUN' ? failed.text.replace(/^RUN\s+(--\S+\s+)*/i, '') : undefined;
    const banner = failedCommand ? failedCommandBanner(failedCommand) : [];
    PaneShell.open(this.session, { step, state }, this.shellSize(), { banner }).then(
      (shell) => {
        if (this.quitting || id !== this.shellId) {
          void shell.discard().catch(() => undefined);
          return;
        }
        this.shell = shell;
        // The pane may have changed size while the shell opened.
        shell.resize(this.shellSize().cols, this.shellSize().rows);
        if (this.pendingShellInput) shell.write(this.pendingShellInput);
        this.pendingShellInput = '';
        void shell.finished.then((outcome) => this.onShellFinished(id, outcome));
        this.dispatch({ type: 'shell.running' });
        this.refresh();
      },
      (err: unknown) => {
        if (this.quitting || id !== this.shellId) return;
        this.dispatch({ type: 'shell.closed' });
        if (err instanceof Error && err.name === 'NoShellError') {
          // Nothing to type into, but the files are there to look at.
          this.dispatch({ type: 'step.select', index: step, follow: false });
          this.dispatch({ type: 'layer.mode.set', mode: 'upto' });
          this.dispatch({ type: 'focus', pane: 'layer' });
          this.message(`No shell at step ${step + 1}: ${err.message}. The layer pane shows its files instead.`, 'error');
        } else {
          this.message(`The shell did not open: ${errorText(err)}`, 'error');
        }
        this.refresh();
      },
    );
  }

  private onShellFinished(id: number, outcome: ShellOutcome): void {
    const shell = this.ui.shell;
    if (this.quitting || id !== this.shellId || !shell || shell.phase === 'choose' || shell.phase === 'review') return;
    const step = this.session.steps[shell.step];
    let cannotKeep: string | undefined;
    if (outcome.changes.length === 0) cannotKeep = 'the shell changed nothing in the filesystem';
    else if (shell.state === 'after' && step?.status === 'failed') {
      cannotKeep = 'changes made on top of a failed step cannot be kept (open the shell before the step, and fix the RUN line there)';
    }
    this.dispatch({
      type: 'shell.exited',
      exitCode: outcome.exitCode,
      changeCount: outcome.changes.length,
      line: runLineFor(outcome.commands),
      cannotKeep,
    });
    this.bottomCache = undefined;
    this.refresh();
  }

  /** What the review of an exited shell says, in the bottom pane. */
  private shellReviewLines(): ViewLine[] {
    const shell = this.ui.shell;
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
    const room = Math.max(10, this.layout.width - 4);
    for (let at = 0; at < line.length; at += room) lines.push({ text: `  ${line.slice(at, at + room)}`, tone: 'added' });
    lines.push({ text: shell.editing ? 'Editing the line below: enter when done, esc to stop.' : 'e edits the line · d throws the changes away', tone: 'note' });
    return lines;
  }

  private keepShell(): void {
    const review = this.ui.shell;
    const shell = this.shell;
    if (review?.phase !== 'review' || !shell || this.keeping) return;
    if (review.cannotKeep) {
      this.message(`Nothing to keep: ${review.cannotKeep}.`);
      return;
    }
    const line = normaliseRunLine(review.line);
    const id = this.shellId;
    this.keeping = true;
    this.message('Keeping the shell\'s changes as a new step…');
    shell.keep(line).then(
      (index) => {
        this.keeping = false;
        if (this.quitting || id !== this.shellId) return;
        this.shell = undefined;
        this.layers.forgetShells();
        // The engine wrote the Dockerfile and re-planned: the watcher's news of it is old news.
        this.readDockerfile();
        this.ownDockerfileText = this.dockerfileLines.join('\n');
        this.dispatch({ type: 'shell.closed' });
        this.dispatch({ type: 'plan', stepCount: this.session.steps.length });
        this.dispatch({ type: 'focus', pane: 'steps' });
        this.dispatch({ type: 'step.select', index, follow: false });
        this.message(`Kept as step ${index + 1}: ${line} (the steps below it are pending again).`);
        this.bottomCache = undefined;
        this.replayDeferredReplan();
        this.refresh();
      },
      (err: unknown) => {
        this.keeping = false;
        if (this.quitting) return;
        this.message(`Not kept: ${errorText(err)}`, 'error');
        this.replayDeferredReplan();
        this.refresh();
      },
    );
    this.refresh();
  }

  private discardShell(text: string): void {
    const shell = this.shell;
    this.shell = undefined;
    // A shell still opening is given up: its late arrival is thrown away.
    this.shellId++;
    this.pendingShellInput = '';
    this.layers.forgetShells();
    this.dispatch({ type: 'shell.closed' });
    this.message(text);
    this.bottomCache = undefined;
    if (shell) {
      shell.discard().catch((err: unknown) => {
        this.message(`The shell was not cleaned up: ${errorText(err)}`, 'error');
        this.refresh();
      });
    }
  }

  private goFullScreen(): void {
    const shell = this.shell;
    if (!shell || this.ui.shell?.phase !== 'running') {
      this.message('No shell is running: s opens one, then f gives it the whole terminal.');
      return;
    }
    if (!this.handOff || this.fullScreen) {
      this.message('Full screen needs the workbench on a terminal.', 'error');
      return;
    }
    this.fullScreen = true;
    this.handOff((stdin, stdout) => handOffTerminal({ stdin, stdout, shell, leaveKey: SHELL_LEAVE_KEY, exited: shell.exited }).then(() => undefined))
      .catch((err: unknown) => this.message(`Full screen: ${errorText(err)}`, 'error'))
      .finally(() => {
        this.fullScreen = false;
        this.bottomCache = undefined;
        this.refresh();
      });
  }

  private loadContextFiles(): void {
    if (this.contextLoaded) return;
    this.contextLoaded = true;
    const list = this.session.contextFiles?.();
    if (!list) return;
    list.then(
      (files) => {
        this.contextFiles = files;
        this.bottomCache = undefined;
        this.refresh();
      },
      (err: unknown) => {
        this.message(`Context files: ${errorText(err)}`, 'error');
        this.refresh();
      },
    );
  }

  async quit(): Promise<void> {
    if (this.quitting) return;
    this.quitting = true;
    this.message('Closing the build session…');
    this.notify();
    this.dispose();
    try {
      // The session discards open shells too; ours also frees its screen.
      const shell = this.shell;
      this.shell = undefined;
      await shell?.discard().catch(() => undefined);
      await this.session.close();
    } finally {
      this.onQuit();
    }
  }

  /** Stops listening and ticking; the session stays open. */
  dispose(): void {
    this.unsubscribe();
    if (this.ticker) clearInterval(this.ticker);
    if (this.pendingNotify) clearTimeout(this.pendingNotify);
    if (this.fileTimer) clearTimeout(this.fileTimer);
    this.fileTimer = undefined;
    this.ticker = undefined;
    this.pendingNotify = undefined;
  }

  /** A saved Dockerfile: re-plan, keeping every step above the first change. */
  replan(text: string): void {
    // A kept shell writes the Dockerfile and re-plans itself: wait for it, then see whether the save was ours.
    if (this.keeping) {
      this.deferredReplan = text;
      return;
    }
    if (text === this.ownDockerfileText) {
      this.ownDockerfileText = undefined;
      return;
    }
    this.ownDockerfileText = undefined;
    this.session.replan(text).then(
      () => {
        this.readDockerfile();
        const firstPending = this.session.steps.findIndex((s) => s.status === 'pending');
        this.message(
          firstPending >= 0
            ? `Dockerfile changed: re-planned, steps from ${firstPending + 1} on are pending.`
            : 'Dockerfile changed: re-planned, nothing to run again.',
        );
        this.bottomCache = undefined;
        this.refresh();
      },
      (err: unknown) => {
        this.message(`Dockerfile not re-planned: ${errorText(err)}`, 'error');
        this.refresh();
      },
    );
  }

  private replayDeferredReplan(): void {
    const text = this.deferredReplan;
    this.deferredReplan = undefined;
    if (text !== undefined) this.replan(text);
  }

  // ---- the layer pane ---------------------------------------------------------

  private layerRequestKey(): string {
    const ui = this.ui;
    if (ui.shell?.phase === 'review' && this.shell?.outcome) return `shell:${this.shellId}`;
    const step = this.session.steps[ui.stepCursor];
    const status = step ? `${step.status}:${step.layer?.diffId ?? ''}` : `image:${this.session.steps.map((s) => s.status).join(',')}`;
    return `${ui.stepCursor}:${ui.layerMode}:${ui.rangeStart ?? ''}:${status}`;
  }

  private requestLayerView(): void {
    const key = this.layerRequestKey();
    if (key === this.viewRequestKey) return;
    this.viewRequestKey = key;
    const sequence = ++this.viewSequence;
    this.view = undefined;
    this.rows = undefined;
    this.dispatch({ type: 'layer.rows', count: 0 });
    const ui = this.ui;
    const shell = ui.shell?.phase === 'review' ? ui.shell : undefined;
    const outcome = this.shell?.outcome;
    const request =
      shell && outcome
        ? this.layers.shellView({ step: shell.step, state: shell.state, id: this.shellId, changes: outcome.changes })
        : this.layers.view({ step: ui.stepCursor, mode: ui.layerMode, rangeStart: ui.rangeStart });
    request.then(
      (view) => {
        if (sequence !== this.viewSequence) return;
        this.view = view;
        this.rows = view.kind === 'tree' ? new TreeRowList(view.root, this.rowOptions()) : undefined;
        this.dispatch({ type: 'layer.rows', count: this.rows?.rows.length ?? 0, keepCursor: 0 });
        this.bottomCache = undefined;
        this.refresh();
      },
      (err: unknown) => {
        if (sequence !== this.viewSequence) return;
        this.view = { kind: 'note', key, title: 'layer', lines: [`Could not read the layer: ${errorText(err)}`] };
        this.refresh();
      },
    );
  }

  private requestImageView(): void {
    const wanted = this.ui.bottomView === 'image' || (this.ui.stepCursor >= this.session.steps.length && this.ui.detailOf === 'steps');
    if (!wanted) return;
    const key = `image:${this.sessionVersion}`;
    if (key === this.imageRequestKey) return;
    this.imageRequestKey = key;
    this.layers.view({ step: this.session.steps.length, mode: 'upto', rangeStart: undefined }).then(
      (view) => {
        if (key !== this.imageRequestKey) return;
        this.imageView = view;
        this.bottomCache = undefined;
        this.refresh();
      },
      (err: unknown) => {
        this.message(`Image: ${errorText(err)}`, 'error');
        this.refresh();
      },
    );
  }

  private rowOptions(): { diffTypes: UiState['diffTypes']; find: string | RegExp | undefined; sortBy: UiState['sortBy'] } {
    return { diffTypes: this.ui.diffTypes, find: findPattern(this.ui.find), sortBy: this.ui.sortBy };
  }

  private applyRowOptions(): void {
    if (!this.rows) return;
    this.rows.setOptions(this.rowOptions());
    this.dispatch({ type: 'layer.rows', count: this.rows.rows.length });
  }

  // ---- the bottom pane --------------------------------------------------------

  private scheduleFileContent(key: string, width: number, build: () => Omit<BottomContent, 'key'>): void {
    if (this.fileTimer) clearTimeout(this.fileTimer);
    this.fileTimer = setTimeout(() => {
      this.fileTimer = undefined;
      if (this.quitting) return;
      try {
        const content = build();
        this.fileContent = { key: `${key}|${width}`, ...content, lines: wrapLines(content.lines, width) };
      } catch (err) {
        this.fileContent = { key: `${key}|${width}`, title: 'file', lines: [{ text: `Could not read the file: ${errorText(err)}`, tone: 'warning' }] };
      }
      this.refresh();
    }, FILE_READ_DELAY_MS);
  }

  private bottomContent(): BottomContent {
    const ui = this.ui;
    const steps = this.session.steps;
    const width = this.layout.width - 2;
    const wrap = (content: BottomContent): BottomContent => ({ ...content, lines: wrapLines(content.lines, width) });
    const cached = (key: string, build: () => Omit<BottomContent, 'key'>): BottomContent => {
      const full = `${key}|${width}`;
      if (this.bottomCache?.key === full) return this.bottomCache;
      return wrap({ key: full, ...build() });
    };
    if (ui.shell?.phase === 'review') {
      return { key: `shell-review:${this.shellId}:${ui.shell.line}:${ui.shell.editing}:${width}`, title: 'shell: keep or discard', lines: wrapLines(this.shellReviewLines(), width) };
    }
    const imageRow = ui.stepCursor >= steps.length;
    const view = ui.bottomView !== 'auto' ? ui.bottomView : ui.detailOf === 'layer' ? 'file' : imageRow ? 'image' : 'output';
    switch (view) {
      case 'image':
        return cached(`image:${this.imageView?.key ?? ''}`, () => ({
          title: 'image',
          lines:
            this.imageView?.kind === 'tree'
              ? imageReportLines(this.imageView.layers, this.imageView.trees, steps)
              : this.imageView?.kind === 'note'
                ? this.imageView.lines.map((text) => ({ text, tone: 'note' as const }))
                : [{ text: 'loading…', tone: 'note' }],
        }));
      case 'context':
        return cached(`context:${this.contextFiles?.length ?? 'none'}:${this.sessionVersion}`, () => ({
          title: 'context',
          lines: this.session.contextFiles
            ? this.contextFiles
              ? contextLines(this.contextFiles, steps, this.session.contextDir)
              : [{ text: 'loading…', tone: 'note' }]
            : contextLines(undefined, steps, this.session.contextDir),
        }));
      case 'file': {
        const node = this.rows?.rows[ui.layerCursor];
        const viewNow = this.view;
        const key = `file:${viewNow?.key ?? ''}:${node?.path ?? ''}`;
        if (this.fileContent?.key === `${key}|${width}`) return this.fileContent;
        if (!viewNow) return { key: 'file:loading', title: 'file', lines: [{ text: 'loading…', tone: 'note' }] };
        if (viewNow.kind === 'note') return cached(key, () => ({ title: 'file', lines: viewNow.lines.map((text) => ({ text, tone: 'note' as const })) }));
        if (!node) return cached(key, () => ({ title: 'file', lines: [{ text: 'No file in view (check the filters and the find text).', tone: 'note' }] }));
        const source = { session: this.session, layers: viewNow.layers, afterStep: viewNow.afterStep, beforeStep: viewNow.beforeStep };
        // Reading a file from the store may take a while: draw the moved cursor
        // first, and read once the keys stop for a moment.
        this.scheduleFileContent(key, width, () => ({ title: `file /${node.path}`, lines: fileViewLines(source, node) }));
        return { key: `${key}:quick`, title: `file /${node.path}`, lines: wrapLines(fileViewLines(source, node, { readContent: false }), width) };
      }
      case 'output': {
        const step = steps[Math.min(ui.stepCursor, steps.length - 1)];
        if (!step) return { key: 'empty', title: 'output', lines: [] };
        const log = this.session.log(step.index);
        return cached(`output:${step.index}:${step.status}:${log.length}:${this.sessionVersion}`, () => ({
          title: `output of step ${step.index + 1}`,
          lines: outputLines(step, log, basename(this.session.dockerfilePath)),
          follow: step.status === 'running',
        }));
      }
    }
  }
}

/** The key a single character of a burst stands for, as Ink would have reported it alone. */
export function keyOfChar(char: string): { input: string; key: KeyPress } {
  const code = char.charCodeAt(0);
  if (char === '\t') return { input: '', key: { tab: true } };
  if (char === '\r' || char === '\n') return { input: '', key: { return: true } };
  if (char === '\x7f' || char === '\b') return { input: '', key: { backspace: true } };
  if (char === '\x1b') return { input: '', key: { escape: true } };
  if (code >= 1 && code <= 26) return { input: String.fromCharCode(code + 96), key: { ctrl: true } };
  return { input: char, key: {} };
}

function wrapLines(lines: readonly ViewLine[], width: number): ViewLine[] {
  const out: ViewLine[] = [];
  for (const line of lines) {
    // Diffs and logs keep one line per line (cut at the edge); prose wraps.
    if (line.tone === 'note' || line.tone === 'warning' || line.tone === 'heading') {
      for (const text of wrapText(line.text, width)) out.push({ text, tone: line.tone });
    } else {
      out.push(line);
    }
  }
  return out;
}

function errorText(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
