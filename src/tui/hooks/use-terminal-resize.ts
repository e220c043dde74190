/** Calls back with the terminal's size whenever it changes. */
import { useStdout } from 'ink';
import { useEffect, useRef } from 'react';

export function useTerminalResize(onResize: (columns: number, rows: number) => void): void {
  const { stdout } = useStdout();
  const callback = useRef(onResize);
  callback.current = onResize;
  useEffect(() => {
    const handler = (): void => callback.current(stdout.columns ?? 80, stdout.rows ?? 24);
    stdout.on('resize', handler);
    return () => {
      stdout.off('resize', handler);
    };
  }, [stdout]);
}
