/**
 * The Dockerfile parser: text to a flat list of instruction nodes, exactly as
 * BuildKit's frontend/dockerfile/parser.Parse reads it. Lines, continuations
 * (with `\` or the escape directive's backtick), comments and empty
 * continuation lines, parser directives at the top, heredoc bodies for RUN,
 * COPY and ADD, then per-instruction argument parsing (parser-line-parsers.ts).
 *
 * The parser does not judge arguments (an unknown keyword or a bad flag is
 * the typed-instruction layer's business, as in BuildKit); it fails only on
 * what BuildKit's parser fails on, with a ParseError naming the lines.
 */
import type { DockerfileAst, Heredoc, InstructionNode, ParseWarning, ParserDirectives } from './ast.js';
import { DirectiveParser, DuplicateDirectiveError } from './directives.js';
import { DockerfileError, ParseError, type SourceRange } from './errors.js';
import { heredocsFromLine } from './heredoc.js';
import { LineReader, MAX_LINE_BYTES } from './line-reader.js';
import {
  byteStringToText,
  textToByteString,
  trimLeftSpace,
  trimSpace,
  utf8ToByteString,
  type ByteString,
} from './parser-go-strings.js';
import { parseInstructionLine, type ParsedLine } from './parser-line-parsers.js';

export { chompHeredocContent, heredocsFromLine, parseHeredoc } from './heredoc.js';
export { INSTRUCTION_KEYWORDS } from './parser-line-parsers.js';

const UTF8_BOM = '\xef\xbb\xbf';

/** Instructions whose lines may open heredocs (and ONBUILD, through the instruction it wraps). */
const HEREDOC_INSTRUCTIONS: ReadonlySet<string> = new Set(['add', 'copy', 'run']);

/** Parse Dockerfile text. Throws ParseError. */
export function parseDockerfile(text: string): DockerfileAst {
  return parseDockerfileBytes(new TextEncoder().encode(text));
}

/**
 * Parse a Dockerfile's bytes as read from disk; invalid UTF-8 is treated the
 * way Go treats it (byte by byte) and shows up as U+FFFD in the AST.
 */
export function parseDockerfileBytes(bytes: Uint8Array): DockerfileAst {
  return new DockerfileParser(utf8ToByteString(bytes)).parse();
}

/** The escape character as a continuation marker: last non-blank, not itself escaped. */
function continuationPattern(escapeToken: string): RegExp {
  const e = escapeToken === '`' ? '`' : '\\\\';
  return new RegExp(`([^${e}])${e}[ \\t]*$|^${e}[ \\t]*$`);
}

const trimNewline = (s: ByteString): ByteString => s.replace(/[\r\n]+$/, '');
const trimLeadingTabs = (s: ByteString): ByteString => s.replace(/^\t+/, '');
const isComment = (s: ByteString): boolean => trimLeftSpace(s).startsWith('#');
const isEmptyContinuationLine = (s: ByteString): boolean => trimLeftSpace(trimNewline(s)).length === 0;

class DockerfileParser {
  private readonly reader: LineReader;
  private readonly directiveParser = new DirectiveParser();
  private readonly directives: ParserDirectives = {};
  private escapeToken = '\\';
  private continuation = continuationPattern('\\');
  /** Lines consumed so far; after a line is read, its 1-based number. */
  private currentLine = 0;
  private readonly children: InstructionNode[] = [];
  private readonly warnings: ParseWarning[] = [];

  constructor(text: ByteString) {
    this.reader = new LineReader(text);
  }

  parse(): DockerfileAst {
    let comments: string[] = [];
    for (let raw = this.reader.next(); raw !== undefined; raw = this.reader.next()) {
      const physical = this.currentLine === 0 && raw.startsWith(UTF8_BOM) ? raw.slice(UTF8_BOM.length) : raw;
      if (isComment(physical)) {
        // As BuildKit: drop the first byte (the '#', unless indented), then trim.
        const comment = byteStringToText(trimSpace(physical.slice(1)));
        comments = comment === '' ? [] : [...comments, comment];
      }
      const token = trimLeftSpace(trimNewline(physical));
      if (this.readDirective(token)) comments = comments.slice(0, -1);
      this.currentLine++;

      const startLine = this.currentLine;
      let [line, isEndOfLine] = this.trimContinuation(isComment(token) ? '' : token);
      if (isEndOfLine && line === '') continue;

      let hasEmptyContinuationLine = false;
      while (!isEndOfLine) {
        const next = this.reader.next();
        if (next === undefined) break;
        this.currentLine++;
        // Comment lines inside a continuation are skipped entirely.
        if (isComment(next)) continue;
        const content = trimNewline(next);
        if (isEmptyContinuationLine(content)) {
          hasEmptyContinuationLine = true;
          continue;
        }
        let part: ByteString;
        [part, isEndOfLine] = this.trimContinuation(content);
        line += part;
      }

      const range = { startLine, endLine: this.currentLine };
      if (hasEmptyContinuationLine) {
        this.warnings.push({ ...range, message: `Empty continuation line found in: ${byteStringToText(line)}` });
      }
      const parsed = withRange(range, () => parseInstructionLine(line, this.escapeToken));
      const heredocs = this.readHeredocs(parsed, line, startLine);
      this.children.push(toNode(parsed, { startLine, endLine: this.currentLine }, heredocs, comments));
      comments = [];
    }

    if (this.children.length === 0) {
      const where = this.currentLine > 0 ? { startLine: this.currentLine, endLine: this.currentLine } : undefined;
      throw new ParseError('file with no instructions', where);
    }
    if (this.reader.tooLong) {
      const line = this.currentLine + 1;
      throw new ParseError(`dockerfile line greater than max allowed size of ${MAX_LINE_BYTES - 1}`, {
        startLine: line,
        endLine: line,
      });
    }
    return {
      startLine: this.children[0]!.startLine,
      endLine: this.children[this.children.length - 1]!.endLine,
      children: this.children,
      directives: this.directives,
      escapeToken: this.escapeToken,
      warnings: this.warnings,
    };
  }

