/**
 * Starts the workbench on a build session and resolves when the user quits
 * and the session is closed. Render options follow TUI-NOTES.md: Ctrl-C is
 * ours (not Ink's), and Ink may draw up to 250 frames a second: keys draw at
 * once, and the controller already draws bursts of session events at most
 * once a frame. Ink rewrites only the lines that changed (incremental
 * rendering) when it runs from the bundle, whose Ink is patched for it
 * (bundle/ink-patches.ts).
 * A shell that takes the whole terminal (`f`) unmounts Ink and mounts it
 * again afterwards; the state lives in the controller, outside React. So
 * does a resize while Ink draws incrementally: the terminal may have moved
 * or rewrapped the lines Ink would leave alone, so the frame after a resize
 * is drawn whole, from the top of a clean screen.
 */
import { readFileSync } from 'node:fs';
import { render, type Instance } from 'ink';
import type { SessionApi } from '../engine/session-types.js';
import { AppController, type TerminalHandOff } from './app-controller.js';
import { App } from './components/App.js';
import { watchDockerfile } from './dockerfile-watcher.js';
import { createTheme, noColorRequested, ThemeContext } from './theme.js';

export interface RunTuiOptions {
  session: SessionApi;
  stdin?: NodeJS.ReadStream;
  stdout?: NodeJS.WriteStream;
  /** Re-plan when the Dockerfile is saved (default true). */
  watch?: boolean;
  env?: NodeJS.ProcessEnv;
}

/** Defined as true by the bundle build (build-bundle.ts), whose Ink carries the fix for incremental rendering. */
const PATCHED_INK = process.env.LAYERLAB_PATCHED_INK === 'true';

export async function runTui(options: RunTuiOptions): Promise<void> {
  const { session } = options;
  const stdout = options.stdout ?? process.stdout;
  const stdin = options.stdin ?? process.stdin;
  let resolveQuit!: () => void;
  const quitDone = new Promise<void>((resolve) => (resolveQuit = resolve));
  let instance: Instance | undefined;
  let handingOff = false;
  const handOff: TerminalHandOff = async (takeOver) => {
    handingOff = true;
    const current = instance;
    instance = undefined;
    current?.unmount();
    await current?.waitUntilExit().catch(() => undefined);
    try {
      await takeOver(stdin, stdout);
    } finally {
      // Draw from the top of a clean screen, at the size the terminal has now (resize before remounting).
      stdout.write('\x1b[2J\x1b[H');
      controller.resize(stdout.columns ?? 80, stdout.rows ?? 24);
      // A quit meanwhile (SIGTERM) needs no workbench any more, nor a raw terminal.
      if (!controller.getSnapshot().quitting) instance = mount();
      else if (stdin.isTTY) stdin.setRawMode(false);
      handingOff = false;
    }
  };
  // Resizes come in bursts while a window is dragged: one redraw at a time, and one more after it.
  let redrawing: Promise<void> | undefined;
  let redrawAgain = false;
  const redrawWhole = async (): Promise<void> => {
    do {
      redrawAgain = false;
      const current = instance;
      instance = undefined;
      current?.unmount();
      await current?.waitUntilExit().catch(() => undefined);
      if (controller.getSnapshot().quitting || handingOff) return;
      stdout.write('\x1b[2J\x1b[H');
      controller.resize(stdout.columns ?? 80, stdout.rows ?? 24);
      instance = mount();
    } while (redrawAgain);
  };
  const onResize = (): void => {
    if (!PATCHED_INK || handingOff) return;
    if (redrawing) {
      redrawAgain = true;
      return;
    }
    redrawing = redrawWhole().finally(() => (redrawing = undefined));
  };
  // Before Ink's own resize listener, which would draw one more frame incrementally.
  stdout.on('resize', onResize);
  const controller = new AppController({
    session,
    columns: stdout.columns ?? 80,
    rows: stdout.rows ?? 24,
    onQuit: () => resolveQuit(),
    handOff: stdin.isTTY ? handOff : undefined,
  });

  let initialText: string | undefined;
  try {
    initialText = readFileSync(session.dockerfilePath, 'utf8');
  } catch {
    initialText = undefined;
  }
  const watcher =
    options.watch === false
      ? undefined
      : watchDockerfile(session.dockerfilePath, (text) => controller.replan(text), { initialText });

  const onSignal = (): void => void controller.quit();
  process.on('SIGTERM', onSignal);
  process.on('SIGHUP', onSignal);

  const theme = createTheme(noColorRequested(options.env ?? process.env));
  const mount = (): Instance =>
    render(
      <ThemeContext.Provider value={theme}>
        <App controller={controller} />
      </ThemeContext.Provider>,
      { stdin, stdout, exitOnCtrlC: false, patchConsole: false, maxFps: 250, incrementalRendering: PATCHED_INK },
    );
  instance = mount();
  try {
    await quitDone;
  } finally {
    watcher?.close();
    process.off('SIGTERM', onSignal);
    process.off('SIGHUP', onSignal);
    stdout.off('resize', onResize);
    await redrawing;
    instance?.unmount();
    await instance?.waitUntilExit().catch(() => undefined);
  }
}
