import { render } from 'ink-testing-library';
import { afterEach, describe, expect, it } from 'vitest';
import { AppController } from '../../src/tui/app-controller.js';
import { App } from '../../src/tui/components/App.js';
import { LayerPane, layerRowSegments, METADATA_MARKER } from '../../src/tui/components/LayerPane.js';
import { panelTopLine } from '../../src/tui/components/Panel.js';
import { createTheme, ThemeContext } from '../../src/tui/theme.js';
import { exampleSession } from './session-data.js';

const settle = () => new Promise((resolve) => setTimeout(resolve, 80));
let cleanup: (() => void) | undefined;
afterEach(() => cleanup?.());

function mount(columns = 100, rows = 30) {
  const session = exampleSession();
  let quit = false;
  const controller = new AppController({ session, columns, rows, onQuit: () => (quit = true) });
  const view = render(
    <ThemeContext.Provider value={createTheme(true)}>
      <App controller={controller} />
    </ThemeContext.Provider>,
  );
  cleanup = () => {
    view.unmount();
    controller.dispose();
  };
  const frame = () => view.lastFrame() ?? '';
  const keys = async (input: string, key: Parameters<AppController['handleInput']>[1] = {}) => {
    controller.handleInput(input, key);
    await settle();
  };
  return { controller, session, frame, keys, quitted: () => quit };
}

describe('App', () => {
  it('draws rows - 1 lines: steps, layer, bottom pane and the hint bar', async () => {
    const { frame } = mount(100, 30);
    await settle();
    const lines = frame().split('\n');
    expect(lines).toHaveLength(29);
    expect(lines[0]).toMatch(/^┏━ Dockerfile ━/);
    expect(frame()).toContain('1 FROM busybox · this layer only');
    expect(lines.at(-1)).toMatch(/^n step {2}c continue/);
    expect(lines.every((line) => line.length <= 100)).toBe(true);
  });

  it('moves through steps, shows a config-only note and a failure banner', async () => {
    const { frame, keys } = mount();
    await keys('jjj');
    expect(frame()).toContain('ENV changes only the image config: this step adds no layer.');
    await keys('j');
    expect(frame()).toContain('✖ Step 5 failed at Dockerfile:5: exit code 1');
    expect(frame()).toContain('5 RUN false · partial writes');
    expect(frame()).toMatch(/\+ +half\.txt/);
  });

  it('opens a file\'s diff from the layer pane, filters and finds', async () => {
    const { frame, keys } = mount();
    await keys('j');
    await keys('', { tab: true });
    expect(frame()).toMatch(new RegExp(`\\${METADATA_MARKER} +hosts +\\[mode\\]`));
    await keys('jjj');
    expect(frame()).toContain('file /etc/motd');
    expect(frame()).toContain('+world');
    await keys('a');
    expect(frame()).not.toMatch(/\+ +big/);
    await keys('a/');
    await keys('mot');
    expect(frame()).toContain('find: mot');
    expect(frame()).toMatch(/show \+~-= +sort name +find "mot" +2 rows/);
    await keys('', { return: true });
    await keys('', { escape: true });
    expect(frame()).toMatch(/4 rows/);
  });

  it('collapses a directory with space and shows its rolled-up counts', async () => {
    const { frame, keys } = mount();
    await keys('j');
    await keys('', { tab: true });
    await keys('j');
    await keys(' ');
    expect(frame()).toMatch(/▸ etc\/ +~2/);
    expect(frame()).not.toMatch(/~ +motd/);
  });

  it('shows the help from the binding table and a clear message for the missing shell', async () => {
    const { frame, keys } = mount();
    await keys('?');
    expect(frame()).toContain('keys (? or esc closes)');
    expect(frame()).toContain('re-run from the selected step');
    await keys('?');
    await keys('s');
    expect(frame()).toContain('No shell: this build of the engine cannot open one yet');
  });

  it('reflows on resize and quits through session.close', async () => {
    const { controller, frame, keys, quitted } = mount();
    controller.resize(80, 24);
    await settle();
    const lines = frame().split('\n');
    expect(lines).toHaveLength(23);
    expect(lines.every((line) => line.length <= 80)).toBe(true);
    await keys('q');
    expect(quitted()).toBe(true);
  });
});

describe('LayerPane pieces', () => {
  it('draws a focused title line heavy and an unfocused one light', () => {
    expect(panelTopLine('t', 'r', 12, true)).toBe('┏━ t ━━ r ━┓');
    expect(panelTopLine('t', '', 8, false)).toBe('┌─ t ──┐');
  });

  it('renders only the rows in view', () => {
    const rows = Array.from({ length: 100_000 }, (_, i) => ({
      name: `f${i}`,
      path: `f${i}`,
      depth: 0,
      parent: undefined,
      diff: 'added' as const,
      info: { type: 'file' as const, size: i, mode: 0o644, uid: 0, gid: 0, mtime: 0, layer: 0 },
      before: undefined,
      children: undefined,
      counts: { added: 0, modified: 0, removed: 0, unmodified: 0 },
      totalSize: i,
    }));
    const ui = { layerCursor: 50_000, layerScroll: 49_995, diffTypes: new Set(['added' as const]), sortBy: 'name' as const, find: { editing: false, text: '', regex: false }, layerMode: 'layer' as const, rangeStart: undefined };
    const started = performance.now();
    const { lastFrame, unmount } = render(
      <LayerPane view={{ kind: 'tree', key: 'k', title: 'big layer' } as never} rows={rows} isCollapsed={() => false} ui={ui} width={80} height={12} focused showCursor={false} />,
    );
    const frame = lastFrame() ?? '';
    unmount();
    expect(performance.now() - started).toBeLessThan(500);
    expect(frame).toContain('100000 rows');
    expect(frame.split('\n').filter((line) => /f\d+/.test(line))).toHaveLength(9);
    expect(frame).toMatch(/f49995 /);
    expect(frame).not.toMatch(/f0 /);
    expect(layerRowSegments(rows[3]!, false, 80).map((s) => s.text).join('')).toMatch(/^\+ {3}f3 +3 B -rw-r--r-- +0:0$/);
  });
});

describe('AppController input', () => {
  it('takes a burst of characters apart, one key each, and ignores unnamed escape sequences', () => {
    const controller = new AppController({ session: exampleSession(), columns: 100, rows: 30, onQuit: () => undefined });
    controller.handleInput('jj\t', {});
    let ui = controller.getSnapshot().ui;
    expect(ui.stepCursor).toBe(2);
    expect(ui.focus).toBe('layer');
    controller.handleInput('[1;5A', {});
    ui = controller.getSnapshot().ui;
    expect(ui.stepCursor).toBe(2);
    expect(ui.focus).toBe('layer');
    controller.handleInput('Ojk', {});
    expect(controller.getSnapshot().ui.layerCursor).toBe(0);
    controller.dispose();
  });
});
