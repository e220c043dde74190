/**
 * Every front-end error carries the source range it is about, so any later
 * stage (engine, CLI, TUI) can say "Dockerfile:12: ...".
 */
export interface SourceRange {
  /** 1-based, inclusive. */
  startLine: number;
  endLine: number;
}

export class DockerfileError extends Error {
  readonly isUserError = true;
  readonly exitCode = 2;
  /** The file name to show; filled in by whoever knows it (the CLI or engine). */
  file: string | undefined;
  constructor(
    readonly detail: string,
    readonly range: SourceRange | undefined,
    file?: string,
  ) {
    super(detail);
    this.name = 'DockerfileError';
    this.file = file;
    this.message = this.format();
  }

  /** Attach the file name and refresh the message; returns this for chaining. */
  withFile(file: string): this {
    this.file = file;
    this.message = this.format();
    return this;
  }

  private format(): string {
    const where = this.file ?? 'Dockerfile';
    return this.range ? `${where}:${this.range.startLine}: ${this.detail}` : `${where}: ${this.detail}`;
  }
}

/** The text does not parse as a Dockerfile. */
export class ParseError extends DockerfileError {
  override name = 'ParseError';
}

/** Parses, but an instruction's arguments or flags are wrong. */
export class InstructionError extends DockerfileError {
  override name = 'InstructionError';
}

/** Variable expansion failed (bad substitution, ${v:?msg}, unterminated quote). */
export class ShellLexError extends Error {
  readonly isUserError = true;
  readonly exitCode = 2;
  /**
   * @param reason what went wrong, without the word it happened in, for
   *   callers that name the word themselves (heredoc delimiters).
   */
  constructor(
    message: string,
    readonly reason: string = message,
  ) {
    super(message);
    this.name = 'ShellLexError';
  }
}

/** The Dockerfile could not be read at all (missing, a directory, no permission). */
export class DockerfileReadError extends Error {
  readonly isUserError = true;
  readonly exitCode = 2;
  constructor(
    readonly path: string,
    cause: unknown,
  ) {
    super(`${path}: cannot read the Dockerfile: ${readFailureReason(cause)}`);
    this.name = 'DockerfileReadError';
  }
}

function readFailureReason(cause: unknown): string {
  const e = cause as NodeJS.ErrnoException;
  if (e?.code === 'ENOENT') return 'no such file';
  if (e?.code === 'EISDIR') return 'it is a directory';
  return e?.message ?? String(cause);
}
