/**
 * `npm run screenshots`: drives the real workbench on the bundled example,
 * the way the pty tests do, and writes screenshots/*.svg and *.png (via
 * rsvg-convert from librsvg2-bin): the steps pane mid-build, a layer tree, a
 * file diff, a failure banner, a shell before the failing step and the help
 * screen.
 *
 * Needs the build (dist/), the sandbox, and scripts/make-example-base.sh;
 * the store and the copy of examples/ are temporary.
 */
import { execFileSync } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { KEYS, TuiProcess } from '../testing/pty-driver.js';
import { screenToSvg } from './svg-writer.js';

const REPO = fileURLToPath(new URL('../../../', import.meta.url));
const OUT = join(REPO, 'screenshots');
const COLUMNS = 110;
const ROWS = 32;

async function main(): Promise<void> {
  const work = mkdtempSync(join(tmpdir(), 'layerlab-screenshots-'));
  const store = join(work, 'store');
  const context = join(work, 'examples');
  cpSync(join(REPO, 'examples'), context, { recursive: true });
  execFileSync('bash', [join(REPO, 'scripts/make-example-base.sh'), '--root', store], { stdio: 'inherit' });
  mkdirSync(OUT, { recursive: true });
  const app = new TuiProcess({ args: ['-f', join(context, 'Dockerfile'), context], cols: COLUMNS, rows: ROWS, env: { LAYERLAB_ROOT: store }, cwd: work });
  const shot = async (name: string, title: string): Promise<void> => {
    // Let the last frame settle: the spinner and late events redraw once more.
    await new Promise((resolve) => setTimeout(resolve, 250));
    const svgPath = join(OUT, `${name}.svg`);
    writeFileSync(svgPath, screenToSvg(app.term, title));
    execFileSync('rsvg-convert', ['--zoom', '2', '-o', join(OUT, `${name}.png`), svgPath]);
    process.stdout.write(`screenshots/${name}.svg and .png\n`);
  };
  try {
    await app.waitForText('FROM ${BASE}');
    for (let i = 0; i < 5; i++) {
      app.write('n');
      await app.waitFor((s) => !/[⠋⠙⠹⠸⠼⠴⠦⠧⠇⠏]/.test(s) && (s.match(/✔/g)?.length ?? 0) + (s.match(/◆/g)?.length ?? 0) >= i + 1, `step ${i + 1}`);
    }
    await shot('steps-mid-build', 'layerlab: the steps pane mid-build');

    app.write('n');
    await app.waitForText('+0 ~1 -0');
    app.write(KEYS.tab);
    await app.waitForText('greeting.txt');
    app.write('l');
    await app.waitForText('up to here ');
    await shot('layer-tree', 'layerlab: a layer as a file tree');

    app.write('l');
    await app.waitForText('this layer ');
    app.write('jj');
    await app.waitForText('file /app/data/greeting.txt');
    await app.waitForText('+a second line');
    await shot('file-diff', 'layerlab: a file diff against the layers below');

    app.write(KEYS.shiftTab + 'c');
    await app.waitForText('Step 9 failed at Dockerfile:34', 30_000);
    await shot('failure-banner', 'layerlab: a failing RUN step');

    // A shell in the state before the failing step, its command ready to re-run.
    app.write('s');
    await app.waitForText('b before (command ready)');
    app.write('b');
    await app.waitForText('Run it again with');
    await app.waitFor((s) => /┃\/app # +┃/.test(s), 'the shell prompt');
    app.write('eval "$LAYERLAB_FAILED_COMMAND"; echo "exit code $?"\r');
    await app.waitForText('exit code 2');
    app.write('ls -l\r');
    await app.waitForText('run.sh');
    await shot('shell-pane', 'layerlab: a shell before the failing step');
    app.write('\x1dw');
    await app.waitForText('The shell pane is closed');
    app.write(KEYS.escape);
    await app.waitFor((s) => !s.includes('The shell pane is closed'), 'the message to clear');

    app.write('?');
    await app.waitForText('keys (? or esc closes)');
    await shot('help', 'layerlab: every key');
    app.write(KEYS.escape + 'q');
    await app.exited;
  } finally {
    await app.kill();
    rmSync(work, { recursive: true, force: true });
  }
}

main().catch((err: unknown) => {
  process.stderr.write(`screenshots: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exitCode = 1;
});
