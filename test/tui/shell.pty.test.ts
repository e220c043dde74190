/**
 * The shell pane as a person uses it (issue 6): the real CLI under a pty,
 * read back through @xterm/headless, on the busybox test base. A shell in a
 * step: arithmetic, a real tty, the pane's size following the terminal,
 * Ctrl-C to the shell, exit back to the workbench, the shell's changes as a
 * diff, kept as a step. Full screen and back, closing the pane, kill -9. A
 * failed RUN entered before (command ready) and after (partial writes). An
 * image without a shell. Nothing left behind after each.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { computeLayout } from '../../src/tui/layout.js';
import { KEYS, TuiProcess } from '../../src/tui/testing/pty-driver.js';
import { makeWorkbenchFixture, mountsMentioning, processesMentioning, type WorkbenchFixture } from './workbench-fixture.js';

const LEAVE = '\x1d';

let fixture: WorkbenchFixture;
let app: TuiProcess | undefined;
let mountsBefore: string[];

beforeEach(() => {
  fixture = makeWorkbenchFixture();
  mountsBefore = mountsMentioning(fixture.dir);
});

afterEach(async () => {
  await app?.kill();
  app = undefined;
  fixture.cleanup();
});

function start(cols: number, rows: number): TuiProcess {
  app = new TuiProcess({ args: ['-f', fixture.dockerfile, fixture.context], cols, rows, env: fixture.env, cwd: fixture.dir });
  return app;
}

/** The shell pane's content rows: between its heavy (focused) or light side borders, trailing blanks removed. */
function paneRows(lines: string[]): string[] {
  return lines.filter((l) => /^[┃│].*[┃│]$/.test(l) && l.length > 60 && !/[│┃].*[│┃].*[│┃]/.test(l)).map((l) => l.slice(1, -1).trimEnd());
}

function paneHas(pattern: RegExp) {
  return (_screen: string, lines: string[]) => paneRows(lines).some((row) => pattern.test(row));
}

/** The steps pane row of Dockerfile line `line`. */
function stepRow(lines: string[], line: number): string | undefined {
  const pattern = new RegExp(`^.[▶ ][● ]\\s*${line} `);
  return lines.find((l) => pattern.test(l));
}

