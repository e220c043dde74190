/**
 * The workbench's UI state as one plain reducer: which pane has focus, where
 * the cursors are, the layer pane's view options, the find input, help and
 * the message line. No React and no session here; the controller feeds in
 * what it knows (row counts, pane heights) through actions.
 */
import type { DiffType } from '../../layers/tree-diff.js';
import type { RowSort } from '../../layers/tree-rows.js';
import type { KeyMode } from '../key-bindings.js';

export type Pane = 'steps' | 'layer' | 'bottom';
export const PANES: readonly Pane[] = ['steps', 'layer', 'bottom'];

/** What the bottom pane shows; 'auto' follows the focus (output for a step, file for a layer row). */
export type BottomView = 'auto' | 'output' | 'image' | 'context';

/** "this layer only", "everything up to this layer", or the range A..B. */
export type LayerMode = 'layer' | 'upto' | 'range';
export const LAYER_MODES: readonly LayerMode[] = ['layer', 'upto', 'range'];

export interface Message {
  text: string;
  kind: 'info' | 'error';
}

export interface FindState {
  /** The input line is open and takes the keys. */
  editing: boolean;
  text: string;
  regex: boolean;
}

export type ShellState = 'before' | 'after';

/**
 * The shell pane's part of the UI. choose: a failed RUN asks which state to
 * open; opening and running: the pane shows the shell (it has the keys while
 * the bottom pane has focus); review: the shell exited, the layer pane shows
 * its changes and the RUN line waits to be kept or discarded.
 */
export type ShellUi =
  | { phase: 'choose'; step: number }
  | { phase: 'opening' | 'running'; step: number; state: ShellState }
  | {
      phase: 'review';
      step: number;
      state: ShellState;
      exitCode: number;
      changeCount: number;
      /** The RUN line to keep, built from the commands typed; the user may edit it. */
      line: string;
      editing: boolean;
      /** Why keeping is not possible (nothing changed, on top of a failed step), or undefined. */
      cannotKeep: string | undefined;
    };

export interface Viewport {
  /** Rows of content (borders excluded) in each pane. */
  steps: number;
  layer: number;
  bottom: number;
}

export interface UiState {
  focus: Pane;
  /** The top pane focused last: the bottom pane shows its details (output for steps, file for layer). */
  detailOf: 'steps' | 'layer';
  /** Index into the steps pane's selectable rows: 0..stepCount-1 are steps, stepCount is the image row. */
  stepCursor: number;
  stepCount: number;
  /** First steps-pane line drawn. */
  stepScroll: number;
  /** Steps whose multi-line instruction is shown unfolded. */
  unfolded: ReadonlySet<number>;
  /** Move the cursor to each step as it starts (until the user moves it). */
  followRunning: boolean;
  layerMode: LayerMode;
  /** Step A of a range A..B (B is the cursor). */
  rangeStart: number | undefined;
  diffTypes: ReadonlySet<DiffType>;
  sortBy: RowSort;
  find: FindState;
  layerCursor: number;
  layerScroll: number;
  layerRowCount: number;
  bottomView: BottomView;
  /** First line drawn in the bottom pane; undefined follows the end of a live log. */
  bottomScroll: number | undefined;
  bottomLineCount: number;
  help: boolean;
  helpScroll: number;
  message: Message | undefined;
  viewport: Viewport;
  shell: ShellUi | undefined;
}

export const ALL_DIFF_TYPES: readonly DiffType[] = ['added', 'modified', 'removed', 'unmodified'];

export function initialUiState(stepCount = 0): UiState {
  return {
    focus: 'steps',
    detailOf: 'steps',
    stepCursor: 0,
    stepCount,
    stepScroll: 0,
    unfolded: new Set(),
    followRunning: true,
    layerMode: 'layer',
    rangeStart: undefined,
    diffTypes: new Set(ALL_DIFF_TYPES),
    sortBy: 'name',
    find: { editing: false, text: '', regex: false },
    layerCursor: 0,
    layerScroll: 0,
    layerRowCount: 0,
    bottomView: 'auto',
    bottomScroll: undefined,
    bottomLineCount: 0,
    help: false,
    helpScroll: 0,
    message: undefined,
    viewport: { steps: 10, layer: 10, bottom: 8 },
    shell: undefined,
  };
}

