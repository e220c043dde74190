import type { SourceRange } from './errors.js';

/** One heredoc attached to an instruction, as BuildKit's parser.Heredoc. */
export interface Heredoc {
  name: string;
  fileDescriptor: number;
  /** False when any part of the delimiter word was quoted. */
  expand: boolean;
  /** `<<-`: leading tabs are stripped (see chompHeredocContent). */
  chomp: boolean;
  /** Raw body; tabs not yet stripped even when chomp is set. */
  content: string;
}

/**
 * One instruction line of a Dockerfile after the parser: the equivalent of a
 * child of BuildKit's root parser.Node, flattened into plain fields.
 */
export interface InstructionNode extends SourceRange {
  /** Lowercased keyword ("run", "copy", ...). */
  keyword: string;
  /** Flags as written before the arguments, e.g. ["--from=build"]. */
  flags: string[];
  /**
   * Arguments as BuildKit's AST holds them: for JSON form the decoded strings;
   * for shell-form RUN/CMD/ENTRYPOINT/SHELL one string; for ENV/LABEL
   * (key, value, separator) triples; for ONBUILD empty (see `nested`).
   */
  args: string[];
  /** True when the arguments were written in JSON (exec) form. */
  json: boolean;
  /** ONBUILD's inner instruction. */
  nested?: InstructionNode;
  heredocs: Heredoc[];
  /** The instruction's text as written, continuations joined. */
  original: string;
  /** Comment lines directly above the instruction, without "#". */
  comments: string[];
}

export interface ParserDirectives {
  syntax?: string;
  escape?: string;
  check?: string;
}

export interface ParseWarning extends SourceRange {
  message: string;
}

export interface DockerfileAst extends SourceRange {
  children: InstructionNode[];
  directives: ParserDirectives;
  /** "\\" or "`". */
  escapeToken: string;
  warnings: ParseWarning[];
}
