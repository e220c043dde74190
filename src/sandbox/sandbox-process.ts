/**
 * Running a RunSpec: `run` with piped stdio, `runPty` on a pseudo-terminal.
 * Both clean up on every path: when the process ends, when it is killed or
 * times out (the whole pid namespace goes), and when layerlab itself dies
 * (setpriv's parent-death signal; see prepare-run.ts). What stays on disk
 * after a crash is only the run dir, which `sweepLeftovers` removes.
 */
import { spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Readable, Writable } from 'node:stream';
import { constants as osConstants } from 'node:os';
import { SandboxSetupError } from './errors.js';
import { getIdMapping } from './id-mapping.js';
import { prepareRun, type PreparedRun } from './prepare-run.js';
import { removeCreatedMountpoints, removeRunDir } from './run-dir.js';
import type { PtyOptions, RunResult, RunSpec } from './run-spec.js';

export interface SandboxRunResult extends RunResult {
  /**
   * Mountpoints the rootfs lacked and that had to be created in its writable
   * dir (container paths). They were removed again after the run; in an
   * overlay, their parent dirs may remain in the upper dir as copied-up dirs
   * with a new mtime. Empty in the usual case, where the stub layer provides
   * every mountpoint.
   */
  createdMountpoints: string[];
}

export interface SandboxProcess {
  /** Host pid of the outer unshare process. */
  readonly pid: number;
  readonly stdout: Readable;
  readonly stderr: Readable;
  /** Only with `stdin: 'pipe'`. */
  readonly stdin: Writable | null;
  /**
   * Resolves once the process and everything else in its namespaces are
   * gone. Rejects with SandboxSetupError when the container could not be
   * set up (the process never started).
   */
  wait(): Promise<SandboxRunResult>;
  /** Kills the whole sandbox (SIGKILL to its pid namespace). */
  kill(): void;
}

export interface PtySandboxProcess {
  readonly pid: number;
  onData(listener: (data: string) => void): { dispose(): void };
  write(data: string): void;
  resize(cols: number, rows: number): void;
  wait(): Promise<SandboxRunResult>;
  kill(): void;
}

export async function run(spec: RunSpec): Promise<SandboxProcess> {
  const mapping = await getIdMapping();
  const prepared = prepareRun(spec, mapping);
  const started = Date.now();
  const child = spawn(prepared.command, prepared.args, {
    env: prepared.env,
    stdio: [spec.stdin === 'pipe' ? 'pipe' : 'ignore', 'pipe', 'pipe'],
  });
  const killer = new NamespaceKiller(() => child.pid);
  // 'close' comes after the exit AND after every holder of the stdout and
  // stderr pipes is gone, i.e. after the whole namespace died.
  const closed = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve, reject) => {
    child.once('error', reject);
    child.once('close', (code, signal) => resolve({ code, signal }));
  });
  const timer = startTimeout(spec.timeoutMs, killer);
  const result = closed.then(
    async ({ code, signal }) => {
      clearTimeout(timer.handle);
      await killer.namespaceGone();
      return finish(prepared, code, signal, timer.fired, killer.killed, Date.now() - started);
    },
    (error: unknown) => {
      clearTimeout(timer.handle);
      removeRunDir(prepared.runDir);
      throw error;
    },
  );
  result.catch(() => undefined); // reported through wait()
  return {
    pid: child.pid ?? -1,
    stdout: child.stdout!,
    stderr: child.stderr!,
    stdin: child.stdin,
    wait: () => result,
    kill: () => killer.kill(),
  };
}

