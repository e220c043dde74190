import { describe, expect, it } from 'vitest';
import { GROUP_TITLES, KEY_BINDINGS, commandForKey, displayKey, hintLine, keyName } from '../../src/tui/key-bindings.js';
import { helpLines } from '../../src/tui/components/HelpScreen.js';

describe('key binding table', () => {
  it('binds every key once in each mode', () => {
    const seen = new Map<string, string>();
    for (const binding of KEY_BINDINGS) {
      for (const key of binding.keys) {
        const id = `${binding.mode ?? 'main'}:${key}`;
        expect(seen.get(id), `${id} bound twice`).toBeUndefined();
        seen.set(id, binding.command);
      }
    }
  });

  it('keeps the contract keys of issue 5', () => {
    const contract: Record<string, string> = {
      n: 'step.next',
      c: 'step.continue',
      b: 'step.breakpoint',
      g: 'step.runToCursor',
      r: 'step.rerun',
      s: 'shell.open',
      '/': 'find.open',
      tab: 'pane.next',
      j: 'cursor.down',
      k: 'cursor.up',
      down: 'cursor.down',
      up: 'cursor.up',
      space: 'item.toggle',
      '?': 'help.toggle',
      q: 'app.quit',
      'ctrl+c': 'app.quit',
    };
    for (const [key, command] of Object.entries(contract)) expect(commandForKey(key), key).toBe(command);
  });

  it('names key presses the way the table writes them', () => {
    expect(keyName('', { tab: true })).toBe('tab');
    expect(keyName('', { tab: true, shift: true })).toBe('shift+tab');
    expect(keyName('', { downArrow: true })).toBe('down');
    expect(keyName('c', { ctrl: true })).toBe('ctrl+c');
    expect(keyName(' ', {})).toBe('space');
    expect(keyName('G', { shift: true })).toBe('G');
    expect(keyName('', { return: true })).toBe('enter');
    expect(keyName('', { escape: true })).toBe('escape');
    expect(keyName('ab', {})).toBeUndefined();
  });

  it('feeds the help screen: every binding and every group appears there', () => {
    const lines = helpLines();
    const descriptions = lines.flatMap((l) => ('description' in l ? [l.description] : []));
    for (const binding of KEY_BINDINGS) expect(descriptions).toContain(binding.description);
    const headings = lines.flatMap((l) => ('heading' in l ? [l.heading] : []));
    expect(headings).toEqual(Object.values(GROUP_TITLES));
    const jk = lines.find((l) => 'description' in l && l.description === 'move down');
    expect(jk).toEqual({ keys: 'j ↓', description: 'move down' });
  });

  it('builds the hint bar from the table', () => {
    expect(hintLine()).toMatch(/^n step {2}c continue {2}b break/);
    expect(hintLine()).toContain('? help  q quit');
    expect(displayKey('ctrl+c')).toBe('^c');
  });
});
