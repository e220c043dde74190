/**
 * The real registry the tests pull from and push to: Debian's docker-registry
 * on 127.0.0.1 (plain HTTP).
 *
 * In CI, .ci/run starts it with scripts/ci/start-registry.sh and exports
 * LAYERLAB_TEST_REGISTRY. Locally, `npm test` works without that: the first
 * test file that calls ensureRegistry() starts one with the same script (its
 * own state dir under the temp dir) and the last one to release it stops it.
 *
 * Vitest runs test files in several worker processes at once, so "the one it
 * started" is shared: each user leaves a file named after its pid in a users
 * dir, all under one mkdir lock, and the registry is stopped only when no live
 * user is left. A crashed worker's entry is ignored once its pid is gone.
 */
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, readdir, readFile, rm, rmdir, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const projectRoot = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
const startScript = join(projectRoot, 'scripts', 'ci', 'start-registry.sh');
const stopScript = join(projectRoot, 'scripts', 'ci', 'stop-registry.sh');

/** "host:port" of the test registry: $LAYERLAB_TEST_REGISTRY or 127.0.0.1:5000. */
export function registryAddress(): string {
  return process.env.LAYERLAB_TEST_REGISTRY || '127.0.0.1:5000';
}

/** True when GET /v2/ answers 200 (or 401: a registry, just not an open one). */
export async function registryAnswers(address = registryAddress()): Promise<boolean> {
  try {
    const res = await fetch(`http://${address}/v2/`, { signal: AbortSignal.timeout(2000) });
    await res.arrayBuffer();
    return res.status === 200;
  } catch {
    return false;
  }
}

/** State dir used when the tests start the registry themselves. */
function localStateDir(address: string): string {
  return join(tmpdir(), `layerlab-test-registry-${address.replace(/[^0-9A-Za-z]/g, '_')}`);
}

async function withLock<T>(dir: string, fn: () => Promise<T>): Promise<T> {
  await mkdir(dir, { recursive: true });
  const lock = join(dir, 'lock');
  const deadline = Date.now() + 60_000;
  for (;;) {
    try {
      await mkdir(lock);
      await writeFile(join(lock, 'owner'), String(process.pid));
      break;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      // A holder that died leaves the lock behind; take it over.
      const owner = Number(await readFile(join(lock, 'owner'), 'utf8').catch(() => ''));
      if (owner && !pidAlive(owner)) {
        await rm(lock, { recursive: true, force: true });
        continue;
      }
      if (Date.now() > deadline) throw new Error(`timed out waiting for the registry lock ${lock}`);
      await new Promise((r) => setTimeout(r, 50));
    }
  }
  try {
    return await fn();
  } finally {
    await rm(lock, { recursive: true, force: true });
  }
}

function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

function runScript(script: string, env: NodeJS.ProcessEnv): Promise<void> {
  return new Promise((resolvePromise, reject) => {
    const child = spawn(script, [], { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (d: Buffer) => (output += d.toString()));
    child.stderr.on('data', (d: Buffer) => (output += d.toString()));
    child.on('error', reject);
    child.on('close', (code) => {
      if (code === 0) resolvePromise();
      else reject(new Error(`${script} exited with ${code}:\n${output}`));
    });
  });
}

let heldBy: { stateDir: string; userFile: string } | undefined;

/**
 * Makes sure a registry answers at registryAddress(). Returns a release
 * function for afterAll: it stops the registry only if the tests started it
 * and no other test process still uses it. Safe to call more than once.
 */
export async function ensureRegistry(): Promise<() => Promise<void>> {
  const address = registryAddress();
  const stateDir = localStateDir(address);
  const usersDir = join(stateDir, 'users');
  const pidFile = join(stateDir, 'registry.pid');
  const weStartedOne = (): boolean => existsSync(pidFile);

  if (!weStartedOne() && (await registryAnswers(address))) {
    // Started by .ci/run or by hand: not ours to stop.
    return async () => {};
  }
  await withLock(stateDir, async () => {
    if (!(await registryAnswers(address))) {
      await runScript(startScript, { LAYERLAB_TEST_REGISTRY: address, LAYERLAB_REGISTRY_STATE: stateDir });
    }
    await mkdir(usersDir, { recursive: true });
    const userFile = join(usersDir, String(process.pid));
    await writeFile(userFile, '');
    heldBy = { stateDir, userFile };
  });

  return async () => {
    if (!heldBy) return;
    const { userFile } = heldBy;
    heldBy = undefined;
    await withLock(stateDir, async () => {
      await rm(userFile, { force: true });
      const users = await readdir(usersDir).catch(() => [] as string[]);
      const live = users.filter((name) => pidAlive(Number(name)));
      for (const dead of users.filter((name) => !live.includes(name))) await rm(join(usersDir, dead), { force: true });
      if (live.length === 0 && weStartedOne()) {
        await runScript(stopScript, { LAYERLAB_REGISTRY_STATE: stateDir });
        await rmdir(usersDir).catch(() => {});
      }
    });
  };
}
