/**
 * The workbench's brain, without React: it owns the UI state (through the
 * pure reducer), listens to the build session, turns keys into commands of
 * the binding table and commands into session calls and state changes, and
 * hands the snapshot of what to draw to the components. Keeping the state
 * here, outside React, also lets a full-screen shell unmount Ink and come
 * back. Three parts live in classes of their own: the layer pane's views and
 * rows (LayerPaneLoader), the bottom pane's content (BottomPaneContent) and
 * the shell pane's flow (ShellController).
 */
import { readFileSync } from 'node:fs';
import { basename } from 'node:path';
import type { BuildEvent, SessionApi, StepState } from '../engine/session-types.js';
import type { DiffNode } from '../layers/tree-diff.js';
import { BottomPaneContent } from './bottom-pane-content.js';
import { commandForKey, keyName, type CommandId, type KeyPress } from './key-bindings.js';
import { cancelIdleCollection } from './idle-collection.js';
import { LayerPaneLoader } from './layer-pane-loader.js';
import { computeLayout, type Layout } from './layout.js';
import type { ViewLine } from './model/file-view.js';
import type { LayerView } from './model/layer-model.js';
import { ShellController, type ShellPaneView, type TerminalHandOff } from './shell-controller.js';
import { cursorRowIndex, stepRows, type StepRow } from './state/step-rows.js';
import { initialUiState, keyModeOf, shellHasKeys, uiReducer, type UiAction, type UiState } from './state/ui-state.js';

export type { ShellPaneView, TerminalHandOff } from './shell-controller.js';

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

export interface ControllerOptions {
  session: SessionApi;
  columns: number;
  rows: number;
  /** Called once the session is closed after q or Ctrl-C. */
  onQuit: () => void;
  /** How a shell gets the whole terminal (`f`); without it, `f` says it cannot. */
  handOff?: TerminalHandOff;
}

const EVENT_FRAME_MS = 16;
const TICK_MS = 100;

export class AppController {
  readonly session: SessionApi;
  private ui: UiState;
  private layout: Layout;
  private readonly layers: LayerPaneLoader;
  private readonly bottom: BottomPaneContent;
  private readonly shells: ShellController;
  private dockerfileLines: string[] = [];
  private dockerfileVersion = 0;
  private stepRowsCache: { key: string; rows: StepRow[] } | undefined;
  private breakpointsCache: { key: string; set: ReadonlySet<number> } | undefined;
  private sessionVersion = 0;
  private snapshot: Snapshot;
  private readonly listeners = new Set<() => void>();
  private pendingNotify: NodeJS.Timeout | undefined;
  private ticker: NodeJS.Timeout | undefined;
  private readonly unsubscribe: () => void;
  private quitting = false;
  private readonly onQuit: () => void;
  /** Set by handleRawInput for the input event Ink hands to handleInput next: the keys the shell did not take. */
  private rawHandled: { rest: string } | undefined;
  /** The Dockerfile as a kept shell wrote it: the file watcher's news of it is no news. */
  private ownDockerfileText: string | undefined;
  /** A save the watcher saw while a keep was writing the Dockerfile, replayed after it. */
  private deferredReplan: string | undefined;

