/**
 * Running a host tool (mknod, setfattr, sync, mount) and waiting for it. Its
 * stderr is kept for the error, which is what the tool says went wrong.
 */
import { spawn } from 'node:child_process';

export class ExternalCommandError extends Error {
  constructor(
    readonly command: string,
    readonly args: string[],
    detail: string,
    /** What the tool wrote to stderr ('' when it said nothing, or never ran). */
    readonly stderr = '',
  ) {
    super(`${command} failed: ${detail.trim()}`);
    this.name = 'ExternalCommandError';
  }
}

export interface RunCommandOptions {
  /** Written to the tool's stdin (which is closed either way). */
  input?: string;
  /**
   * In a process group of its own: a Ctrl-C at the terminal goes to
   * layerlab's group and must not kill a tool in the middle of its work.
   */
  detached?: boolean;
}

export function runCommand(command: string, args: string[], options: RunCommandOptions = {}): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { stdio: ['pipe', 'ignore', 'pipe'], detached: options.detached });
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.on('error', (err) => reject(new ExternalCommandError(command, args, err.message)));
    child.on('close', (code, signal) => {
      if (code === 0) return resolve();
      const status = signal ? `killed by ${signal}` : `exit status ${code}`;
      reject(new ExternalCommandError(command, args, stderr || status, stderr));
    });
    // A tool may exit before reading stdin; its exit status tells what happened, so an EPIPE here is noise.
    child.stdin.on('error', () => undefined);
    child.stdin.end(options.input ?? '');
  });
}
