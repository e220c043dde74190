/**
 * The shell pane's pure parts: the reducer's shell phases and key modes, the
 * binding table's prompt modes, the leave key in a burst, the RUN line.
 */
import { describe, expect, it } from 'vitest';
import { KEY_BINDINGS, SHELL_LEAVE_KEY, commandForKey, controlBytes, hintLine, keyName } from '../../src/tui/key-bindings.js';
import { normaliseRunLine, runLineFor, splitAtLeaveKey } from '../../src/tui/shell/pane-shell.js';
import { initialUiState, keyModeOf, shellHasKeys, uiReducer, type UiAction, type UiState } from '../../src/tui/state/ui-state.js';

function reduce(state: UiState, ...actions: UiAction[]): UiState {
  return actions.reduce(uiReducer, state);
}

const exited: UiAction = { type: 'shell.exited', exitCode: 0, changeCount: 2, line: 'RUN touch /a', cannotKeep: undefined };

describe('shell phases in the UI state', () => {
  it('asks before or after for a failed RUN, and esc takes the question back', () => {
    const asking = reduce(initialUiState(5), { type: 'shell.choose', step: 4 });
    expect(asking.shell).toEqual({ phase: 'choose', step: 4 });
    expect(keyModeOf(asking)).toBe('shellChoice');
    expect(shellHasKeys(asking)).toBe(false);
    expect(reduce(asking, { type: 'back' }).shell).toBeUndefined();
  });

  it('gives the opening and running shell the keys while the bottom pane has focus', () => {
    const opening = reduce(initialUiState(5), { type: 'shell.opening', step: 2, state: 'after' });
    expect(opening.focus).toBe('bottom');
    expect(shellHasKeys(opening)).toBe(true);
    const running = reduce(opening, { type: 'shell.running' });
    expect(running.shell).toEqual({ phase: 'running', step: 2, state: 'after' });
    expect(keyModeOf(running)).toBe('shellInput');
    // Leaving focus (ctrl+]) hands the keys back; the shell runs on.
    const left = reduce(running, { type: 'focus', pane: 'steps' });
    expect(shellHasKeys(left)).toBe(false);
    expect(keyModeOf(left)).toBe('main');
    expect(left.shell?.phase).toBe('running');
    // Help on top takes the keys too.
    expect(shellHasKeys(reduce(running, { type: 'help.toggle' }))).toBe(false);
  });

  it('reviews an exited shell in the layer pane, edits the RUN line, and closes', () => {
    const running = reduce(initialUiState(5), { type: 'shell.opening', step: 2, state: 'before' }, { type: 'shell.running' });
    const review = reduce({ ...running, layerCursor: 7, layerScroll: 3 }, exited);
    expect(review.shell).toEqual({ phase: 'review', step: 2, state: 'before', exitCode: 0, changeCount: 2, line: 'RUN touch /a', editing: false, cannotKeep: undefined });
    expect(review.focus).toBe('layer');
    expect([review.layerCursor, review.layerScroll]).toEqual([0, 0]);
    expect(keyModeOf(review)).toBe('shellReview');

    const edited = reduce(review, { type: 'shell.line.edit' }, { type: 'shell.line.backspace' }, { type: 'shell.line.input', text: 'b' });
    expect(edited.shell).toMatchObject({ editing: true, line: 'RUN touch /b' });
    // While the line is edited, the keys are text, not commands.
    expect(keyModeOf(edited)).toBe('main');
    const done = reduce(edited, { type: 'shell.line.done' });
    expect(done.shell).toMatchObject({ editing: false, line: 'RUN touch /b' });
    expect(reduce(edited, { type: 'back' }).shell).toMatchObject({ editing: false, line: 'RUN touch /b' });

    const closed = reduce(done, { type: 'shell.closed' });
    expect(closed.shell).toBeUndefined();
  });

  it('does not edit a line that cannot be kept, and ignores an exit without a running shell', () => {
    const running = reduce(initialUiState(5), { type: 'shell.opening', step: 2, state: 'after' }, { type: 'shell.running' });
    const review = reduce(running, { ...exited, changeCount: 0, cannotKeep: 'the shell changed nothing' } as UiAction);
    expect(reduce(review, { type: 'shell.line.edit' })).toBe(review);
    expect(reduce(initialUiState(5), exited).shell).toBeUndefined();
  });

  it('moves focus off the bottom pane when the shell there closes', () => {
    const running = reduce(initialUiState(5), { type: 'shell.opening', step: 2, state: 'after' }, { type: 'shell.running' });
    const closed = reduce(running, { type: 'shell.closed' });
    expect(closed.focus).toBe('steps');
    expect(shellHasKeys(closed)).toBe(false);
  });

  it('sets the layer mode outright (the file view offered instead of a missing shell)', () => {
    const state = reduce({ ...initialUiState(5), layerCursor: 4 }, { type: 'layer.mode.set', mode: 'upto' });
    expect(state.layerMode).toBe('upto');
    expect(state.layerCursor).toBe(0);
  });
});

