/**
 * The one key binding table. Input handling looks commands up here and the
 * help screen and the hint bar are drawn from it, so a key can never do one
 * thing and be documented as another. Keys are a contract (issue 5): n, c, b,
 * g, r, s, /, tab, j/k or arrows, space, ?, q.
 *
 * A few prompts take keys of their own for a moment (the shell's "before or
 * after" choice, its review after exit): their bindings name a `mode`, win
 * over the main table while that mode is on, and let every other key through.
 * While the shell has focus, every key but its leave key goes to the shell.
 */

export type CommandId =
  | 'step.next'
  | 'step.continue'
  | 'step.breakpoint'
  | 'step.runToCursor'
  | 'step.rerun'
  | 'step.cancel'
  | 'shell.open'
  | 'shell.fullScreen'
  | 'shell.close'
  | 'shell.leave'
  | 'shell.before'
  | 'shell.after'
  | 'shell.keep'
  | 'shell.editLine'
  | 'shell.discard'
  | 'find.open'
  | 'pane.next'
  | 'pane.previous'
  | 'cursor.down'
  | 'cursor.up'
  | 'cursor.pageDown'
  | 'cursor.pageUp'
  | 'cursor.first'
  | 'cursor.last'
  | 'item.toggle'
  | 'item.open'
  | 'tree.expandAll'
  | 'tree.collapseAll'
  | 'layer.mode'
  | 'layer.markRange'
  | 'layer.sort'
  | 'filter.added'
  | 'filter.modified'
  | 'filter.deleted'
  | 'filter.unchanged'
  | 'view.output'
  | 'view.image'
  | 'view.context'
  | 'help.toggle'
  | 'app.back'
  | 'app.quit';

export type BindingGroup = 'build' | 'move' | 'layer' | 'views' | 'shell' | 'app';

/**
 * When a binding applies: 'main' is the workbench; the others are prompts
 * whose keys win while they are open ('shellInput': the shell has focus).
 */
export type KeyMode = 'main' | 'shellChoice' | 'shellReview' | 'shellInput';

export interface KeyBinding {
  command: CommandId;
  /** Normalised key names, see keyName(): "n", "tab", "shift+tab", "down", "ctrl+c", "space". */
  keys: readonly string[];
  description: string;
  group: BindingGroup;
  /** Shown in the one-line hint bar, with this short label. */
  hint?: string;
  /** Default 'main'. */
  mode?: KeyMode;
}