export type UiAction =
  | { type: 'plan'; stepCount: number }
  | { type: 'viewport'; viewport: Viewport }
  | { type: 'focus'; pane: Pane }
  | { type: 'focus.cycle'; direction: 1 | -1 }
  /** Moves the focused pane's cursor (or scrolls the bottom pane) by `delta` rows; ±Infinity for first/last. */
  | { type: 'move'; delta: number }
  | { type: 'page'; direction: 1 | -1 }
  | { type: 'step.select'; index: number; follow?: boolean }
  | { type: 'step.unfold.toggle'; index: number }
  /** Keeps the cursor's row (`row` of `count` drawn rows) in view. */
  | { type: 'steps.scroll'; row: number; count: number }
  | { type: 'step.started'; index: number }
  | { type: 'follow'; on: boolean }
  | { type: 'layer.rows'; count: number; keepCursor?: number }
  | { type: 'layer.mode.cycle' }
  | { type: 'layer.range.mark' }
  | { type: 'layer.sort.toggle' }
  | { type: 'filter.toggle'; diff: DiffType }
  | { type: 'find.open' }
  | { type: 'find.input'; text: string }
  | { type: 'find.backspace' }
  | { type: 'find.regex.toggle' }
  | { type: 'find.close'; keep: boolean }
  | { type: 'bottom.view'; view: BottomView }
  /** The bottom pane's content has `count` lines; `follow` when it is a live log whose end matters. */
  | { type: 'bottom.lines'; count: number; follow: boolean }
  | { type: 'help.toggle' }
  | { type: 'message'; message: Message | undefined }
  | { type: 'back' }
  | { type: 'layer.mode.set'; mode: LayerMode }
  /** A failed RUN: ask whether the shell opens before or after it. */
  | { type: 'shell.choose'; step: number }
  | { type: 'shell.opening'; step: number; state: ShellState }
  | { type: 'shell.running' }
  | { type: 'shell.exited'; exitCode: number; changeCount: number; line: string; cannotKeep: string | undefined }
  | { type: 'shell.line.edit' }
  | { type: 'shell.line.input'; text: string }
  | { type: 'shell.line.backspace' }
  /** Ends editing the RUN line (the edit stays). */
  | { type: 'shell.line.done' }
  /** The shell is gone (discarded, kept, failed to open, or the choice was cancelled). */
  | { type: 'shell.closed' };

function clamp(value: number, low: number, high: number): number {
  return Math.max(low, Math.min(high, value));
}

/** The scroll that keeps `cursor` in a window of `height` rows, moving as little as possible. */
export function scrollToShow(scroll: number, cursor: number, height: number, count: number): number {
  const maxScroll = Math.max(0, count - height);
  let next = scroll;
  if (cursor < next) next = cursor;
  if (cursor >= next + height) next = cursor - height + 1;
  return clamp(next, 0, maxScroll);
}

function moveLayerCursor(state: UiState, cursor: number): UiState {
  const count = state.layerRowCount;
  const layerCursor = count === 0 ? 0 : clamp(cursor, 0, count - 1);
  return {
    ...state,
    layerCursor,
    layerScroll: scrollToShow(state.layerScroll, layerCursor, state.viewport.layer, count),
    // Another file: its view starts at the top.
    bottomScroll: layerCursor === state.layerCursor || state.detailOf !== 'layer' ? state.bottomScroll : 0,
  };
}

function selectStep(state: UiState, index: number, follow: boolean): UiState {
  const stepCursor = clamp(index, 0, state.stepCount);
  if (stepCursor === state.stepCursor && follow === state.followRunning) return state;
  return {
    ...state,
    stepCursor,
    followRunning: follow,
    // A new step shows a new layer and a new log.
    layerCursor: stepCursor === state.stepCursor ? state.layerCursor : 0,
    layerScroll: stepCursor === state.stepCursor ? state.layerScroll : 0,
    bottomScroll: stepCursor === state.stepCursor ? state.bottomScroll : undefined,
  };
}

function scrollBottom(state: UiState, delta: number): UiState {
  const height = state.viewport.bottom;
  const maxScroll = Math.max(0, state.bottomLineCount - height);
  const current = state.bottomScroll ?? maxScroll;
  const next = delta === -Infinity ? 0 : delta === Infinity ? maxScroll : clamp(current + delta, 0, maxScroll);
  // Scrolling to the end means following the live end again.
  return { ...state, bottomScroll: next >= maxScroll && delta > 0 ? undefined : next };
}

function move(state: UiState, delta: number): UiState {
  switch (state.focus) {
    case 'steps': {
      const target = delta === -Infinity ? 0 : delta === Infinity ? state.stepCount : state.stepCursor + delta;
      return selectStep(state, target, false);
    }
    case 'layer': {
      const target = delta === -Infinity ? 0 : delta === Infinity ? state.layerRowCount - 1 : state.layerCursor + delta;
      return moveLayerCursor(state, target);
    }
    case 'bottom':
      return scrollBottom(state, delta);
  }
}

