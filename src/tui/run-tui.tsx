/**
 * Starts the workbench on a build session and resolves when the user quits
 * and the session is closed. Render options follow TUI-NOTES.md: Ctrl-C is
 * ours (not Ink's), and Ink may draw up to 250 frames a second: keys draw at once, and bursts
 * of session events are already drawn at most once a frame by the controller.
 * A shell that takes the whole terminal (`f`) unmounts Ink and mounts it
 * again afterwards; the state lives in the controller, outside React.
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

export async function runTui(options: RunTuiOptions): Promise<void> {
  const { session } = options;
  const stdout = options.stdout ?? process.stdout;
  const stdin = options.stdin ?? process.stdin;
  let resolveQuit!: () => void;
  const quitDone = new Promise<void>((resolve) => (resolveQuit = resolve));
  let instance: Instance | undefined;
  const handOff: TerminalHandOff = async (takeOver) => {
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
      // A quit meanwhile (SIGTERM) needs no workbench any more.
      if (!controller.getSnapshot().quitting) instance = mount();
    }
  };
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
      { stdin, stdout, exitOnCtrlC: false, patchConsole: false, maxFps: 250, incrementalRendering: false },
    );
  instance = mount();
  try {
    await quitDone;
  } finally {
    watcher?.close();
    process.off('SIGTERM', onSignal);
    process.off('SIGHUP', onSignal);
    instance?.unmount();
    await instance?.waitUntilExit().catch(() => undefined);
  }
}
