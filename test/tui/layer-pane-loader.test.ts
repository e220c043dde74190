import { describe, expect, it } from 'vitest';
import { BottomPaneContent } from '../../src/tui/bottom-pane-content.js';
import { LayerPaneLoader, type LayerPaneHost } from '../../src/tui/layer-pane-loader.js';
import { CONTENT_PENDING } from '../../src/tui/model/file-view.js';
import { initialUiState, uiReducer, type UiAction, type UiState } from '../../src/tui/state/ui-state.js';
import { exampleSession } from './session-data.js';

const settle = (ms = 10) => new Promise((resolve) => setTimeout(resolve, ms));

/** The loader and the bottom pane over the example session, with the real reducer as their UI state. */
function setup() {
  const session = exampleSession();
  let ui: UiState = uiReducer(initialUiState(session.steps.length), { type: 'viewport', viewport: { steps: 10, layer: 10, bottom: 8 } });
  const dispatch = (action: UiAction): void => void (ui = uiReducer(ui, action));
  const messages: string[] = [];
  let changes = 0;
  const host: LayerPaneHost = {
    session,
    ui: () => ui,
    dispatch,
    message: (text) => void messages.push(text),
    viewChanged: () => void changes++,
    refresh: () => undefined,
    shellUnderReview: () => undefined,
  };
  const layers = new LayerPaneLoader(host);
  const bottom = new BottomPaneContent({
    ...host,
    width: () => 60,
    quitting: () => false,
    sessionVersion: () => 0,
    layers,
    shellReviewLines: () => [],
    shellId: () => 0,
  });
  return { session, layers, bottom, dispatch, ui: () => ui, messages, changes: () => changes };
}

describe('LayerPaneLoader', () => {
  it("loads the selected step's view and reports its row count to the UI state", async () => {
    const t = setup();
    t.dispatch({ type: 'step.select', index: 1 });
    t.layers.request();
    expect(t.layers.view).toBeUndefined();
    await settle();
    expect(t.layers.view?.kind).toBe('tree');
    expect(t.layers.rows.map((row) => row.path)).toEqual(['big', 'etc', 'etc/hosts', 'etc/motd']);
    expect(t.ui().layerRowCount).toBe(4);
    expect(t.changes()).toBe(1);
    // The same selection asks for nothing new.
    t.layers.request();
    await settle();
    expect(t.changes()).toBe(1);
  });

  it('drops the answer for a step the user has left', async () => {
    const t = setup();
    t.dispatch({ type: 'step.select', index: 1 });
    t.layers.request();
    t.dispatch({ type: 'step.select', index: 2 });
    t.layers.request();
    await settle();
    expect(t.changes()).toBe(1);
    expect(t.layers.rows.map((row) => `${row.diff} ${row.path}`)).toEqual(['removed big', 'unmodified etc', 'removed etc/motd']);
  });

  it('filters, collapses and expands, keeping the cursor on its path', async () => {
    const t = setup();
    t.dispatch({ type: 'step.select', index: 1 });
    t.layers.request();
    await settle();
    t.dispatch({ type: 'filter.toggle', diff: 'added' });
    t.layers.applyRowOptions();
    expect(t.layers.rows.map((row) => row.path)).toEqual(['etc', 'etc/hosts', 'etc/motd']);
    t.dispatch({ type: 'focus', pane: 'layer' });
    t.dispatch({ type: 'move', delta: 2 });
    expect(t.layers.cursorNode()?.path).toBe('etc/motd');
    t.layers.setAllCollapsed(true);
    expect(t.layers.rows.map((row) => row.path)).toEqual(['etc']);
    expect(t.ui().layerCursor).toBe(0);
    t.layers.setAllCollapsed(false);
    t.dispatch({ type: 'move', delta: 1 });
    expect(t.layers.cursorNode()?.path).toBe('etc/hosts');
    t.dispatch({ type: 'move', delta: -1 });
    t.layers.toggleAtCursor();
    expect(t.layers.isCollapsed(t.layers.rows[0]!)).toBe(true);
    expect(t.ui().layerRowCount).toBe(1);
  });

  it('loads the image report once per session version (a failed last step: no image yet)', async () => {
    const t = setup();
    t.dispatch({ type: 'bottom.view', view: 'image' });
    t.layers.requestImage(7);
    t.layers.requestImage(7);
    await settle();
    expect(t.layers.imageView).toMatchObject({ kind: 'note', lines: ['The image exists once every step has run.', 'c runs to the end.'] });
    expect(t.changes()).toBe(1);
    t.layers.requestImage(8);
    await settle();
    expect(t.changes()).toBe(2);
  });
});

describe('BottomPaneContent', () => {
  it("shows a file's header at once and its diff once the cursor rests", async () => {
    const t = setup();
    t.dispatch({ type: 'step.select', index: 1 });
    t.layers.request();
    await settle();
    t.dispatch({ type: 'focus', pane: 'layer' });
    t.dispatch({ type: 'move', delta: 3 });
    expect(t.layers.cursorNode()?.path).toBe('etc/motd');
    const quick = t.bottom.update();
    expect(quick.title).toBe('file /etc/motd');
    expect(quick.lines.map((line) => line.text)).toContain(CONTENT_PENDING);
    await settle(120);
    const read = t.bottom.update();
    expect(read.lines.map((line) => line.text)).toContain('+world');
    t.bottom.dispose();
  });

  it("shows the step's output, and builds it again only when invalidated or changed", () => {
    const t = setup();
    t.dispatch({ type: 'step.select', index: 1 });
    const first = t.bottom.update();
    expect(first.title).toBe('output of step 2');
    expect(first.lines.map((line) => line.text).join('\n')).toContain('compiling');
    expect(t.bottom.update()).toBe(first);
    t.bottom.invalidate();
    expect(t.bottom.shown.key).toBe('');
    expect(t.bottom.update()).not.toBe(first);
  });
});
