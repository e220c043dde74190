/**
 * Starts the file-step worker (file-step-worker.ts) in a private mount
 * namespace, and in a user namespace when layerlab is not root:
 *
 *   setpriv --pdeathsig KILL unshare [--user --map-root-user [--map-auto]] --mount -- node file-step-worker.js
 *
 * The user namespace has the same id map as the sandbox's (IdMapping), so a
 * file the worker chowns to container uid 1000 has the same host owner as one
 * a RUN step chowns. `--pdeathsig KILL` ends the worker (and so its
 * namespace and mounts) when layerlab dies, even by SIGKILL; unshare's mount
 * namespace is private by default, so nothing propagates to the host.
 */
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { userInfo } from 'node:os';
import { createInterface } from 'node:readline';
import { builtWorkerScript, userNamespaceArgs } from '../image/user-namespace.js';
import type { IdMapping } from '../sandbox/id-mapping.js';
import { FileStepWorkerError } from './file-step-errors.js';
import { errorFromWire, type FileStepCall, type FileStepReply } from './file-step-protocol.js';

/**
 * The compiled worker. From dist/ it sits next to this module; when the
 * engine runs from src/ (vitest), the build's copy is used.
 */
export function workerScriptPath(): string {
  const { path, tried } = builtWorkerScript(import.meta.url, 'engine', 'file-step-worker.js');
  if (path) return path;
  throw new FileStepWorkerError(
    `the file-step worker is not built (looked for ${tried[0]} and ${tried[1]}); run npm run build`,
    process.execPath,
    [tried[0]],
  );
}

/** The unshare flags for a mapping: the same user namespace the sandbox's RUN steps and the store get. */
export function namespaceArgs(mapping: IdMapping): string[] {
  return [...userNamespaceArgs(mapping.kind), '--mount'];
}

interface Pending {
  resolve(value: unknown): void;
  reject(err: Error): void;
}

export class FileStepWorker {
  private nextId = 1;
  private readonly pending = new Map<number, Pending>();
  private stderr = '';
  private exited: Error | undefined;
  private readonly closed: Promise<void>;

  private constructor(
    private readonly child: ChildProcessWithoutNullStreams,
    private readonly command: string,
    private readonly args: string[],
  ) {
    child.stderr.setEncoding('utf8');
    child.stderr.on('data', (text: string) => {
      if (this.stderr.length < 16_384) this.stderr += text;
    });
    const replies = createInterface({ input: child.stdout, crlfDelay: Infinity });
    replies.on('line', (line) => this.onReply(line));
    this.closed = new Promise((resolve) => {
      child.once('error', (err) => {
        this.fail(new FileStepWorkerError(`could not start the file-step worker: ${err.message}`, command, args));
        resolve();
      });
      child.once('close', (code, signal) => {
        const how = signal ? `was killed by ${signal}` : `exited with code ${code}`;
        const detail = this.stderr.trim() ? `: ${this.stderr.trim()}` : '';
        this.fail(new FileStepWorkerError(`the file-step worker ${how}${detail}`, command, args));
        resolve();
      });
    });
    // A write after the worker died must not become an uncaught EPIPE.
    child.stdin.on('error', () => undefined);
    this.hold(false);
  }

  static start(mapping: IdMapping): FileStepWorker {
    const command = 'setpriv';
    const args = ['--pdeathsig', 'KILL', 'unshare', ...namespaceArgs(mapping), '--', process.execPath, workerScriptPath()];
    const child = spawn(command, args, {
      stdio: ['pipe', 'pipe', 'pipe'],
      env: {
        ...process.env,
        LAYERLAB_FILE_STEP_USERXATTR: mapping.kind === 'host' ? '0' : '1',
        LAYERLAB_FILE_STEP_HOST_USER: userInfo().username,
      },
    });
    return new FileStepWorker(child, command, args);
  }

  get pid(): number | undefined {
    return this.child.pid;
  }

  call<T>(call: FileStepCall): Promise<T> {
    if (this.exited) return Promise.reject(this.exited);
    const id = this.nextId++;
    return new Promise<T>((resolve, reject) => {
      this.pending.set(id, { resolve: resolve as (value: unknown) => void, reject });
      this.hold(true);
      this.child.stdin.write(`${JSON.stringify({ id, call })}\n`);
    });
  }

  get alive(): boolean {
    return this.exited === undefined;
  }

  /** Ends the worker now (a cancelled step); pending calls reject. */
  kill(): void {
    if (!this.exited) this.child.kill('SIGKILL');
  }

  /** Lets the worker finish (it unmounts what is left) and waits until it is gone. */
  async close(): Promise<void> {
    this.hold(true);
    this.child.stdin.end();
    await this.closed;
  }

  /**
   * An idle worker must not keep layerlab running: it is unref'd between
   * calls, and when layerlab exits the parent-death signal ends it (it holds
   * nothing then: every step releases its mounts).
   */
  private hold(held: boolean): void {
    const handles = [this.child, this.child.stdin, this.child.stdout, this.child.stderr] as Array<{ ref?(): void; unref?(): void }>;
    for (const handle of handles) {
      if (held) handle.ref?.();
      else handle.unref?.();
    }
  }

  private onReply(line: string): void {
    let reply: FileStepReply;
    try {
      reply = JSON.parse(line) as FileStepReply;
    } catch {
      this.stderr += `${line}\n`;
      return;
    }
    const pending = this.pending.get(reply.id);
    if (!pending) return;
    this.pending.delete(reply.id);
    if (this.pending.size === 0) this.hold(false);
    if (reply.ok) pending.resolve(reply.value);
    else pending.reject(errorFromWire(reply.error));
  }

  private fail(err: Error): void {
    this.exited ??= err;
    for (const pending of this.pending.values()) pending.reject(err);
    this.pending.clear();
  }
}