  constructor(options: ControllerOptions) {
    this.session = options.session;
    this.onQuit = options.onQuit;
    this.layout = computeLayout(options.columns, options.rows);
    this.ui = uiReducer(initialUiState(this.session.steps.length), { type: 'viewport', viewport: this.layout.viewport });
    const common = {
      session: this.session,
      ui: () => this.ui,
      dispatch: (action: UiAction) => this.dispatch(action),
      message: (text: string, kind?: 'info' | 'error') => this.message(text, kind),
      refresh: () => this.refresh(),
    };
    this.shells = new ShellController(
      {
        ...common,
        layout: () => this.layout,
        quitting: () => this.quitting,
        invalidateBottom: () => this.bottom.invalidate(),
        finalStep: () => this.layers.model.finalStep(this.session.steps),
        forgetShellTrees: () => this.layers.model.forgetShells(),
        kept: (index, line) => this.shellKept(index, line),
        keepSettled: () => this.replayDeferredReplan(),
      },
      options.handOff,
    );
    this.layers = new LayerPaneLoader({
      ...common,
      viewChanged: () => {
        this.bottom.invalidate();
        this.refresh();
      },
      shellUnderReview: () => this.shells.underReview(),
    });
    this.bottom = new BottomPaneContent({
      ...common,
      width: () => this.layout.width - 2,
      quitting: () => this.quitting,
      sessionVersion: () => this.sessionVersion,
      layers: this.layers,
      shellReviewLines: () => this.shells.reviewLines(),
      shellId: () => this.shells.id,
    });
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
    return {
      ui: this.ui,
      layout: this.layout,
      // The clock only matters while a step runs (spinner, elapsed time); a fixed value lets panes skip redraws.
      now: this.ticker ? Date.now() : 0,
      steps: this.session.steps,
      breakpoints: this.currentBreakpoints(),
      stepRows: this.currentStepRows(),
      layerView: this.layers.view,
      layerRows: this.layers.rows,
      isCollapsed: this.layers.isCollapsed,
      bottom: this.bottom.shown,
      shell: this.shells.paneView(),
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
    this.layers.request();
    this.layers.requestImage(this.sessionVersion);
    const bottom = this.bottom.update();
    this.dispatch({ type: 'bottom.lines', count: bottom.lines.length, follow: bottom.follow ?? false });
    this.updateTicker();
    this.notify();
  }

  resize(columns: number, rows: number): void {
    this.layout = computeLayout(columns, rows);
    this.dispatch({ type: 'viewport', viewport: this.layout.viewport });
    this.shells.resize();
    this.bottom.invalidate();
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
    if (event.type !== 'log') this.bottom.contextChanged();
    switch (event.type) {
      case 'plan':
        this.readDockerfile();
        this.dispatch({ type: 'plan', stepCount: event.steps.length });
        this.layers.model.forgetPartial();
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
        this.layers.model.forgetPartial();
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
    this.rawHandled = { rest: this.shells.takeKeys(data) };
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
    this.bottom.invalidate();
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
    this.layers.applyRowOptions();
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
        this.shells.open();
        break;
      case 'shell.before':
      case 'shell.after':
        if (ui.shell?.phase === 'choose') this.shells.start(ui.shell.step, command === 'shell.before' ? 'before' : 'after');
        break;
      case 'shell.fullScreen':
        this.shells.goFullScreen();
        break;
      case 'shell.close':
        if (this.ui.shell && this.ui.shell.phase !== 'choose') this.shells.discard('The shell pane is closed; the shell ended and its changes were thrown away.');
        else this.message('No shell is open: s opens one at the selected step.');
        break;
      case 'shell.leave':
        // The raw input path leaves the shell; here the key means nothing.
        break;
      case 'shell.keep':
        this.shells.keep();
        break;
      case 'shell.editLine':
        this.dispatch({ type: 'shell.line.edit' });
        this.bottom.invalidate();
        break;
      case 'shell.discard':
        this.shells.discard("The shell's changes were thrown away.");
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
        this.layers.setAllCollapsed(command === 'tree.collapseAll');
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
        this.layers.applyRowOptions();
        break;
      case 'filter.added':
      case 'filter.modified':
      case 'filter.deleted':
      case 'filter.unchanged': {
        const diff = ({ 'filter.added': 'added', 'filter.modified': 'modified', 'filter.deleted': 'removed', 'filter.unchanged': 'unmodified' } as const)[command];
        this.dispatch({ type: 'filter.toggle', diff });
        this.layers.applyRowOptions();
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
        this.layers.applyRowOptions();
        break;
      case 'app.quit':
        void this.quit();
        return;
    }
    this.refresh();
  }

  private toggleItem(): void {
    if (this.ui.focus === 'steps') {
      const step = this.session.steps[this.ui.stepCursor];
      if (step && step.endLine > step.startLine) this.dispatch({ type: 'step.unfold.toggle', index: step.index });
      return;
    }
    if (this.ui.focus === 'layer') this.layers.toggleAtCursor();
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

  async quit(): Promise<void> {
    if (this.quitting) return;
    this.quitting = true;
    this.message('Closing the build session…');
    this.notify();
    this.dispose();
    try {
      // The session discards open shells too; ours also frees its screen.
      await this.shells.close();
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
    this.bottom.dispose();
    cancelIdleCollection();
    this.ticker = undefined;
    this.pendingNotify = undefined;
  }

  // ---- the Dockerfile changes ---------------------------------------------------

  /** A saved Dockerfile: re-plan, keeping every step above the first change. */
  replan(text: string): void {
    // A kept shell writes the Dockerfile and re-plans itself: wait for it, then see whether the save was ours.
    if (this.shells.keeping) {
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
        this.bottom.invalidate();
        this.refresh();
      },
      (err: unknown) => {
        this.message(`Dockerfile not re-planned: ${errorText(err)}`, 'error');
        this.refresh();
      },
    );
  }

  /** A shell's changes became step `index`: the engine wrote the Dockerfile and re-planned. */
  private shellKept(index: number, line: string): void {
    // The watcher's news of the write is old news.
    this.readDockerfile();
    this.ownDockerfileText = this.dockerfileLines.join('\n');
    this.dispatch({ type: 'shell.closed' });
    this.dispatch({ type: 'plan', stepCount: this.session.steps.length });
    this.dispatch({ type: 'focus', pane: 'steps' });
    this.dispatch({ type: 'step.select', index, follow: false });
    this.message(`Kept as step ${index + 1}: ${line} (the steps below it are pending again).`);
    this.bottom.invalidate();
  }

  private replayDeferredReplan(): void {
    const text = this.deferredReplan;
    this.deferredReplan = undefined;
    if (text !== undefined) this.replan(text);
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

function errorText(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
