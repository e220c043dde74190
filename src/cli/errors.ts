/**
 * One place renders every error. Modules below cli cannot import this file, so
 * it reads the shape of their errors instead of their classes:
 * - `isUserError: true` means the user can fix it (bad input, bad usage): one
 *   line, no stack. `exitCode` defaults to 2.
 * - `command` + `args` means an external program failed; say which.
 * - anything else is a bug in layerlab: show the stack and ask for a report.
 */
export function renderError(err: unknown, stderr: NodeJS.WritableStream): number {
  const e = err as {
    message?: string;
    isUserError?: boolean;
    exitCode?: number;
    command?: string;
    args?: string[];
    stack?: string;
  };
  if (e && e.isUserError) {
    stderr.write(`${e.message}\n`);
    return typeof e.exitCode === 'number' ? e.exitCode : 2;
  }
  if (e && typeof e.command === 'string') {
    const shown = [e.command, ...(e.args ?? [])].join(' ');
    stderr.write(`layerlab: ${e.message}\n  while running: ${shown}\n`);
    return typeof e.exitCode === 'number' ? e.exitCode : 1;
  }
  stderr.write(
    `layerlab: internal error (this is a bug, please report it with the steps that led here)\n${e?.stack ?? String(err)}\n`,
  );
  return 1;
}