function focus(state: UiState, pane: Pane): UiState {
  const detailOf = pane === 'bottom' ? state.detailOf : pane;
  // The bottom pane shows other content now: start at its top (a log follows its end).
  const bottomScroll = detailOf === state.detailOf ? state.bottomScroll : detailOf === 'steps' ? undefined : 0;
  return { ...state, focus: pane, detailOf, bottomScroll };
}

function toggled<T>(set: ReadonlySet<T>, value: T): Set<T> {
  const next = new Set(set);
  if (!next.delete(value)) next.add(value);
  return next;
}

export function uiReducer(state: UiState, action: UiAction): UiState {
  switch (action.type) {
    case 'plan': {
      const stepCursor = clamp(state.stepCursor, 0, action.stepCount);
      const unfolded = new Set([...state.unfolded].filter((i) => i < action.stepCount));
      const rangeStart = state.rangeStart !== undefined && state.rangeStart < action.stepCount ? state.rangeStart : undefined;
      return { ...state, stepCount: action.stepCount, stepCursor, unfolded, rangeStart };
    }
    case 'viewport':
      return {
        ...state,
        viewport: action.viewport,
        layerScroll: scrollToShow(state.layerScroll, state.layerCursor, action.viewport.layer, state.layerRowCount),
      };
    case 'focus':
      return focus(state, action.pane);
    case 'focus.cycle': {
      const at = PANES.indexOf(state.focus);
      return focus(state, PANES[(at + action.direction + PANES.length) % PANES.length]!);
    }
    case 'move':
      return move(state, action.delta);
    case 'page': {
      const height = state.focus === 'steps' ? state.viewport.steps : state.focus === 'layer' ? state.viewport.layer : state.viewport.bottom;
      return move(state, action.direction * Math.max(1, height - 1));
    }
    case 'step.select':
      return selectStep(state, action.index, action.follow ?? state.followRunning);
    case 'steps.scroll': {
      const stepScroll = scrollToShow(state.stepScroll, action.row, state.viewport.steps, action.count);
      return stepScroll === state.stepScroll ? state : { ...state, stepScroll };
    }
    case 'step.unfold.toggle':
      return { ...state, unfolded: toggled(state.unfolded, action.index) };
    case 'step.started':
      return state.followRunning ? selectStep(state, action.index, true) : state;
    case 'follow':
      return { ...state, followRunning: action.on };
    case 'layer.rows': {
      const next = { ...state, layerRowCount: action.count };
      return moveLayerCursor(next, action.keepCursor ?? state.layerCursor);
    }
    case 'layer.mode.cycle': {
      const at = LAYER_MODES.indexOf(state.layerMode);
      let layerMode = LAYER_MODES[(at + 1) % LAYER_MODES.length]!;
      // A range needs a start; without one, the cycle skips it.
      if (layerMode === 'range' && state.rangeStart === undefined) layerMode = 'layer';
      return { ...state, layerMode, layerCursor: 0, layerScroll: 0 };
    }
    case 'layer.range.mark':
      return { ...state, rangeStart: state.stepCursor, layerMode: 'range', layerCursor: 0, layerScroll: 0 };
    case 'layer.sort.toggle':
      return { ...state, sortBy: state.sortBy === 'name' ? 'size' : 'name', layerCursor: 0, layerScroll: 0 };
    case 'filter.toggle':
      return { ...state, diffTypes: toggled(state.diffTypes, action.diff), layerCursor: 0, layerScroll: 0 };
    case 'find.open':
      return { ...focus(state, 'layer'), find: { ...state.find, editing: true } };
    case 'find.input':
      return { ...state, find: { ...state.find, text: state.find.text + action.text }, layerCursor: 0, layerScroll: 0 };
    case 'find.backspace':
      return { ...state, find: { ...state.find, text: state.find.text.slice(0, -1) }, layerCursor: 0, layerScroll: 0 };
    case 'find.regex.toggle':
      return { ...state, find: { ...state.find, regex: !state.find.regex } };
    case 'find.close':
      return {
        ...state,
        find: action.keep ? { ...state.find, editing: false } : { editing: false, text: '', regex: state.find.regex },
      };
    case 'bottom.view':
      return {
        ...state,
        // Asking again for the view already shown goes back to following the selection.
        bottomView: state.bottomView === action.view ? 'auto' : action.view,
        bottomScroll: action.view === 'output' ? undefined : 0,
      };
    case 'bottom.lines': {
      // Content that does not grow starts at its top (a failure banner comes first).
      const fromTop = !action.follow && state.bottomScroll === undefined ? 0 : state.bottomScroll;
      if (action.count === state.bottomLineCount && fromTop === state.bottomScroll) return state;
      const maxScroll = Math.max(0, action.count - state.viewport.bottom);
      const bottomScroll = fromTop === undefined ? undefined : Math.min(fromTop, maxScroll);
      return { ...state, bottomLineCount: action.count, bottomScroll };
    }
    case 'help.toggle':
      return { ...state, help: !state.help, helpScroll: 0 };
    case 'message':
      return { ...state, message: action.message };
    case 'layer.mode.set':
      return { ...state, layerMode: action.mode, layerCursor: 0, layerScroll: 0 };
    case 'shell.choose':
      return { ...state, shell: { phase: 'choose', step: action.step } };
    case 'shell.opening':
      // The pane takes the keys at once: the user asked for a shell to type into.
      return { ...focus(state, 'bottom'), shell: { phase: 'opening', step: action.step, state: action.state } };
    case 'shell.running':
      return state.shell?.phase === 'opening' ? { ...state, shell: { ...state.shell, phase: 'running' } } : state;
    case 'shell.exited': {
      const shell = state.shell;
      if (!shell || (shell.phase !== 'running' && shell.phase !== 'opening')) return state;
      const { type: _type, ...outcome } = action;
      // The layer pane shows what the shell changed: look there first.
      return {
        ...focus(state, 'layer'),
        layerCursor: 0,
        layerScroll: 0,
        shell: { phase: 'review', step: shell.step, state: shell.state, ...outcome, editing: false },
      };
    }
    case 'shell.line.edit':
      return state.shell?.phase === 'review' && !state.shell.cannotKeep ? { ...state, shell: { ...state.shell, editing: true } } : state;
    case 'shell.line.input':
      return state.shell?.phase === 'review' && state.shell.editing ? { ...state, shell: { ...state.shell, line: state.shell.line + action.text } } : state;
    case 'shell.line.backspace':
      return state.shell?.phase === 'review' && state.shell.editing ? { ...state, shell: { ...state.shell, line: state.shell.line.slice(0, -1) } } : state;
    case 'shell.line.done':
      return state.shell?.phase === 'review' ? { ...state, shell: { ...state.shell, editing: false } } : state;
    case 'shell.closed':
      return { ...state, shell: undefined, focus: state.shell && state.focus === 'bottom' ? 'steps' : state.focus, detailOf: state.shell && state.focus === 'bottom' ? 'steps' : state.detailOf };
    case 'back':
      if (state.help) return { ...state, help: false };
      if (state.shell?.phase === 'choose') return { ...state, shell: undefined };
      if (state.shell?.phase === 'review' && state.shell.editing) return { ...state, shell: { ...state.shell, editing: false } };
      if (state.find.editing || state.find.text !== '') {
        return { ...state, find: { editing: false, text: '', regex: state.find.regex }, layerCursor: 0, layerScroll: 0 };
      }
      if (state.message) return { ...state, message: undefined };
      if (state.bottomView !== 'auto') return { ...state, bottomView: 'auto', bottomScroll: undefined };
      return state;
  }
}

/** Whether keys go to the shell: it runs and the bottom pane, where it is drawn, has focus. */
export function shellHasKeys(state: UiState): boolean {
  return (state.shell?.phase === 'running' || state.shell?.phase === 'opening') && state.focus === 'bottom' && !state.help;
}

/** Which bindings the keys follow now (see key-bindings.ts). */
export function keyModeOf(state: UiState): KeyMode {
  if (shellHasKeys(state)) return 'shellInput';
  if (state.shell?.phase === 'choose') return 'shellChoice';
  if (state.shell?.phase === 'review' && !state.shell.editing) return 'shellReview';
  return 'main';
}

/** The find text as the row filter wants it; an invalid regex finds nothing rather than throwing. */
export function findPattern(find: FindState): string | RegExp | undefined {
  if (find.text === '') return undefined;
  if (!find.regex) return find.text;
  try {
    return new RegExp(find.text);
  } catch {
    return /(?!)/;
  }
}

/** Whether the find text is a regex that does not compile, for the prompt to say so. */
export function findError(find: FindState): string | undefined {
  if (!find.regex || find.text === '') return undefined;
  try {
    new RegExp(find.text);
    return undefined;
  } catch (err) {
    return (err as Error).message;
  }
}
