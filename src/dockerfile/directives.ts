/**
 * Parser directives (`# syntax=...`, `# escape=...`, `# check=...`) as
 * BuildKit's DirectiveParser reads them: only at the very top of the file,
 * each at most once. The first line that is not a known directive (a comment,
 * a blank line, an instruction, an unknown `# key=value`) ends the search.
 */
import type { ByteString } from './parser-go-strings.js';

export type DirectiveName = 'syntax' | 'escape' | 'check';

export interface Directive {
  name: DirectiveName;
  value: ByteString;
}

const KNOWN: ReadonlySet<string> = new Set<DirectiveName>(['syntax', 'escape', 'check']);

/** Go's `^#\s*([a-zA-Z][a-zA-Z0-9]*)\s*=\s*(.+?)\s*$` (RE2's `\s` is ASCII, `.` excludes only \n). */
const DIRECTIVE = /^#[\t\n\f\r ]*([a-zA-Z][a-zA-Z0-9]*)[\t\n\f\r ]*=[\t\n\f\r ]*([^\n]+?)[\t\n\f\r ]*$/;

export class DuplicateDirectiveError extends Error {
  constructor(readonly directive: string) {
    super(`only one ${directive} parser directive can be used`);
    this.name = 'DuplicateDirectiveError';
  }
}

export class DirectiveParser {
  private done = false;
  private readonly seen = new Set<string>();

  /**
   * Look at one line (newline and leading white space already trimmed).
   * Returns the directive it holds, or undefined; throws
   * DuplicateDirectiveError for a repeated directive.
   */
  parseLine(line: ByteString): Directive | undefined {
    if (this.done) return undefined;
    const match = DIRECTIVE.exec(line);
    if (!match) {
      this.done = true;
      return undefined;
    }
    const name = match[1]!.toLowerCase();
    if (!KNOWN.has(name)) {
      this.done = true;
      return undefined;
    }
    if (this.seen.has(name)) throw new DuplicateDirectiveError(name);
    this.seen.add(name);
    return { name: name as DirectiveName, value: match[2]! };
  }
}