export async function runPty(spec: RunSpec, options: PtyOptions): Promise<PtySandboxProcess> {
  const mapping = await getIdMapping();
  const term = options.term ?? 'xterm-256color';
  const prepared = prepareRun(spec, mapping, { pty: { term } });
  // Loaded on demand: only shells need the native module.
  const nodePty = await import('@lydell/node-pty');
  const started = Date.now();
  const pty = nodePty.spawn(prepared.command, prepared.args, {
    name: term,
    cols: options.cols,
    rows: options.rows,
    cwd: '/',
    env: prepared.env,
  });
  const killer = new NamespaceKiller(() => pty.pid);
  const timer = startTimeout(spec.timeoutMs, killer);
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => {
    pty.onExit(({ exitCode, signal }) => {
      resolve(signal ? { code: null, signal: signalName(signal) } : { code: exitCode, signal: null });
    });
  });
  const result = exited.then(async ({ code, signal }) => {
    clearTimeout(timer.handle);
    await killer.namespaceGone();
    return finish(prepared, code, signal, timer.fired, killer.killed, Date.now() - started);
  });
  result.catch(() => undefined);
  return {
    pid: pty.pid,
    onData: (listener) => pty.onData(listener),
    write: (data) => pty.write(data),
    resize: (cols, rows) => pty.resize(cols, rows),
    wait: () => result,
    kill: () => killer.kill(),
  };
}

function startTimeout(timeoutMs: number | undefined, killer: NamespaceKiller) {
  const timer = { fired: false, handle: undefined as NodeJS.Timeout | undefined };
  if (timeoutMs !== undefined) {
    timer.handle = setTimeout(() => {
      timer.fired = true;
      killer.kill();
    }, timeoutMs);
  }
  return timer;
}

function finish(
  prepared: PreparedRun,
  code: number | null,
  signal: NodeJS.Signals | null,
  timedOut: boolean,
  killed: boolean,
  durationMs: number,
): SandboxRunResult {
  const setupDone = existsSync(join(prepared.runDir, 'setup-done'));
  const log = readLog(prepared.runDir);
  const createdMountpoints = removeCreatedMountpoints(prepared.runDir, prepared.writableDir);
  removeRunDir(prepared.runDir);
  if (!setupDone && !killed) throw new SandboxSetupError(prepared.command, prepared.args, log);
  // util-linux 2.38's unshare cannot re-raise SIGKILL on itself and exits 1
  // instead; report the kill we made.
  if (killed) return { exitCode: null, signal: 'SIGKILL', timedOut, durationMs, createdMountpoints };
  return { exitCode: code, signal, timedOut, durationMs, createdMountpoints };
}

function readLog(runDir: string): string {
  try {
    return readFileSync(join(runDir, 'setup.log'), 'utf8');
  } catch {
    return '';
  }
}

function signalName(signal: number): NodeJS.Signals | null {
  const entry = Object.entries(osConstants.signals).find(([, n]) => n === signal);
  return (entry?.[0] as NodeJS.Signals | undefined) ?? null;
}

/**
 * Kills the sandbox: SIGKILL to the namespace's pid 1, whose death kills
 * every other process in the namespace. The outer unshare then reaps it and
 * exits with the same signal, so nothing is left as an orphan zombie. Only
 * when pid 1 cannot be found (not forked yet) is the outer unshare killed,
 * and its parent-death signal takes pid 1 down.
 */
class NamespaceKiller {
  killed = false;
  private initPid: number | undefined;

  constructor(private readonly outerPid: () => number | undefined) {}

  kill(): void {
    const outer = this.outerPid();
    if (outer === undefined || this.killed) return;
    this.killed = true;
    this.initPid = childPidOf(outer);
    try {
      process.kill(this.initPid ?? outer, 'SIGKILL');
    } catch {
      // already gone
    }
  }

  /**
   * After a kill, wait (up to 5 s) until the namespace's pid 1 has exited. A
   * pid 1 exits only after every other process of its namespace, so then the
   * namespace is empty. A zombie counts as exited.
   */
  async namespaceGone(): Promise<void> {
    const pid = this.initPid;
    if (pid === undefined) return;
    for (let waited = 0; waited < 5000 && isRunning(pid); waited += 5) {
      await new Promise((r) => setTimeout(r, 5));
    }
  }
}

function isRunning(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) !== 'Z';
  } catch {
    return false;
  }
}

function childPidOf(pid: number): number | undefined {
  try {
    const first = readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8').trim().split(/\s+/)[0];
    return first ? Number(first) : undefined;
  } catch {
    return undefined;
  }
}