async function waitForPrompt(tui: TuiProcess, count = 1): Promise<void> {
  await tui.waitFor((_s, lines) => paneRows(lines).filter((row) => /[#$] ?$/.test(row)).length >= count, `${count} shell prompt(s)`, 20_000);
}

/** Types a line into the focused shell and waits for `expected` in the pane. */
async function type(tui: TuiProcess, line: string, expected: RegExp): Promise<void> {
  tui.write(`${line}\r`);
  await tui.waitFor(paneHas(expected), `${JSON.stringify(line)} to print ${expected}`);
}

function expectNoLeftovers(): void {
  expect(mountsMentioning(fixture.dir)).toEqual(mountsBefore);
  expect(processesMentioning(fixture.store)).toEqual([]);
}

describe('the shell pane', () => {
  it('runs a real shell in the step, follows resizes, takes Ctrl-C, and keeps what it made as a new step', async () => {
    writeFileSync(fixture.dockerfile, 'FROM layerlab/busybox:latest\nWORKDIR /work\nRUN echo built > built.txt\n');
    const tui = start(100, 30);
    await tui.waitFor((_s, l) => /○\s+FROM/.test(stepRow(l, 1) ?? ''), 'the plan');
    tui.write('c');
    await tui.waitFor((_s, l) => /✔\s+RUN echo built/.test(stepRow(l, 3) ?? ''), 'the build', 30_000);
    tui.write('G');
    await tui.waitFor((_s, l) => l.some((x) => /^.▶\s+[□▣] image/.test(x)), 'the image row');
    tui.write('k');
    await tui.waitFor((_s, l) => /^.▶/.test(stepRow(l, 3) ?? ''), 'the RUN step selected');

    tui.write('s');
    await tui.waitForText('shell /bin/sh · after step 3 RUN');
    await waitForPrompt(tui);
    expect(tui.lines().at(-2)).toContain('^] leave the shell');

    await type(tui, 'echo $((6*7))', /^42$/);
    await type(tui, 'tty', /^\/dev\/pts\/\d+$/);
    await type(tui, 'test -t 0 && echo is-a-tty', /^is-a-tty$/);
    await type(tui, 'pwd', /^\/work$/);

    // The pty is as big as the pane inside its border, and follows the terminal.
    const pane = computeLayout(100, 30);
    await type(tui, 'stty size', new RegExp(`^${pane.bottomHeight - 2} ${pane.width - 2}$`));
    tui.resize(90, 26);
    const smaller = computeLayout(90, 26);
    const border = smaller.topHeight + smaller.bottomHeight - 1;
    await tui.waitFor((_s, l) => l.every((line) => line.length <= 90) && /^┗━+┛$/.test(l[border] ?? ''), 'the reflow to 90x26');
    await type(tui, 'stty size', new RegExp(`^${smaller.bottomHeight - 2} ${smaller.width - 2}$`));

    // Ctrl-C reaches the shell: it stops the command, and the shell lives on.
    tui.write('sleep 100\r');
    await tui.waitFor(paneHas(/sleep 100$/), 'sleep to start');
    await new Promise((resolve) => setTimeout(resolve, 300));
    const interruptedAt = performance.now();
    tui.write(KEYS.ctrlC);
    await type(tui, 'echo alive-$((40+2))', /^alive-42$/);
    expect(performance.now() - interruptedAt).toBeLessThan(5_000);

    await type(tui, 'echo made-in-shell > /work/made.txt && echo written', /^written$/);
    tui.write('exit\r');
    // Back in the workbench: the review, and the shell's change as a diff in the layer pane (the file and its dir).
    await tui.waitForText('The shell exited with 0. It changed 2 paths', 15_000);
    await tui.waitFor((s) => /\+\s+made\.txt/.test(s), 'the diff in the layer pane');
    let screen = tui.screenText();
    expect(screen).toMatch(/┏━ shell changes · after step 3 RUN/);
    expect(screen).toMatch(/\+\s+made\.txt/);
    // The RUN line built from every command typed, shown whole (cut into rows).
    const review = tui
      .lines()
      .filter((l) => /^│ {2}/.test(l) && !/[│┃].*[│┃].*[│┃]/.test(l))
      .map((l) => l.slice(3, -1))
      .join('')
      .trimEnd();
    expect(review).toBe(
      'RUN echo $((6*7)) && tty && test -t 0 && echo is-a-tty && pwd && stty size && stty size && sleep 100 && echo alive-$((40+2)) && echo made-in-shell > /work/made.txt && echo written',
    );
    expect(tui.lines().at(-2)).toMatch(/^k keep as a step {2}e edit the line {2}d discard/);

    // The line built from everything typed runs sleep 100 too: keep only the command that made the file.
    tui.write('e');
    await tui.waitForText('RUN line: ');
    tui.write(KEYS.backspace.repeat(400));
    await tui.waitFor((_s, l) => /^RUN line:\s+enter done/.test(l.at(-2) ?? ''), 'the line emptied');
    tui.write('echo made-in-shell > /work/made.txt\r');
    await tui.waitFor((s) => s.includes('  RUN echo made-in-shell > /work/made.txt') && !s.includes('RUN line:'), 'the edited line');
    tui.write('k');
    await tui.waitForText('Kept as step 4: RUN echo made-in-shell > /work/made.txt', 15_000);
    await tui.waitFor((_s, l) => /▶.*✔\s+RUN echo m.*\+1 ~0 -0/.test(stepRow(l, 4) ?? ''), 'the kept step, done, with its layer');
    await tui.waitFor((s) => /4 RUN echo m.*this layer/.test(s) && /\+\s+made\.txt/.test(s), 'the kept step\'s layer holding the file');
    const dockerfile = readFileSync(fixture.dockerfile, 'utf8').split('\n');
    expect(dockerfile.slice(0, 4)).toEqual(['FROM layerlab/busybox:latest', 'WORKDIR /work', 'RUN echo built > built.txt', 'RUN echo made-in-shell > /work/made.txt']);
    // The file watcher saw the engine's write: it must not re-plan over the kept step.
    await new Promise((resolve) => setTimeout(resolve, 1_000));
    screen = tui.screenText();
    expect(screen).not.toContain('Dockerfile changed');
    expect(stepRow(tui.lines(), 4)).toMatch(/✔\s+RUN echo m/);

    tui.write('q');
    expect((await tui.exited).exitCode).toBe(0);
    expectNoLeftovers();
  }, 120_000);

  it('hands the shell the whole terminal and back, closes the pane, and leaves nothing after kill -9', async () => {
    writeFileSync(fixture.dockerfile, 'FROM layerlab/busybox:latest\nRUN echo built > /built.txt\n');
    const tui = start(100, 30);
    await tui.waitFor((_s, l) => /○\s+FROM/.test(stepRow(l, 1) ?? ''), 'the plan');
    tui.write('nn');
    await tui.waitFor((_s, l) => /✔\s+RUN echo built/.test(stepRow(l, 2) ?? ''), 'the build', 30_000);
    tui.write('s');
    await waitForPrompt(tui);
    await type(tui, 'echo in-the-pane', /^in-the-pane$/);

    // Leave focus, then full screen: the same shell, as big as the terminal.
    tui.write(LEAVE);
    await tui.waitForText('s back to the shell  f full screen  w close it');
    tui.write('f');
    await tui.waitFor((_s, l) => l.some((line) => line === 'in-the-pane') && !l.some((line) => line.includes('Dockerfile')), 'the full-screen shell');
    tui.write('stty size\r');
    await tui.waitFor((_s, l) => l.includes('30 100'), 'the full-screen size');
    tui.write(LEAVE);
    await tui.waitFor((s) => s.includes('Dockerfile') && s.includes('shell /bin/sh · after step 2'), 'the workbench again', 15_000);
    // Back in the pane, at the pane's size.
    tui.write('s');
    const pane = computeLayout(100, 30);
    await type(tui, 'stty size', new RegExp(`^${pane.bottomHeight - 2} ${pane.width - 2}$`));

    // Closing the pane ends the shell and what it started.
    tui.write('sleep 7391 &\r');
    await tui.waitFor(() => processesMentioning('sleep 7391').length > 0, 'the background sleep');
    tui.write(LEAVE + 'w');
    await tui.waitForText('The shell pane is closed');
    await tui.waitFor(() => processesMentioning('sleep 7391').length === 0, 'the shell and its sleep to end');
    expect(tui.screenText()).toContain('output of step');

    // A new shell, and layerlab killed hard: the sandbox dies with it.
    tui.write('s');
    await waitForPrompt(tui);
    tui.write('sleep 7392 &\r');
    await tui.waitFor(() => processesMentioning('sleep 7392').length > 0, 'the second background sleep');
    tui.process.kill('SIGKILL');
    await tui.exited;
    const deadline = Date.now() + 10_000;
    while (Date.now() < deadline && (processesMentioning(fixture.store).length > 0 || processesMentioning('sleep 7392').length > 0)) {
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    expect(processesMentioning('sleep 7392')).toEqual([]);
    expectNoLeftovers();
  }, 120_000);

  it('opens a failed RUN before it, with the command ready, or after it, with its partial writes', async () => {
    // The example, with a failing RUN that writes a file before it fails.
    const text = readFileSync(fixture.dockerfile, 'utf8');
    writeFileSync(fixture.dockerfile, text.replace("RUN grep '^mode=' config.ini", "RUN echo half-done > partial.txt && grep '^mode=' config.ini"));
    const tui = start(110, 32);
    await tui.waitFor((_s, l) => /○\s+FROM/.test(stepRow(l, 8) ?? ''), 'the plan');
    tui.write('c');
    await tui.waitForText('Step 9 failed at Dockerfile:34', 30_000);
    await tui.waitFor((s) => /\+\s+partial\.txt/.test(s), 'the partial write in the layer pane');

    tui.write('s');
    await tui.waitFor((_s, l) => /^b before \(command ready\) {2}a after \(partial writes\)/.test(l.at(-2) ?? ''), 'the choice');
    tui.write('b');
    await tui.waitForText('shell /bin/sh · before step 9 RUN');
    await tui.waitFor(paneHas(/^# The step failed running: echo half-done > partial\.txt && grep/), 'the failing command, shown');
    await tui.waitFor(paneHas(/^# Run it again with: eval "\$LAYERLAB_FAILED_COMMAND"$/), 'how to re-run it');
    await waitForPrompt(tui);
    await type(tui, 'echo "[$LAYERLAB_FAILED_COMMAND]"', /^\[echo half-done > partial\.txt && grep '\^mode=' config\.ini\]$/);
    await type(tui, 'pwd; ls partial.txt || echo no-partial-yet', /^no-partial-yet$/);
    await type(tui, 'eval "$LAYERLAB_FAILED_COMMAND"; echo "rc=$?"', /^rc=2$/);
    await type(tui, 'echo mode=demo > config.ini && eval "$LAYERLAB_FAILED_COMMAND"; echo "rc=$?"', /^rc=0$/);
    tui.write('exit\r');
    await tui.waitForText('The shell exited with 0. It changed 3 paths', 15_000);
    expect(tui.screenText()).toMatch(/k keeps the changes as a new step before step 9/);
    // The layer pane: the working dir (its mtime) and the two files the re-run wrote.
    await tui.waitFor((s) => /\+\s+config\.ini/.test(s) && /\+\s+partial\.txt/.test(s), 'the two files in the layer pane');
    tui.write('d');
    await tui.waitForText("The shell's changes were thrown away.");

    tui.write('s');
    await tui.waitFor((_s, l) => /^b before/.test(l.at(-2) ?? ''), 'the choice again');
    tui.write('a');
    await tui.waitForText('shell /bin/sh · after step 9 RUN');
    await waitForPrompt(tui);
    await type(tui, 'cat /app/partial.txt', /^half-done$/);
    await type(tui, 'test -e /app/config.ini || echo no-config', /^no-config$/);
    tui.write('exit\r');
    await tui.waitForText('Nothing to keep: the shell changed nothing', 15_000);
    tui.write('d');
    await tui.waitFor((s) => !s.includes('Nothing to keep'), 'the review to close');

    // Quitting with a shell open ends it, and whatever it started.
    tui.write('s');
    await tui.waitFor((_s, l) => /^b before/.test(l.at(-2) ?? ''), 'the choice once more');
    tui.write('a');
    await waitForPrompt(tui);
    tui.write('sleep 7393 &\r');
    await tui.waitFor(() => processesMentioning('sleep 7393').length > 0, 'the background sleep');
    tui.write(LEAVE + 'q');
    expect((await tui.exited).exitCode).toBe(0);
    expect(processesMentioning('sleep 7393')).toEqual([]);
    expectNoLeftovers();
  }, 120_000);

  it('says when the image has no shell, and shows its files instead', async () => {
    writeFileSync(fixture.dockerfile, 'FROM scratch\nCOPY app/ /app/\n');
    const tui = start(100, 30);
    await tui.waitFor((_s, l) => /○\s+FROM/.test(stepRow(l, 1) ?? ''), 'the plan');
    tui.write('c');
    await tui.waitFor((_s, l) => /✔\s+COPY/.test(stepRow(l, 2) ?? ''), 'the build', 30_000);
    tui.write('G');
    await tui.waitFor((_s, l) => l.some((x) => /^.▶\s+[□▣] image/.test(x)), 'the image row');
    tui.write('s');
    await tui.waitForText('No shell at step 2: the image has no shell to open');
    await tui.waitFor((s) => /up to here/.test(s) && /run\.sh/.test(s), 'the files of the step');
    expect(tui.screenText()).toMatch(/┏━ 2 COPY/);
    tui.write('q');
    expect((await tui.exited).exitCode).toBe(0);
    expectNoLeftovers();
  }, 120_000);
});
