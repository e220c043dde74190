import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import { link, open, readFile, rename, unlink } from 'node:fs/promises';

/**
 * An exclusive advisory lock shared between processes, made from a lock file
 * created with O_EXCL. Node has no flock(), so a holder that died is detected
 * by its pid (same host) and its lock is broken.
 *
 * Breaking a stale lock must not break a live one that replaced it in the
 * meantime, so the breaker renames the file aside first and only deletes it if
 * what it moved is still the stale owner's record (identified by a nonce); if a
 * live owner's record was moved by mistake it is linked back.
 */
export interface LockOptions {
  /** Give up after this long (ms). Default: wait for ever, as `docker` does for its store. */
  timeoutMs?: number;
  /** First retry delay (ms); grows to pollMaxMs. */
  pollMs?: number;
  pollMaxMs?: number;
}

interface LockRecord {
  pid: number;
  host: string;
  nonce: string;
  since: string;
}

export class LockTimeoutError extends Error {
  readonly isUserError = true;
  readonly exitCode = 2;
  constructor(readonly path: string, readonly holder: string) {
    super(`timed out waiting for the store lock ${path} (held by ${holder})`);
    this.name = 'LockTimeoutError';
  }
}

/** Serialises holders inside one process, so they queue instead of polling the file. */
const inProcessQueues = new Map<string, Promise<unknown>>();

export async function withFileLock<T>(lockPath: string, fn: () => Promise<T>, options: LockOptions = {}): Promise<T> {
  const previous = inProcessQueues.get(lockPath) ?? Promise.resolve();
  let release!: () => void;
  const mine = new Promise<void>((resolve) => (release = resolve));
  const chained = previous.then(() => mine);
  inProcessQueues.set(lockPath, chained);
  await previous.catch(() => undefined);
  try {
    const record = await acquire(lockPath, options);
    try {
      return await fn();
    } finally {
      await releaseLock(lockPath, record);
    }
  } finally {
    release();
    if (inProcessQueues.get(lockPath) === chained) inProcessQueues.delete(lockPath);
  }
}

async function acquire(lockPath: string, options: LockOptions): Promise<LockRecord> {
  const record: LockRecord = {
    pid: process.pid,
    host: hostname(),
    nonce: randomBytes(12).toString('hex'),
    since: new Date().toISOString(),
  };
  const started = Date.now();
  let delay = options.pollMs ?? 5;
  const maxDelay = options.pollMaxMs ?? 100;
  for (;;) {
    try {
      const handle = await open(lockPath, 'wx', 0o644);
      try {
        await handle.writeFile(JSON.stringify(record));
      } finally {
        await handle.close();
      }
      return record;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    }
    const holder = await readRecord(lockPath);
    if (holder && isStale(holder)) {
      await breakStaleLock(lockPath, holder);
      continue;
    }
    if (options.timeoutMs !== undefined && Date.now() - started > options.timeoutMs) {
      throw new LockTimeoutError(lockPath, holder ? `pid ${holder.pid} on ${holder.host}` : 'unknown');
    }
    await new Promise((resolve) => setTimeout(resolve, delay));
    delay = Math.min(maxDelay, delay * 2);
  }
}

async function readRecord(lockPath: string): Promise<LockRecord | undefined> {
  try {
    const text = await readFile(lockPath, 'utf8');
    // An empty file is a holder between open() and write(): treat it as live.
    if (text === '') return undefined;
    return JSON.parse(text) as LockRecord;
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') return undefined;
    if (err instanceof SyntaxError) return undefined;
    throw err;
  }
}

function isStale(holder: LockRecord): boolean {
  // Another host's pid means nothing here; such a lock is only broken by hand.
  if (holder.host !== hostname()) return false;
  if (holder.pid === process.pid) return false;
  try {
    process.kill(holder.pid, 0);
    return false;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'ESRCH';
  }
}

async function breakStaleLock(lockPath: string, stale: LockRecord): Promise<void> {
  const aside = `${lockPath}.stale-${randomBytes(6).toString('hex')}`;
  try {
    await rename(lockPath, aside);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return;
    throw err;
  }
  const moved = await readRecord(aside);
  if (moved && moved.nonce !== stale.nonce) {
    // A live holder took the lock between our read and our rename: give it back.
    // link() fails if yet another process created the lock since; then the
    // live holder's record is lost but that process still believes it holds
    // the lock, which is the one (tiny) window this scheme cannot close.
    await link(aside, lockPath).catch(() => undefined);
  }
  await unlink(aside).catch(() => undefined);
}

async function releaseLock(lockPath: string, record: LockRecord): Promise<void> {
  const current = await readRecord(lockPath);
  if (current && current.nonce === record.nonce) await unlink(lockPath).catch(() => undefined);
}