describe('shell keys in the binding table', () => {
  it('lets a prompt take keys for a moment and passes every other key through', () => {
    expect(commandForKey('b', 'shellChoice')).toBe('shell.before');
    expect(commandForKey('a', 'shellChoice')).toBe('shell.after');
    expect(commandForKey('b')).toBe('step.breakpoint');
    expect(commandForKey('a')).toBe('filter.added');
    expect(commandForKey('k', 'shellReview')).toBe('shell.keep');
    expect(commandForKey('d', 'shellReview')).toBe('shell.discard');
    expect(commandForKey('e', 'shellReview')).toBe('shell.editLine');
    expect(commandForKey('k')).toBe('cursor.up');
    expect(commandForKey('j', 'shellReview')).toBe('cursor.down');
    expect(commandForKey('f')).toBe('shell.fullScreen');
    expect(commandForKey('w')).toBe('shell.close');
  });

  it('leaves the shell with ctrl+], as the terminal sends it', () => {
    expect(controlBytes('ctrl+]')).toBe('\x1d');
    expect(controlBytes('ctrl+c')).toBe('\x03');
    expect(SHELL_LEAVE_KEY).toBe('\x1d');
    expect(keyName('\x1d', {})).toBe('ctrl+]');
    expect(commandForKey(keyName('\x1d', {}), 'shellInput')).toBe('shell.leave');
    expect(KEY_BINDINGS.find((b) => b.command === 'shell.leave')?.mode).toBe('shellInput');
  });

  it('shows each mode its own hints first', () => {
    expect(hintLine('shellChoice')).toMatch(/^b before \(command ready\) {2}a after \(partial writes\) {2}n step/);
    // b belongs to the prompt now: the breakpoint hint gives way.
    expect(hintLine('shellChoice')).not.toContain('b break');
    expect(hintLine('shellReview')).toMatch(/^k keep as a step {2}e edit the line {2}d discard/);
    expect(hintLine('shellInput')).toBe('^] leave the shell  (every other key goes to the shell)');
    expect(hintLine()).not.toContain('keep as a step');
  });
});

describe('shell input and the RUN line', () => {
  it('splits a burst at the leave key: before it the shell\'s, after it the workbench\'s', () => {
    expect(splitAtLeaveKey('ls -l\r', '\x1d')).toEqual({ toShell: 'ls -l\r', left: false, rest: '' });
    expect(splitAtLeaveKey('abc\x1djj', '\x1d')).toEqual({ toShell: 'abc', left: true, rest: 'jj' });
    expect(splitAtLeaveKey('\x1d', '\x1d')).toEqual({ toShell: '', left: true, rest: '' });
    // Ctrl-C is the shell's.
    expect(splitAtLeaveKey('\x03', '\x1d')).toEqual({ toShell: '\x03', left: false, rest: '' });
  });

  it('builds the RUN line from the commands typed, and fixes up an edited one', () => {
    expect(runLineFor(['apk add curl', '  ', 'touch /x '])).toBe('RUN apk add curl && touch /x');
    expect(runLineFor([])).toBe('RUN :');
    expect(normaliseRunLine('touch /x')).toBe('RUN touch /x');
    expect(normaliseRunLine('  RUN touch /x ')).toBe('RUN touch /x');
    expect(normaliseRunLine('run touch /x')).toBe('run touch /x');
    expect(normaliseRunLine('RUNNER')).toBe('RUN RUNNER');
    expect(normaliseRunLine('')).toBe('RUN :');
  });
});
