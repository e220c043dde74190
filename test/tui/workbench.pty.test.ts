/**
 * The workbench as a person uses it: the real CLI on the bundled example,
 * under a pty, read back through @xterm/headless. Needs the build (dist/) and
 * the sandbox (root or user namespaces), like `layerlab build` does.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { KEYS, TuiProcess } from '../../src/tui/testing/pty-driver.js';
import { makeWorkbenchFixture, mountsMentioning, processesMentioning, type WorkbenchFixture } from './workbench-fixture.js';

let fixture: WorkbenchFixture;
let app: TuiProcess | undefined;

beforeEach(() => {
  fixture = makeWorkbenchFixture();
});

afterEach(async () => {
  await app?.kill();
  app = undefined;
  fixture.cleanup();
});

function start(cols: number, rows: number, env: Record<string, string> = {}): TuiProcess {
  app = new TuiProcess({ args: ['-f', fixture.dockerfile, fixture.context], cols, rows, env: { ...fixture.env, ...env }, cwd: fixture.dir });
  return app;
}

/** The steps pane row of Dockerfile line `line` (the steps pane is the left column). */
function stepRow(lines: string[], line: number): string | undefined {
  const pattern = new RegExp(`^.[▶ ][● ]\\s*${line} `);
  return lines.find((l) => pattern.test(l));
}

function hasStep(line: number, pattern: RegExp) {
  return (_screen: string, lines: string[]) => {
    const row = stepRow(lines, line);
    return row !== undefined && pattern.test(row);
  };
}

async function select(tui: TuiProcess, line: number): Promise<void> {
  const current = (): number => {
    const row = tui.lines().find((l) => /^.▶/.test(l));
    return row ? Number(/^.▶[● ]\s*(\d+)/.exec(row)?.[1]) : NaN;
  };
  for (let tries = 0; tries < 30 && current() !== line; tries++) {
    const before = current();
    tui.write(before > line ? 'k' : 'j');
    await tui.waitFor(() => current() !== before, `the cursor to move from line ${before}`);
  }
  expect(current()).toBe(line);
}

