/**
 * Heredoc words (`<<EOF`, `<<-'EOF'`, `3<<EOF`) as BuildKit's parser reads
 * them (parser.go: ParseHeredoc, heredocsFromLine, ChompHeredocContent).
 */
import type { Heredoc } from './ast.js';
import { ParseError, ShellLexError } from './errors.js';
import type { ShellEnv } from './shell-env.js';
import { ShellLex } from './shell-lexer.js';

/** BuildKit's reHeredoc; Go's `\d` and `\s` are ASCII-only, hence the explicit classes. */
const HEREDOC_WORD = /^([0-9]*)<<(-?)[\t\n\f\r ]*([^<]*)$/;

const MAX_UINT64 = (1n << 64n) - 1n;

const NO_VARIABLES: ShellEnv = new Map<string, string>();

/**
 * Split `text` into words as BuildKit's parser does to find heredocs: its
 * lexer with the escape token `\` whatever the escape directive says, an
 * empty environment with unset variables left as written, and `<<`, `-` and
 * the blanks after them kept in one word. Nothing is expanded; the words only
 * serve to recognise heredocs and their delimiters. Throws ShellLexError.
 */
function splitHeredocWords(text: string, raw: { rawQuotes: boolean; rawEscapes: boolean }): string[] {
  const lex = new ShellLex('\\', { ...raw, skipUnsetEnv: true, keepHeredocOperators: true });
  try {
    return lex.processWords(text, NO_VARIABLES);
  } catch (err) {
    // Each `${` nests one level; a line of them can exhaust the JS stack,
    // which Go's growable stacks never do. Say so instead of crashing.
    if (err instanceof RangeError) throw new ParseError('variable references nested too deeply to parse', undefined);
    throw err;
  }
}

const countQuotes = (s: string): number => {
  let n = 0;
  for (const ch of s) if (ch === "'" || ch === '"') n++;
  return n;
};

/**
 * The heredoc a single word opens, or undefined when the word is not one.
 * Throws ParseError (without a range) when the delimiter does not lex, e.g.
 * `<<'EOF`. Content is left empty; the parser fills it.
 */
export function parseHeredoc(word: string): Heredoc | undefined {
  const match = HEREDOC_WORD.exec(word);
  if (!match) return undefined;
  const [, digits, dash, rest] = match as unknown as [string, string, string, string];
  if (rest.length === 0) return undefined;

  let words: string[];
  let rawWords: string[];
  try {
    words = splitHeredocWords(rest, { rawQuotes: false, rawEscapes: false });
    // Only one word can be a delimiter: `<<EOF sh` is not a heredoc.
    if (words.length !== 1) return undefined;
    rawWords = splitHeredocWords(rest, { rawQuotes: true, rawEscapes: false });
  } catch (err) {
    if (err instanceof ShellLexError) throw new ParseError(`failed to process ${JSON.stringify(rest)}: ${err.reason}`, undefined);
    throw err;
  }
  if (rawWords.length !== words.length) {
    throw new ParseError(`internal lexing of heredoc produced inconsistent results: ${rest}`, undefined);
  }
  const name = words[0]!;
  // Any quote that took effect is missing from the unquoted lexing; escaped
  // quotes appear in both and cancel out. Quoting turns expansion off, as in sh.
  const expand = countQuotes(name) === countQuotes(rawWords[0]!);

  // Go's strconv.ParseUint: empty means 0, overflow saturates.
  let fd = digits === '' ? 0n : BigInt(digits);
  if (fd > MAX_UINT64) fd = MAX_UINT64;

  return { name, fileDescriptor: Number(fd), expand, chomp: dash === '-', content: '' };
}

/**
 * Every heredoc opened on an instruction line, in order. Words are found with
 * raw quotes and escapes so `"<<EOF"` and `'<<EOF'` are not heredocs; a line
 * the lexer rejects has none.
 */
export function heredocsFromLine(line: string): Heredoc[] {
  let words: string[];
  try {
    words = splitHeredocWords(line, { rawQuotes: true, rawEscapes: true });
  } catch (err) {
    if (err instanceof ShellLexError) return [];
    throw err;
  }
  const heredocs: Heredoc[] = [];
  for (const word of words) {
    const heredoc = parseHeredoc(word);
    if (heredoc) heredocs.push(heredoc);
  }
  return heredocs;
}

/** `<<-`: strip leading tabs from every line of the body (Go's `(?m)^\t+`, lines split on \n only). */
export function chompHeredocContent(content: string): string {
  return content
    .split('\n')
    .map((line) => line.replace(/^\t+/, ''))
    .join('\n');
}
