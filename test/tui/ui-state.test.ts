import { describe, expect, it } from 'vitest';
import { findError, findPattern, initialUiState, scrollToShow, uiReducer, type UiAction, type UiState } from '../../src/tui/state/ui-state.js';

function run(state: UiState, ...actions: UiAction[]): UiState {
  return actions.reduce(uiReducer, state);
}

const viewport = { type: 'viewport', viewport: { steps: 5, layer: 4, bottom: 3 } } as const;

describe('uiReducer', () => {
  it('moves the step cursor within the steps and the image row, and stops following the build', () => {
    let state = run(initialUiState(3), viewport);
    expect(state.followRunning).toBe(true);
    state = run(state, { type: 'move', delta: 1 }, { type: 'move', delta: 1 }, { type: 'move', delta: 1 }, { type: 'move', delta: 1 });
    expect(state.stepCursor).toBe(3); // the image row
    expect(state.followRunning).toBe(false);
    state = run(state, { type: 'move', delta: -Infinity });
    expect(state.stepCursor).toBe(0);
  });

  it('follows a starting step only while following', () => {
    let state = run(initialUiState(5), { type: 'step.started', index: 2 });
    expect(state.stepCursor).toBe(2);
    state = run(state, { type: 'move', delta: -1 }, { type: 'step.started', index: 3 });
    expect(state.stepCursor).toBe(1);
    state = run(state, { type: 'follow', on: true }, { type: 'step.started', index: 4 });
    expect(state.stepCursor).toBe(4);
  });

  it('cycles focus through steps, layer and bottom, and remembers which top pane the bottom details', () => {
    let state = run(initialUiState(3), { type: 'focus.cycle', direction: 1 });
    expect(state.focus).toBe('layer');
    expect(state.detailOf).toBe('layer');
    state = run(state, { type: 'focus.cycle', direction: 1 });
    expect(state.focus).toBe('bottom');
    expect(state.detailOf).toBe('layer');
    state = run(state, { type: 'focus.cycle', direction: 1 });
    expect(state.focus).toBe('steps');
    state = run(state, { type: 'focus.cycle', direction: -1 });
    expect(state.focus).toBe('bottom');
    expect(state.detailOf).toBe('steps');
  });

  it('keeps the layer cursor inside the rows and scrolls it into view', () => {
    let state = run(initialUiState(3), viewport, { type: 'focus', pane: 'layer' }, { type: 'layer.rows', count: 10 });
    state = run(state, { type: 'move', delta: 6 });
    expect(state.layerCursor).toBe(6);
    expect(state.layerScroll).toBe(3);
    state = run(state, { type: 'page', direction: 1 });
    expect(state.layerCursor).toBe(9);
    expect(state.layerScroll).toBe(6);
    state = run(state, { type: 'layer.rows', count: 2 });
    expect(state.layerCursor).toBe(1);
    expect(state.layerScroll).toBe(0);
    state = run(state, { type: 'move', delta: Infinity });
    expect(state.layerCursor).toBe(1);
  });

  it('resets the layer cursor when the step changes', () => {
    let state = run(initialUiState(3), viewport, { type: 'layer.rows', count: 10 }, { type: 'focus', pane: 'layer' }, { type: 'move', delta: 5 });
    expect(state.layerCursor).toBe(5);
    state = run(state, { type: 'step.select', index: 2 });
    expect(state.layerCursor).toBe(0);
  });

  it('toggles diff filters and sort, and cycles layer modes (range only with a start)', () => {
    let state = run(initialUiState(4), { type: 'filter.toggle', diff: 'unmodified' });
    expect([...state.diffTypes].sort()).toEqual(['added', 'modified', 'removed']);
    state = run(state, { type: 'filter.toggle', diff: 'unmodified' }, { type: 'layer.sort.toggle' });
    expect(state.diffTypes.has('unmodified')).toBe(true);
    expect(state.sortBy).toBe('size');
    state = run(state, { type: 'layer.mode.cycle' });
    expect(state.layerMode).toBe('upto');
    state = run(state, { type: 'layer.mode.cycle' });
    expect(state.layerMode).toBe('layer');
    state = run(state, { type: 'step.select', index: 1 }, { type: 'layer.range.mark' });
    expect(state.layerMode).toBe('range');
    expect(state.rangeStart).toBe(1);
    state = run(state, { type: 'layer.mode.cycle' });
    expect(state.layerMode).toBe('layer');
    state = run(state, { type: 'layer.mode.cycle' }, { type: 'layer.mode.cycle' });
    expect(state.layerMode).toBe('range');
  });

  it('edits the find text, and escape clears it', () => {
    let state = run(initialUiState(1), { type: 'find.open' }, { type: 'find.input', text: 'etc' }, { type: 'find.input', text: 'x' }, { type: 'find.backspace' });
    expect(state.find).toEqual({ editing: true, text: 'etc', regex: false });
    expect(state.focus).toBe('layer');
    state = run(state, { type: 'find.close', keep: true });
    expect(state.find.editing).toBe(false);
    expect(findPattern(state.find)).toBe('etc');
    state = run(state, { type: 'back' });
    expect(state.find.text).toBe('');
  });

  it('treats a regex find as a RegExp, and a broken one as matching nothing with an error to show', () => {
    const ok = { editing: false, text: '\\.txt$', regex: true };
    expect(findPattern(ok)).toEqual(/\.txt$/);
    const broken = { editing: false, text: '(', regex: true };
    expect((findPattern(broken) as RegExp).test('anything')).toBe(false);
    expect(findError(broken)).toMatch(/Invalid regular expression/);
    expect(findError(ok)).toBeUndefined();
  });

  it('follows the end of a live log, starts other content at its top, and pins a view until asked again', () => {
    let state = run(initialUiState(2), viewport, { type: 'bottom.lines', count: 10, follow: true });
    expect(state.bottomScroll).toBeUndefined();
    state = run(state, { type: 'bottom.lines', count: 12, follow: false });
    expect(state.bottomScroll).toBe(0);
    state = run(state, { type: 'focus', pane: 'bottom' }, { type: 'move', delta: 4 });
    expect(state.bottomScroll).toBe(4);
    state = run(state, { type: 'move', delta: Infinity });
    expect(state.bottomScroll).toBeUndefined();
    state = run(state, { type: 'bottom.view', view: 'image' });
    expect(state.bottomView).toBe('image');
    state = run(state, { type: 'bottom.view', view: 'image' });
    expect(state.bottomView).toBe('auto');
  });

  it('escape closes help first, then find, then the message, then a pinned view', () => {
    let state = run(
      initialUiState(1),
      { type: 'bottom.view', view: 'context' },
      { type: 'message', message: { text: 'hi', kind: 'info' } },
      { type: 'find.open' },
      { type: 'help.toggle' },
    );
    state = run(state, { type: 'back' });
    expect(state.help).toBe(false);
    expect(state.find.editing).toBe(true);
    state = run(state, { type: 'back' });
    expect(state.find.editing).toBe(false);
    expect(state.message).toBeDefined();
    state = run(state, { type: 'back' });
    expect(state.message).toBeUndefined();
    state = run(state, { type: 'back' });
    expect(state.bottomView).toBe('auto');
  });

  it('clamps the cursor and forgets unfolded steps and range starts past a shorter plan', () => {
    let state = run(initialUiState(10), { type: 'step.select', index: 9 }, { type: 'step.unfold.toggle', index: 8 }, { type: 'layer.range.mark' });
    state = run(state, { type: 'plan', stepCount: 5 });
    expect(state.stepCursor).toBe(5);
    expect(state.unfolded.size).toBe(0);
    expect(state.rangeStart).toBeUndefined();
  });
});

describe('scrollToShow', () => {
  it('moves as little as possible', () => {
    expect(scrollToShow(0, 3, 5, 20)).toBe(0);
    expect(scrollToShow(0, 7, 5, 20)).toBe(3);
    expect(scrollToShow(10, 4, 5, 20)).toBe(4);
    expect(scrollToShow(18, 19, 5, 20)).toBe(15);
    expect(scrollToShow(3, 0, 5, 2)).toBe(0);
  });
});
