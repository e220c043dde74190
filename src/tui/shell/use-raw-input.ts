/**
 * Every input event Ink reads, as the terminal sent it (Ink's input parser
 * only splits escape sequences apart), for the shell pane. It must be
 * subscribed before useInput, so that it sees each event first: Ink's
 * emitter calls its listeners in the order they were added.
 */
import { useStdin } from 'ink';
import { useEffect, useRef } from 'react';

export function useRawInput(onData: (data: string) => void): void {
  const { internal_eventEmitter: emitter } = useStdin();
  const callback = useRef(onData);
  callback.current = onData;
  useEffect(() => {
    const listener = (data: string): void => callback.current(data);
    emitter.on('input', listener);
    return () => {
      emitter.off('input', listener);
    };
  }, [emitter]);
}