export const KEY_BINDINGS: readonly KeyBinding[] = [
  { command: 'step.next', keys: ['n'], description: 'run the next step', group: 'build', hint: 'step' },
  { command: 'step.continue', keys: ['c'], description: 'continue to the next breakpoint or the end', group: 'build', hint: 'continue' },
  { command: 'step.breakpoint', keys: ['b'], description: 'toggle a breakpoint on the selected step', group: 'build', hint: 'break' },
  { command: 'step.runToCursor', keys: ['g'], description: 'run to the selected step', group: 'build', hint: 'run to' },
  { command: 'step.rerun', keys: ['r'], description: 're-run from the selected step (without cache for it)', group: 'build', hint: 'rerun' },
  { command: 'step.cancel', keys: ['X'], description: 'stop the running step', group: 'build' },
  { command: 'shell.open', keys: ['s'], description: 'open a shell in the container at the selected step', group: 'build', hint: 'shell' },
  { command: 'cursor.down', keys: ['j', 'down'], description: 'move down', group: 'move' },
  { command: 'cursor.up', keys: ['k', 'up'], description: 'move up', group: 'move' },
  { command: 'cursor.pageDown', keys: ['pagedown', 'ctrl+d'], description: 'page down', group: 'move' },
  { command: 'cursor.pageUp', keys: ['pageup', 'ctrl+u'], description: 'page up', group: 'move' },
  { command: 'cursor.first', keys: ['home'], description: 'go to the first row', group: 'move' },
  { command: 'cursor.last', keys: ['end', 'G'], description: 'go to the last row', group: 'move' },
  { command: 'pane.next', keys: ['tab'], description: 'switch pane: steps, layer, output', group: 'move', hint: 'pane' },
  { command: 'pane.previous', keys: ['shift+tab'], description: 'switch pane backwards', group: 'move' },
  { command: 'item.toggle', keys: ['space'], description: 'collapse or expand (a directory, or a multi-line step)', group: 'move' },
  { command: 'item.open', keys: ['enter'], description: 'open the selected step\'s layer or file', group: 'move' },
  { command: 'find.open', keys: ['/'], description: 'find in the layer by path (ctrl+r: regex)', group: 'layer', hint: 'find' },
  { command: 'layer.mode', keys: ['l'], description: 'layer view: this layer only / everything up to it / range', group: 'layer' },
  { command: 'layer.markRange', keys: ['v'], description: 'mark the selected step as start A of a range A..B (B = cursor)', group: 'layer' },
  { command: 'layer.sort', keys: ['S'], description: 'sort by name or by size', group: 'layer' },
  { command: 'filter.added', keys: ['a'], description: 'show or hide added files', group: 'layer' },
  { command: 'filter.modified', keys: ['m'], description: 'show or hide modified files', group: 'layer' },
  { command: 'filter.deleted', keys: ['d'], description: 'show or hide deleted files', group: 'layer' },
  { command: 'filter.unchanged', keys: ['u'], description: 'show or hide unchanged files', group: 'layer' },
  { command: 'tree.expandAll', keys: ['E'], description: 'expand every directory', group: 'layer' },
  { command: 'tree.collapseAll', keys: ['C'], description: 'collapse every directory', group: 'layer' },
  { command: 'view.output', keys: ['o'], description: 'bottom pane: the step\'s output (again: follow the selection)', group: 'views' },
  { command: 'view.image', keys: ['i'], description: 'bottom pane: the image (sizes and wasted bytes)', group: 'views' },
  { command: 'view.context', keys: ['x'], description: 'bottom pane: the build context files COPY/ADD take', group: 'views' },
  { command: 'shell.leave', keys: ['ctrl+]'], description: 'leave the shell (it runs on in its pane)', group: 'shell', mode: 'shellInput', hint: 'leave the shell' },
  { command: 'shell.fullScreen', keys: ['f'], description: 'give the shell the whole terminal (vim, top)', group: 'shell' },
  { command: 'shell.close', keys: ['w'], description: 'close the shell pane (ends the shell)', group: 'shell' },
  { command: 'shell.before', keys: ['b'], description: 'failed RUN: shell before it, command ready', group: 'shell', mode: 'shellChoice', hint: 'before (command ready)' },
  { command: 'shell.after', keys: ['a'], description: 'failed RUN: shell after it, partial writes', group: 'shell', mode: 'shellChoice', hint: 'after (partial writes)' },
  { command: 'shell.keep', keys: ['k'], description: 'shell done: keep its changes as a new step', group: 'shell', mode: 'shellReview', hint: 'keep as a step' },
  { command: 'shell.editLine', keys: ['e'], description: 'shell done: edit the RUN line first', group: 'shell', mode: 'shellReview', hint: 'edit the line' },
  { command: 'shell.discard', keys: ['d'], description: 'shell done: throw its changes away', group: 'shell', mode: 'shellReview', hint: 'discard' },
  { command: 'help.toggle', keys: ['?'], description: 'show or hide this help', group: 'app', hint: 'help' },
  { command: 'app.back', keys: ['escape'], description: 'close help or find, clear the message', group: 'app' },
  { command: 'app.quit', keys: ['q', 'ctrl+c'], description: 'quit (stops the build, cleans up everything)', group: 'app', hint: 'quit' },
];

export const GROUP_TITLES: Record<BindingGroup, string> = {
  build: 'Build',
  move: 'Moving around',
  layer: 'Layer pane',
  views: 'Views',
  shell: 'Shell',
  app: 'App',
};

const byMode = new Map<KeyMode, Map<string, KeyBinding>>();
for (const binding of KEY_BINDINGS) {
  const mode = binding.mode ?? 'main';
  let keys = byMode.get(mode);
  if (!keys) byMode.set(mode, (keys = new Map()));
  for (const key of binding.keys) keys.set(key, binding);
}