  /** Feed one top-of-file line to the directive parser; true when it was a directive. */
  private readDirective(token: ByteString): boolean {
    const line = this.currentLine + 1;
    const at = { startLine: line, endLine: line };
    let directive;
    try {
      directive = this.directiveParser.parseLine(token);
    } catch (err) {
      if (err instanceof DuplicateDirectiveError) throw new ParseError(err.message, at);
      throw err;
    }
    if (!directive) return false;
    const value = byteStringToText(directive.value);
    if (directive.name === 'escape') {
      if (value !== '`' && value !== '\\') {
        throw new ParseError(`invalid escape token '${value}' does not match \` or \\`, at);
      }
      this.escapeToken = value;
      this.continuation = continuationPattern(value);
    }
    this.directives[directive.name] = value;
    return true;
  }

  /** [line without its continuation marker, true when the instruction ends here]. */
  private trimContinuation(line: ByteString): [ByteString, boolean] {
    if (this.continuation.test(line)) return [line.replace(this.continuation, '$1'), false];
    return [line, true];
  }

  /**
   * Read the bodies of the heredocs the instruction opens, in order, from the
   * lines after it. Bodies are kept raw (line endings and, for `<<-`, tabs).
   */
  private readHeredocs(parsed: ParsedLine, line: ByteString, startLine: number): Heredoc[] {
    if (!canContainHeredoc(parsed) || !line.includes('<<')) return [];
    const heredocs = withRange({ startLine, endLine: this.currentLine }, () => heredocsFromLine(byteStringToText(line)));
    for (const heredoc of heredocs) {
      const terminator = textToByteString(heredoc.name);
      let content = '';
      let terminated = false;
      for (let raw = this.reader.next(); raw !== undefined; raw = this.reader.next()) {
        this.currentLine++;
        let candidate = trimNewline(raw);
        if (heredoc.chomp) candidate = trimLeadingTabs(candidate);
        if (candidate === terminator) {
          terminated = true;
          break;
        }
        content += raw;
      }
      if (!terminated) throw new ParseError('unterminated heredoc', { startLine, endLine: this.currentLine });
      heredoc.content = byteStringToText(content);
    }
    return heredocs;
  }
}

function canContainHeredoc(parsed: ParsedLine): boolean {
  const target = parsed.keyword === 'onbuild' && parsed.nested ? parsed.nested : parsed;
  return HEREDOC_INSTRUCTIONS.has(target.keyword) && !target.json;
}

function toNode(parsed: ParsedLine, range: SourceRange, heredocs: Heredoc[], comments: string[]): InstructionNode {
  const top = nodeOf(parsed, range, heredocs, comments);
  // The wrapped instructions have the same lines; BuildKit keeps heredocs on the ONBUILD node.
  for (let node = top, inner = parsed.nested; inner; inner = inner.nested) {
    node.nested = nodeOf(inner, range, [], []);
    node = node.nested;
  }
  return top;
}

function nodeOf(parsed: ParsedLine, range: SourceRange, heredocs: Heredoc[], comments: string[]): InstructionNode {
  return {
    startLine: range.startLine,
    endLine: range.endLine,
    keyword: parsed.keyword,
    flags: parsed.flags,
    args: parsed.args,
    json: parsed.json,
    heredocs,
    original: parsed.original,
    comments,
  };
}

/** Run a line-level step and give its range-less ParseErrors the instruction's lines. */
function withRange<T>(range: SourceRange, step: () => T): T {
  try {
    return step();
  } catch (err) {
    if (err instanceof DockerfileError && !err.range) throw new ParseError(err.detail, range);
    throw err;
  }
}
