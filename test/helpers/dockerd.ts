/**
 * A Docker daemon started by hand for one test file: its own data root, exec
 * root, pidfile and socket under a temp dir, no bridge and no iptables, so it
 * touches nothing of the host's docker (if any) and needs no network. Needs
 * Debian's docker.io and root.
 *
 *   const daemon = await startDockerd();
 *   if ('unavailable' in daemon) console.warn(daemon.unavailable);   // then it.skip
 *   await daemon.docker(['version']);
 *   await daemon.stop();
 *
 * When the daemon cannot start, the result says why (with the tail of its log)
 * so tests can skip with a clear message instead of pretending.
 */
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { existsSync, openSync, closeSync } from 'node:fs';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/**
 * Debian's client first: it matches the daemon's API version and has the
 * built-in BuildKit client (DOCKER_BUILDKIT=1) that needs no buildx plugin.
 */
const clientCandidates = ['/usr/bin/docker', '/usr/local/bin/docker'];
const daemonCandidates = ['/usr/sbin/dockerd', '/usr/bin/dockerd'];

export interface DockerCommandResult {
  stdout: string;
  stderr: string;
}

export class DockerCommandError extends Error {
  constructor(
    readonly command: string,
    readonly args: string[],
    readonly exitCode: number | null,
    readonly stdout: string,
    readonly stderr: string,
  ) {
    super(`${command} ${args.join(' ')} exited with ${exitCode}:\n${stderr.slice(-4000)}`);
    this.name = 'DockerCommandError';
  }
}

export interface Dockerd {
  /** The temp dir holding data root, exec root, socket and log. */
  workDir: string;
  socket: string;
  /** The client binary used. */
  client: string;
  storageDriver: string;
  /** Runs the client against this daemon. `env` is added to the process env. */
  docker(args: string[], options?: { env?: Record<string, string>; cwd?: string }): Promise<DockerCommandResult>;
  /** SIGTERM (SIGKILL after 20 s), unmounts what it left, removes the temp dir. */
  stop(): Promise<void>;
}

export interface StartOptions {
  /** Tried in order until one starts; default overlay2 then vfs. */
  storageDrivers?: string[];
  /** How long to wait for `docker info` to answer, per driver. */
  timeoutMs?: number;
}

function firstExisting(paths: string[]): string | undefined {
  return paths.find((p) => existsSync(p));
}

function runClient(
  client: string,
  socket: string,
  args: string[],
  options: { env?: Record<string, string>; cwd?: string } = {},
): Promise<DockerCommandResult> {
  const fullArgs = ['-H', `unix://${socket}`, ...args];
  return new Promise((resolve, reject) => {
    execFile(
      client,
      fullArgs,
      { maxBuffer: 256 * 1024 * 1024, env: { ...process.env, ...options.env }, cwd: options.cwd },
      (err, stdout, stderr) => {
        if (err) {
          const code = typeof (err as { code?: unknown }).code === 'number' ? ((err as { code: number }).code) : null;
          reject(new DockerCommandError(client, fullArgs, code, stdout, stderr));
        } else resolve({ stdout, stderr });
      },
    );
  });
}

async function unmountUnder(dir: string): Promise<void> {
  const mounts = (await readFile('/proc/self/mountinfo', 'utf8'))
    .split('\n')
    .map((l) => l.split(' ')[4] ?? '')
    .filter((m) => m === dir || m.startsWith(`${dir}/`));
  // Deepest first.
  for (const m of mounts.sort((a, b) => b.length - a.length)) {
    await new Promise<void>((resolve) => execFile('umount', ['-l', m], () => resolve()));
  }
}

async function stopProcess(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  child.kill('SIGTERM');
  const timer = new Promise<'timeout'>((resolve) => setTimeout(() => resolve('timeout'), 20_000).unref());
  if ((await Promise.race([exited, timer])) === 'timeout') {
    child.kill('SIGKILL');
    await exited;
  }
}

/** Starts a private dockerd; resolves `{ unavailable }` with the reason when it cannot. */
export async function startDockerd(options: StartOptions = {}): Promise<Dockerd | { unavailable: string }> {
  const daemonBinary = firstExisting(daemonCandidates);
  const client = firstExisting(clientCandidates);
  if (!daemonBinary || !client) return { unavailable: 'dockerd or the docker client is not installed (apt-get install -y docker.io)' };
  if (process.getuid?.() !== 0) return { unavailable: 'a hand-started dockerd needs root' };
  const timeoutMs = options.timeoutMs ?? 40_000;
  const reasons: string[] = [];
  for (const driver of options.storageDrivers ?? ['overlay2', 'vfs']) {
    // /tmp is a short path: the socket path must fit in sun_path (108 bytes).
    const workDir = await mkdtemp(join(tmpdir(), 'll-dockerd-'));
    const socket = join(workDir, 'docker.sock');
    const logPath = join(workDir, 'dockerd.log');
    const log = openSync(logPath, 'w');
    const child = spawn(
      daemonBinary,
      [
        '--data-root', join(workDir, 'data'),
        '--exec-root', join(workDir, 'exec'),
        '--pidfile', join(workDir, 'dockerd.pid'),
        '-H', `unix://${socket}`,
        '--iptables=false',
        '--ip6tables=false',
        '--bridge=none',
        '--storage-driver', driver,
        // Its own containerd, so a host daemon's containerd is never shared.
        '--containerd-namespace', 'layerlab-test',
        '--containerd-plugins-namespace', 'layerlab-test-plugins',
      ],
      { stdio: ['ignore', log, log] },
    );
    closeSync(log);
    let spawnError: Error | undefined;
    child.on('error', (err) => (spawnError = err));
    const stop = async () => {
      await stopProcess(child);
      await unmountUnder(workDir);
      await rm(workDir, { recursive: true, force: true });
    };
    const deadline = Date.now() + timeoutMs;
    let ready = false;
    while (Date.now() < deadline && child.exitCode === null && child.signalCode === null && !spawnError) {
      try {
        const info = await runClient(client, socket, ['info', '--format', '{{.Driver}}']);
        if (info.stdout.trim() === driver) {
          ready = true;
          break;
        }
      } catch {
        // Not up yet.
      }
      await new Promise((resolve) => setTimeout(resolve, 300));
    }
    if (ready) {
      return {
        workDir,
        socket,
        client,
        storageDriver: driver,
        docker: (args, opts) => runClient(client, socket, args, opts),
        stop,
      };
    }
    const tail = (await readFile(logPath, 'utf8').catch(() => ''))
      .split('\n')
      .filter((l) => l.trim())
      .slice(-6)
      .join('\n    ');
    const how = spawnError ? `could not be spawned (${spawnError.message})` : child.exitCode !== null ? `exited with ${child.exitCode}` : `did not answer within ${timeoutMs / 1000}s`;
    reasons.push(`with --storage-driver ${driver} dockerd ${how}; last log lines:\n    ${tail}`);
    await stop();
  }
  return { unavailable: `dockerd could not start:\n  ${reasons.join('\n  ')}` };
}
