/**
 * Watches the Dockerfile for saves. Editors save in different ways (write in
 * place, or write a temp file and rename it over), and a watch on the file
 * itself loses track after a rename, so the directory is watched and events
 * are filtered by name. Bursts of events are debounced into one.
 */
import { watch, type FSWatcher } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { basename, dirname } from 'node:path';

export interface DockerfileWatcher {
  close(): void;
}

export function watchDockerfile(
  path: string,
  onChange: (text: string) => void,
  options: { debounceMs?: number; initialText?: string; onError?: (err: Error) => void } = {},
): DockerfileWatcher {
  const name = basename(path);
  let lastText = options.initialText;
  let timer: NodeJS.Timeout | undefined;
  let closed = false;
  const check = async (): Promise<void> => {
    timer = undefined;
    let text: string;
    try {
      text = await readFile(path, 'utf8');
    } catch (err) {
      // A rename-over save leaves a moment without the file; the next event brings it back.
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return;
      options.onError?.(err as Error);
      return;
    }
    if (closed || text === lastText) return;
    lastText = text;
    onChange(text);
  };
  let watcher: FSWatcher | undefined;
  try {
    watcher = watch(dirname(path), (_event, changed) => {
      if (closed || (changed !== null && changed !== name)) return;
      if (timer) clearTimeout(timer);
      timer = setTimeout(() => void check(), options.debounceMs ?? 150);
    });
    watcher.on('error', (err) => options.onError?.(err));
  } catch (err) {
    options.onError?.(err as Error);
  }
  return {
    close(): void {
      closed = true;
      if (timer) clearTimeout(timer);
      watcher?.close();
    },
  };
}