describe('workbench on examples/', () => {
  it('steps through, shows layers and diffs, fails with a banner, re-plans on save, resizes and quits clean', async () => {
    const tui = start(120, 40);
    await tui.waitFor(hasStep(8, /○\s+FROM \$\{BASE\}/), 'the plan with FROM pending');
    expect(tui.screenText()).toContain('n step');

    tui.write('n');
    await tui.waitFor(hasStep(8, /✔\s+FROM.*base image/), 'FROM done');

    tui.write('c');
    await tui.waitForText('Step 9 failed at Dockerfile:34 (exit code 2)', 30_000);
    let screen = tui.screenText();
    expect(screen).toContain('✖ Step 9 failed at Dockerfile:34: exit code 2');
    expect(screen).toContain("RUN grep '^mode=' config.ini");
    expect(screen).toContain('grep: config.ini: No such file or directory');
    let lines = tui.lines();
    expect(stepRow(lines, 12)).toMatch(/◆\s+ENV APP_HOME.*config/);
    expect(stepRow(lines, 17)).toMatch(/✔ ▸RUN mkdir.*\+3 ~0 -0/);
    expect(stepRow(lines, 22)).toMatch(/✔ ▸RUN sed.*\+0 ~1 -0/);
    expect(stepRow(lines, 27)).toMatch(/✔\s+RUN rm data\/numbers.txt.*\+0 ~0 -1/);
    expect(stepRow(lines, 34)).toMatch(/▶.*✖\s+RUN grep.*exit 2/);

    // The context view: what COPY took, after .dockerignore.
    tui.write('x');
    await tui.waitForText('taken by COPY/ADD, after .dockerignore');
    screen = tui.screenText();
    expect(screen).toMatch(/run\.sh +← step 8 \(line 29 COPY\)/);
    expect(screen).toMatch(/notes\.txt +← step 8/);
    expect(screen).not.toContain('scratch.tmp');
    tui.write('x');
    await tui.waitForText('output of step 9');

    // The modified file of the sed step, and its text diff.
    await select(tui, 22);
    await tui.waitForText('6 RUN sed -i');
    tui.write(KEYS.tab);
    await tui.waitForText('greeting.txt');
    tui.write('jj');
    await tui.waitForText('file /app/data/greeting.txt');
    // The content is read once the cursor rests.
    await tui.waitForText('+a second line');
    screen = tui.screenText();
    expect(screen).toContain('-hello from a RUN step');
    expect(screen).toContain('+hello, layers from a RUN step');
    expect(screen).toContain('+a second line');
    expect(screen).toMatch(/~\s+greeting\.txt/);

    // The rm step: a whiteout, and who wrote what it hides.
    tui.write(KEYS.shiftTab);
    await tui.waitFor((s) => /┏━ Dockerfile/.test(s), 'focus back on the steps');
    await select(tui, 27);
    await tui.waitForText('7 RUN rm data/numbers.txt');
    tui.write(KEYS.tab + 'jj');
    await tui.waitForText('/app/data/numbers.txt: deleted');
    screen = tui.screenText();
    expect(screen).toMatch(/-\s+numbers\.txt/);
    expect(screen).toContain('Last written by step 5 (line 17');

    // A config-only step says it adds no layer.
    tui.write(KEYS.shiftTab);
    await tui.waitFor((s) => /┏━ Dockerfile/.test(s), 'focus back on the steps');
    await select(tui, 12);
    await tui.waitForText('ENV changes only the image config: this step adds no layer.');

    // Fix the Dockerfile in the copy: the session re-plans from the changed step.
    const text = readFileSync(fixture.dockerfile, 'utf8');
    writeFileSync(fixture.dockerfile, text.replace("RUN grep '^mode=' config.ini", "RUN echo mode=demo > config.ini\nRUN grep '^mode=' config.ini"));
    await tui.waitForText('Dockerfile changed: re-planned', 15_000);
    await tui.waitFor(hasStep(34, /○\s+RUN echo mode=demo/), 'the new step, pending');
    await tui.waitFor(hasStep(35, /○\s+RUN grep/), 'the grep step, pending again');
    lines = tui.lines();
    expect(stepRow(lines, 29)).toMatch(/✔\s+COPY/);

    tui.write('c');
    await tui.waitFor(hasStep(39, /◆\s+CMD/), 'the build to reach the end', 30_000);
    tui.write('G');
    await tui.waitForText('image · the whole filesystem');
    await tui.waitForText('Wasted:');
    screen = tui.screenText();
    expect(screen).toMatch(/\/app\/data\/numbers\.txt\s+written by step 5 \(line 17\), hidden by step 7 \(line 27\)/);
    expect(screen).toContain('Why a later rm does not shrink the image');

    // Resize: every pane reflows to the new width, and the app draws rows - 1 lines.
    tui.resize(80, 24);
    const reflowed = (l: string[]): boolean =>
      l.every((line) => line.length <= 80) && /^[┌┏]─?━?.* image/.test(l[0] ?? '') && /^[└┗]/.test(l[21] ?? '') && /step|quit|Image/.test(l[22] ?? '');
    try {
      await tui.waitFor((_s, l) => reflowed(l), 'the reflow to 80x24');
    } catch (err) {
      throw new Error(`${(err as Error).message}\n--- lines: ${JSON.stringify(tui.lines(), null, 1)}`);
    }
    expect(tui.lines()[23]).toBe('');

    tui.write('q');
    const status = await tui.exited;
    expect(status.exitCode).toBe(0);
    expect(mountsMentioning(fixture.dir)).toEqual([]);
    expect(processesMentioning(fixture.store)).toEqual([]);
  }, 120_000);

  it('stops at a breakpoint, shows help, runs to the cursor, re-runs, follows NO_COLOR and quits on Ctrl-C', async () => {
    const tui = start(100, 30, { NO_COLOR: '1' });
    await tui.waitFor(hasStep(8, /○\s+FROM/), 'the plan');
    await select(tui, 17);
    tui.write('b');
    await tui.waitFor((_s, l) => /^.▶●\s*17 /.test(stepRow(l, 17) ?? ''), 'the breakpoint mark');
    tui.write('c');
    await tui.waitFor(hasStep(14, /✔\s+WORKDIR/), 'the steps above the breakpoint', 30_000);
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(stepRow(tui.lines(), 17)).toMatch(/○/);

    tui.write('?');
    await tui.waitForText('keys (? or esc closes)');
    expect(tui.screenText()).toContain('run the next step');
    expect(tui.screenText()).toContain('toggle a breakpoint');
    tui.write(KEYS.escape);
    await tui.waitFor((s) => !s.includes('keys (? or esc closes)'), 'help to close');

    // Run to the cursor, then re-run from an earlier step: the steps after it go back to pending.
    await select(tui, 22);
    tui.write('g');
    await tui.waitFor(hasStep(22, /✔ ▸RUN sed.*\+0 ~1 -0/), 'the run to line 22', 30_000);
    await select(tui, 17);
    tui.write('r');
    await tui.waitFor((s, l) => hasStep(17, /✔/)(s, l) && hasStep(22, /○/)(s, l), 'the re-run from line 17', 30_000);

    // No colour anywhere on the screen.
    const buffer = tui.term.buffer.active;
    const cell = buffer.getNullCell();
    for (let y = 0; y < tui.term.rows; y++) {
      const line = buffer.getLine(y)!;
      for (let x = 0; x < tui.term.cols; x++) {
        line.getCell(x, cell);
        expect(cell.getFgColorMode(), `colour at ${x},${y}`).toBe(0);
      }
    }

    tui.write(KEYS.ctrlC);
    const status = await tui.exited;
    expect(status.exitCode).toBe(0);
    expect(mountsMentioning(fixture.dir)).toEqual([]);
    expect(processesMentioning(fixture.store)).toEqual([]);
  }, 120_000);

  it('shows a running step with a spinner and elapsed time, and q stops it without leftovers', async () => {
    writeFileSync(fixture.dockerfile, 'FROM layerlab/busybox:latest\nRUN echo started && sleep 6071\n');
    const tui = start(100, 30);
    await tui.waitFor(hasStep(1, /○\s+FROM/), 'the plan');
    tui.write('nn');
    await tui.waitFor(hasStep(2, /[⠋⠙⠹⠸⠼⠴⠦⠧⠇⠏]\s+RUN echo started.*\d\.\ds/), 'the running step', 30_000);
    await tui.waitForText('started');
    await tui.waitFor(hasStep(2, /[1-9]\.\ds/), 'a second of elapsed time');
    // The check below can see the step's process: it is there while the step runs.
    expect(processesMentioning('sleep 6071').length).toBeGreaterThan(0);
    const quitAt = performance.now();
    tui.write('q');
    const status = await tui.exited;
    expect(status.exitCode).toBe(0);
    expect(performance.now() - quitAt).toBeLessThan(10_000);
    expect(mountsMentioning(fixture.dir)).toEqual([]);
    expect(processesMentioning(fixture.store)).toEqual([]);
    // The step's own process (its command line is unique to this test) is gone too.
    expect(processesMentioning('sleep 6071')).toEqual([]);
  }, 120_000);
});