/** What Ink's useInput reports about a key press; only the fields we read. */
export interface KeyPress {
  upArrow?: boolean;
  downArrow?: boolean;
  leftArrow?: boolean;
  rightArrow?: boolean;
  pageDown?: boolean;
  pageUp?: boolean;
  home?: boolean;
  end?: boolean;
  return?: boolean;
  escape?: boolean;
  ctrl?: boolean;
  shift?: boolean;
  tab?: boolean;
  backspace?: boolean;
  delete?: boolean;
  meta?: boolean;
}

/** The table's name for a key press, or undefined for keys we never bind. */
export function keyName(input: string, key: KeyPress): string | undefined {
  if (key.tab) return key.shift ? 'shift+tab' : 'tab';
  if (key.upArrow) return 'up';
  if (key.downArrow) return 'down';
  if (key.leftArrow) return 'left';
  if (key.rightArrow) return 'right';
  if (key.pageDown) return 'pagedown';
  if (key.pageUp) return 'pageup';
  if (key.home) return 'home';
  if (key.end) return 'end';
  if (key.return) return 'enter';
  if (key.escape) return 'escape';
  if (key.backspace || key.delete) return 'backspace';
  if (key.ctrl && input.length === 1) return `ctrl+${input.toLowerCase()}`;
  // Control characters Ink passes through as they are (ctrl+] is \x1d).
  if (input.length === 1 && input >= '\x1b' && input <= '\x1f' && !key.escape) return `ctrl+${String.fromCharCode(input.charCodeAt(0) + 64).toLowerCase()}`;
  if (input === ' ') return 'space';
  if (input.length === 1) return input;
  return undefined;
}

/** The command of a key in `mode`: the mode's own binding first, then the main table's. */
export function commandForKey(name: string | undefined, mode: KeyMode = 'main'): CommandId | undefined {
  if (name === undefined) return undefined;
  return (byMode.get(mode)?.get(name) ?? byMode.get('main')?.get(name))?.command;
}

/** The bytes a terminal sends for a control key of the table ("ctrl+]" is \x1d). */
export function controlBytes(name: string): string {
  const match = /^ctrl\+(.)$/.exec(name);
  if (!match) throw new Error(`${name} is not a control key`);
  return String.fromCharCode(match[1]!.toUpperCase().charCodeAt(0) & 0x1f);
}

/** What the terminal sends for the key that takes focus away from the shell. */
export const SHELL_LEAVE_KEY = controlBytes(bindingFor('shell.leave').keys[0]!);

export function bindingFor(command: CommandId): KeyBinding {
  const binding = KEY_BINDINGS.find((b) => b.command === command);
  if (!binding) throw new Error(`no binding for ${command}`);
  return binding;
}

/** How a key is written on screen: "tab", "S-tab", "↓", "^c". */
export function displayKey(name: string): string {
  const arrows: Record<string, string> = { up: '↑', down: '↓', left: '←', right: '→' };
  if (arrows[name]) return arrows[name]!;
  if (name.startsWith('ctrl+')) return `^${name.slice(5)}`;
  if (name === 'shift+tab') return 'S-tab';
  if (name === 'escape') return 'esc';
  if (name === 'pagedown') return 'PgDn';
  if (name === 'pageup') return 'PgUp';
  return name;
}

/** Bindings of one group, in table order. */
export function bindingsIn(group: BindingGroup): KeyBinding[] {
  return KEY_BINDINGS.filter((b) => b.group === group);
}

/**
 * The hint bar: "n step  c continue  ...". In a prompt's mode, its own keys
 * come first, then the main keys it leaves alone; while the shell has focus,
 * only the way out.
 */
export function hintLine(mode: KeyMode = 'main'): string {
  const own = KEY_BINDINGS.filter((b) => b.hint && (b.mode ?? 'main') === mode);
  const taken = new Set(own.flatMap((b) => b.keys));
  const main = mode === 'main' || mode === 'shellInput' ? [] : KEY_BINDINGS.filter((b) => b.hint && (b.mode ?? 'main') === 'main' && !b.keys.some((k) => taken.has(k)));
  const hints = [...own, ...main].map((b) => `${displayKey(b.keys[0]!)} ${b.hint}`);
  if (mode === 'shellInput') hints.push('(every other key goes to the shell)');
  return hints.join('  ');
}
