/**
 * What a RUN actually executes, with BuildKit's heredoc rules
 * (dockerfile2llb dispatchRun):
 *
 * - `RUN <<EOF` whose body starts with `#!`: the body becomes an executable
 *   file mounted read-only at /dev/pipes/EOF, and the shell runs that path;
 * - `RUN <<EOF` with any other body: the body is the shell script;
 * - heredocs inside a longer command line (`RUN cat <<A > a`): the line and
 *   the bodies are joined back into one script for the shell to read.
 */
import { InstructionError } from './errors.js';
import type { RunInstruction } from './instructions.js';

export interface RunScriptFile {
  /** Absolute path inside the container (under /dev/pipes/). */
  path: string;
  data: string;
  mode: number;
}

export interface RunCommandPlan {
  /** For shell form, one script string; for exec form, argv. */
  args: string[];
  /** Shell form: run as [...SHELL, args.join(' ')]. */
  prependShell: boolean;
  /** Files to mount read-only for the command (the shebang heredoc case). */
  scriptFiles: RunScriptFile[];
  /** A one-line summary of the first heredoc for progress output ("echo hi..."), if any. */
  heredocSummary?: string;
}

const WHOLE_HEREDOC = /^\d*<<-?\s*["']?([^"'<\s]+)["']?$/;
const PIPES_DIR = '/dev/pipes/';

export function runCommandPlan(run: RunInstruction): RunCommandPlan {
  const prependShell = run.form === 'shell';
  if (run.files.length === 0) return { args: [...run.args], prependShell, scriptFiles: [] };
  if (run.args.length !== 1 || !prependShell) {
    throw new InstructionError(`parsing produced an invalid run command: [${run.args.join(' ')}]`, {
      startLine: run.startLine,
      endLine: run.endLine,
    });
  }
  const first = run.files[0]!;
  const heredocSummary = summarizeHeredoc(first.data);
  if (WHOLE_HEREDOC.test(run.args[0]!.trim())) {
    if (first.data.startsWith('#!')) {
      const path = `${PIPES_DIR}${first.name}`;
      return { args: [path], prependShell, scriptFiles: [{ path, data: first.data, mode: 0o755 }], heredocSummary };
    }
    return { args: [first.data], prependShell, scriptFiles: [], heredocSummary };
  }
  let script = run.args[0]!;
  for (const file of run.files) script += `\n${file.data}${file.name}`;
  return { args: [script], prependShell, scriptFiles: [], heredocSummary };
}

/** BuildKit's summarizeHeredoc: the first line, with "..." when there are more. */
export function summarizeHeredoc(data: string): string {
  const lines = data.trim().replace(/\r\n/g, '\n').split('\n');
  return lines.length > 1 ? `${lines[0]}...` : lines[0]!;
}
