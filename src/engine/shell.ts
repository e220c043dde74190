/**
 * An interactive shell inside the container as it is at some step: a real
 * pty from the sandbox, over the step's layers with a throwaway upper dir.
 * When the shell exits, what it changed can be read as a change list,
 * discarded, or committed as a layer.
 *
 * The shell keeps its history in a file outside the container (bind-mounted
 * at /.layerlab), so the commands typed can become a RUN line, and a failing
 * step's command can be there to re-run with the up arrow.
 */
import { chmod, mkdir, mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { ImageConfig } from '../image/oci-types.js';
import { removeStoreTree } from '../image/remove-tree.js';
import type { Store } from '../image/store.js';
import type { ChangeEntry } from '../layers/types.js';
import { removeWorkDir, resolveUser, runPty, type PtySandboxProcess } from '../sandbox/index.js';
import { commitUpperDir, detectChanges, sandboxMountpoints, type CommitOptions, type LayerRecord } from './layer-commit.js';
import { readFileFromStack, statInStack } from './layer-stack-reader.js';

/** Where the history dir is mounted inside the container. */
export const shellStateMount = '/.layerlab';

export class NoShellError extends Error {
  readonly isUserError = true;
  readonly exitCode = 2;
  constructor(tried: string[]) {
    super(`the image has no shell to open (tried ${tried.join(', ')}); use --shell PATH, or look at its files instead`);
    this.name = 'NoShellError';
  }
}

export interface ShellRequest {
  store: Store;
  /** The container's layers, topmost first. */
  lowerDirs: string[];
  config: ImageConfig;
  /** "KEY=value": the image env (and ARG values) at that step. */
  env: string[];
  /** Overrides the choice of $SHELL, /bin/bash, /bin/sh. */
  shell?: string;
  cols: number;
  rows: number;
  term?: string;
  /** Put into the shell's history, newest last, ready for the up arrow. */
  history?: string[];
  /** Extra "KEY=value" entries, e.g. the failing command. */
  extraEnv?: string[];
  /** Rootless: how upper-dir ids map back to container ids in a committed layer. */
  commitOptions?: CommitOptions;
}

/**
 * Rebuilds the command lines typed into a shell from its keystrokes, for
 * shells that keep no history file (busybox ash as Debian builds it). Editing
 * keys a line editor handles (arrows, tab) make a line uncertain; such lines
 * are still returned, and the user can edit the RUN line before keeping it.
 */
export class TypedLineRecorder {
  private current = '';
  private escape = false;
  readonly lines: string[] = [];

  feed(data: string): void {
    for (const ch of data) {
      if (this.escape) {
        // CSI sequences end with a letter or ~; a lone ESC+char ends at once.
        if (/[A-Za-z~]/.test(ch)) this.escape = false;
        continue;
      }
      if (ch === '\x1b') this.escape = true;
      else if (ch === '\r' || ch === '\n') {
        if (this.current.trim() !== '') this.lines.push(this.current);
        this.current = '';
      } else if (ch === '\x7f' || ch === '\b') this.current = this.current.slice(0, -1);
      else if (ch === '\x03' || ch === '\x15') this.current = '';
      else if (ch === '\x17') this.current = this.current.replace(/\S+\s*$/, '');
      else if (ch >= ' ') this.current += ch;
    }
  }
}

export interface OpenedShell {
  readonly process: PtySandboxProcess;
  /** Everything typed into the shell goes through here, so the typed lines are known. */
  write(data: string): void;
  readonly shellPath: string;
  /** Resolves with the shell's exit code (128+n when a signal ended it). */
  exited: Promise<number>;
  /** What the shell changed; read it after the shell exited. */
  changes(): Promise<ChangeEntry[]>;
  /** The commands typed in this shell (not the preloaded ones), oldest first. */
  typedCommands(): Promise<string[]>;
  /** Commits the changes as a layer (the shell must have exited). */
  commit(): Promise<LayerRecord | undefined>;
  /** Removes the throwaway upper dir and the history dir. */
  discard(): Promise<void>;
}

/** The first of $SHELL from the image env, /bin/bash and /bin/sh that exists in the layers. */
export function chooseShell(lowerDirs: string[], env: string[], override?: string): string {
  if (override) return override;
  const fromEnv = env.find((e) => e.startsWith('SHELL='))?.slice('SHELL='.length);
  const candidates = [fromEnv, '/bin/bash', '/bin/sh'].filter((c): c is string => !!c && c.startsWith('/'));
  for (const candidate of candidates) {
    if (statInStack(lowerDirs, candidate) !== undefined) return candidate;
  }
  throw new NoShellError(candidates);
}

export async function openShell(req: ShellRequest): Promise<OpenedShell> {
  const shellPath = chooseShell(req.lowerDirs, req.env, req.shell);
  const config = req.config.config ?? {};
  const cwd = config.WorkingDir || '/';
  const user = resolveUser(config.User ?? '', {
    passwd: readFileFromStack(req.lowerDirs, '/etc/passwd')?.toString('utf8'),
    group: readFileFromStack(req.lowerDirs, '/etc/group')?.toString('utf8'),
  });

  const work = await mkdtemp(join(req.store.tmpDir, 'shell-'));
  const upperDir = join(work, 'upper');
  const workDir = join(work, 'work');
  const stateDir = join(work, 'state');
  await mkdir(upperDir);
  await mkdir(workDir);
  await mkdir(stateDir);
  // The shell may run as any user: the history must be writable to it.
  await chmod(stateDir, 0o777);
  const preloaded = req.history ?? [];
  const historyFile = join(stateDir, 'history');
  await writeFile(historyFile, preloaded.map((l) => `${l}\n`).join(''));
  await chmod(historyFile, 0o666);
  if (statInStack(req.lowerDirs, cwd) === undefined) await mkdir(join(upperDir, cwd), { recursive: true });

  const env = [
    ...withDefault(req.env, 'HOME', user.home),
    `HISTFILE=${shellStateMount}/history`,
    // bash: write each command as it is typed, so nothing is lost on a kill.
    'PROMPT_COMMAND=history -a',
    ...(req.extraEnv ?? []),
  ];
  if (req.term) env.push(`TERM=${req.term}`);

  const proc = await runPty(
    {
      rootfs: { lowerDirs: req.lowerDirs, upperDir, workDir },
      argv: [shellPath],
      env,
      cwd,
      user,
      network: 'default',
      mounts: [{ type: 'bind', source: stateDir, target: shellStateMount }],
    },
    { cols: req.cols, rows: req.rows, term: req.term },
  );
  const exited = proc.wait().then((r) => {
    removeWorkDir(workDir, false);
    return r.exitCode ?? 128 + signalNumber(r.signal);
  });
  let discarded = false;
  const recorder = new TypedLineRecorder();
  const changes = async (): Promise<ChangeEntry[]> => {
    await exited;
    return detectChanges(upperDir, req.lowerDirs, [...sandboxMountpoints, shellStateMount.slice(1)]);
  };
  return {
    process: proc,
    write(data: string) {
      recorder.feed(data);
      proc.write(data);
    },
    shellPath,
    exited,
    changes,
    async typedCommands() {
      const text = await readFile(historyFile, 'utf8').catch(() => '');
      const fromFile = text.split('\n').filter((l) => l.trim() !== '' && !l.startsWith('#')).slice(preloaded.length);
      // A shell that wrote its history is the better witness; otherwise the keystrokes.
      const lines = fromFile.length > 0 ? fromFile : recorder.lines;
      return lines.filter((l) => !/^\s*(exit|logout)(\s+\d+)?\s*$/.test(l));
    },
    async commit() {
      const list = await changes();
      if (list.length === 0) return undefined;
      await removeStoreTree(workDir);
      return commitUpperDir(req.store, list, upperDir, req.commitOptions);
    },
    async discard() {
      if (discarded) return;
      discarded = true;
      proc.kill();
      await exited.catch(() => undefined);
      // Rootless, the upper dir holds files of subordinate ids the user cannot rm.
      await removeStoreTree(work);
    },
  };
}

function withDefault(env: string[], key: string, value: string): string[] {
  return env.some((e) => e.startsWith(`${key}=`)) ? env : [...env, `${key}=${value}`];
}

function signalNumber(signal: string | null): number {
  const numbers: Record<string, number> = { SIGHUP: 1, SIGINT: 2, SIGQUIT: 3, SIGKILL: 9, SIGTERM: 15 };
  return signal ? (numbers[signal] ?? 1) : 0;
}
