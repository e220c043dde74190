/**
 * One full garbage collection once the workbench is idle after building a
 * big view. Building the trees of a 100k-file layer leaves tens of MB of
 * garbage in V8's old generation (the build's temporaries, and those of the
 * engine step before it). Little garbage is made afterwards — a key press
 * allocates a few hundred kB — so V8 would keep that garbage, and the memory
 * under it, for the rest of the session. A collection in a quiet moment gives
 * it back; it takes tens of ms, the build before it took a second.
 *
 * V8 offers the call only behind --expose-gc; the flag is set at run time and
 * the function taken from a fresh context, as V8 installs it there.
 */
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';

/** Quiet time, after the last request, before collecting. */
const IDLE_MS = 400;

let collect: (() => void) | undefined | null;
let timer: NodeJS.Timeout | undefined;

function collector(): (() => void) | undefined {
  if (collect === undefined) {
    try {
      setFlagsFromString('--expose-gc');
      collect = (runInNewContext('gc') as () => void) ?? null;
    } catch {
      collect = null;
    }
  }
  return collect ?? undefined;
}

/** Asks for a collection once nothing asked again for IDLE_MS. */
export function collectWhenIdle(): void {
  if (timer) clearTimeout(timer);
  timer = setTimeout(() => {
    timer = undefined;
    collector()?.();
  }, IDLE_MS);
  timer.unref();
}

/** Forgets a collection asked for (the workbench closes). */
export function cancelIdleCollection(): void {
  if (timer) clearTimeout(timer);
  timer = undefined;
}
