/**
 * One instruction line to keyword, flags and arguments, per instruction, as
 * BuildKit's split_command.go and line_parsers.go do it. Input is a byte
 * string (see parser-go-strings.ts); output strings are ordinary text.
 *
 * Errors are ParseErrors without a range; the parser adds the lines.
 */
import { ParseError } from './errors.js';
import { goQuote } from './go-quote.js';
import {
  byteStringToText,
  decodeRune,
  goToLower,
  isGoSpace,
  runeToByteString,
  splitOnBlanks,
  textToByteString,
  trimLeftSpace,
  trimSpace,
  type ByteString,
} from './parser-go-strings.js';

/** An instruction before line numbers, comments and heredocs are attached. */
export interface ParsedLine {
  keyword: string;
  flags: string[];
  args: string[];
  json: boolean;
  nested?: ParsedLine;
  original: string;
}

interface ArgsResult {
  args: ByteString[];
  json: boolean;
}

type LineParser = (rest: ByteString, escapeToken: string) => ArgsResult;

const NOT_STRING_ARRAY = 'when using JSON array syntax, arrays must be comprised of strings only';
/** encoding/json's maximum nesting depth; deeper input is a decode error, not an array. */
const MAX_JSON_DEPTH = 10000;

const noArgs = (): ArgsResult => ({ args: [], json: false });

/**
 * splitCommand plus the instruction's argument parser. ONBUILD wraps another
 * instruction; chains (`ONBUILD ONBUILD ...`) are walked in a loop, not by
 * recursion, because Go's growable stacks accept any depth a line allows.
 */
export function parseInstructionLine(line: ByteString, escapeToken: string): ParsedLine {
  const chain: ParsedLine[] = [];
  let text: ByteString | undefined = line;
  while (text !== undefined) {
    const parts = splitOnBlanks(trimSpace(text), 2);
    const keyword = goToLower(parts[0]!);
    let flags: ByteString[] = [];
    let rest: ByteString = '';
    if (parts.length === 2) [rest, flags] = extractBuilderFlags(parts[1]!);
    rest = trimSpace(rest);
    const wrapsInstruction = keyword === 'onbuild' && rest !== '';
    const result = wrapsInstruction ? noArgs() : (DISPATCH.get(keyword) ?? parseIgnore)(rest, escapeToken);
    chain.push({
      keyword: byteStringToText(keyword),
      flags: flags.map(byteStringToText),
      args: result.args.map(byteStringToText),
      json: result.json,
      original: byteStringToText(text),
    });
    text = wrapsInstruction ? rest : undefined;
  }
  for (let i = chain.length - 2; i >= 0; i--) chain[i]!.nested = chain[i + 1]!;
  return chain[0]!;
}

/**
 * The `--name[=value]` words before the arguments; `--` ends them. BuildKit
 * walks this part byte by byte and always treats `\` as the escape, so a
 * non-ASCII byte is taken as a Latin-1 rune (and re-encoded) exactly as it does.
 */
function extractBuilderFlags(line: ByteString): [rest: ByteString, flags: ByteString[]] {
  const IN_SPACES = 0;
  const IN_WORD = 1;
  const IN_QUOTE = 2;
  const words: ByteString[] = [];
  let phase = IN_SPACES;
  let word = '';
  let quote = '';
  let blankOK = false;
  let ch = 0;
  const at = (pos: number): number => line.charCodeAt(pos);

  for (let pos = 0; pos <= line.length; pos++) {
    if (pos !== line.length) ch = at(pos);
    if (phase === IN_SPACES) {
      if (pos === line.length) break;
      if (isGoSpace(ch)) continue;
      // Keep going only while the next word starts with "--".
      if (ch !== 0x2d || pos + 1 === line.length || at(pos + 1) !== 0x2d) return [line.slice(pos), words];
      phase = IN_WORD;
    }
    if ((phase === IN_WORD || phase === IN_QUOTE) && pos === line.length) {
      if (word !== '--' && (blankOK || word.length > 0)) words.push(word);
      break;
    }
    if (phase === IN_WORD) {
      if (isGoSpace(ch)) {
        phase = IN_SPACES;
        if (word === '--') return [line.slice(pos), words];
        if (blankOK || word.length > 0) words.push(word);
        word = '';
        blankOK = false;
        continue;
      }
      if (ch === 0x27 || ch === 0x22) {
        quote = String.fromCharCode(ch);
        blankOK = true;
        phase = IN_QUOTE;
        continue;
      }
      if (ch === 0x5c) {
        if (pos + 1 === line.length) continue;
        pos++;
        ch = at(pos);
      }
      word += runeToByteString(ch);
      continue;
    }
    // IN_QUOTE
    if (String.fromCharCode(ch) === quote) {
      phase = IN_WORD;
      continue;
    }
    if (ch === 0x5c) {
      if (pos + 1 === line.length) {
        phase = IN_WORD;
        continue;
      }
      pos++;
      ch = at(pos);
    }
    word += runeToByteString(ch);
  }
  return ['', words];
}

/**
 * parseWords: split on white space, keeping quotes and escapes in the words
 * (they are removed later, when the instruction expands its arguments).
 */
export function parseWords(rest: ByteString, escapeToken: string): ByteString[] {
  const IN_SPACES = 0;
  const IN_WORD = 1;
  const IN_QUOTE = 2;
  const escape = escapeToken.charCodeAt(0);
  const words: ByteString[] = [];
  let phase = IN_SPACES;
  let word = '';
  let quote = 0;
  let blankOK = false;
  let ch = 0;
  let width = 0;

  for (let pos = 0; pos <= rest.length; pos += width) {
    if (pos !== rest.length) [ch, width] = decodeRune(rest, pos);
    if (phase === IN_SPACES) {
      if (pos === rest.length) break;
      if (isGoSpace(ch)) continue;
      phase = IN_WORD;
    }
    if ((phase === IN_WORD || phase === IN_QUOTE) && pos === rest.length) {
      if (blankOK || word.length > 0) words.push(word);
      break;
    }
    if (phase === IN_WORD) {
      if (isGoSpace(ch)) {
        phase = IN_SPACES;
        if (blankOK || word.length > 0) words.push(word);
        word = '';
        blankOK = false;
        continue;
      }
      if (ch === 0x27 || ch === 0x22) {
        quote = ch;
        blankOK = true;
        phase = IN_QUOTE;
      }
      if (ch === escape) {
        if (pos + width === rest.length) continue; // an escape at the very end is dropped
        // Outside quotes the escape and the next character both stay, even a quote.
        word += runeToByteString(ch);
        pos += width;
        [ch, width] = decodeRune(rest, pos);
      }
      word += runeToByteString(ch);
      continue;
    }
    // IN_QUOTE
    if (ch === quote) phase = IN_WORD;
    // Nothing escapes inside single quotes.
    if (ch === escape && quote !== 0x27) {
      if (pos + width === rest.length) {
        phase = IN_WORD;
        continue;
      }
      pos += width;
      word += runeToByteString(ch);
      [ch, width] = decodeRune(rest, pos);
    }
    word += runeToByteString(ch);
  }
  return words;
}

const parseIgnore: LineParser = () => ({ args: [''], json: false });

/** ENV and LABEL: (key, value, separator) triples; `KEY value` (legacy) has separator "". */
const parseNameVal =
  (instruction: string): LineParser =>
  (rest, escapeToken) => {
    const words = parseWords(rest, escapeToken);
    if (words.length === 0) return noArgs();
    if (!words[0]!.includes('=')) {
      const parts = splitOnBlanks(rest, 2);
      if (parts.length < 2) throw new ParseError(`${instruction} must have two arguments`, undefined);
      return { args: [parts[0]!, parts[1]!, ''], json: false };
    }
    const args: ByteString[] = [];
    for (const word of words) {
      const eq = word.indexOf('=');
      if (eq < 0) {
        throw new ParseError(
          `Syntax error - can't find = in ${goQuote(byteStringToText(word))}. Must be of the form: name=value`,
          undefined,
        );
      }
      args.push(word.slice(0, eq), word.slice(eq + 1), '=');
    }
    return { args, json: false };
  };

/** ARG: words, each `name` or `name=value`, quotes kept. */
const parseNameOrNameVal: LineParser = (rest, escapeToken) => ({ args: parseWords(rest, escapeToken), json: false });

const parseStringsWhitespaceDelimited: LineParser = (rest) =>
  rest === '' ? noArgs() : { args: splitOnBlanks(rest, -1), json: false };

const parseString: LineParser = (rest) => (rest === '' ? noArgs() : { args: [rest], json: false });

/** Thrown by parseJSON when the text decodes but is not an array of strings: never a fallback. */
class NotStringArray extends Error {}

/**
 * Go's json.Unmarshal into []interface{}: undefined when the text is not a
 * JSON array (callers fall back to shell form); NotStringArray when it is an
 * array with something other than strings in it.
 */
function parseJSON(rest: ByteString): ByteString[] | undefined {
  rest = trimLeftSpace(rest);
  if (!rest.startsWith('[')) return undefined;
  const text = byteStringToText(rest);
  let overflow = false;
  let value: unknown;
  try {
    value = JSON.parse(text, (_key, v: unknown) => {
      // Go cannot hold 1e400 in a float64 and reports a decode error.
      if (typeof v === 'number' && !Number.isFinite(v)) overflow = true;
      return v;
    });
  } catch {
    return undefined;
  }
  if (overflow || !Array.isArray(value) || jsonDepth(text) > MAX_JSON_DEPTH) return undefined;
  return value.map((item: unknown) => {
    if (typeof item !== 'string') throw new NotStringArray(NOT_STRING_ARRAY);
    return textToByteString(textToGoString(item));
  });
}

/** Go decodes an unpaired \uD800 escape as U+FFFD; JSON.parse keeps the lone surrogate. */
function textToGoString(s: string): string {
  return s.replace(/[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g, '\uFFFD');
}

function jsonDepth(text: string): number {
  let depth = 0;
  let max = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (inString) {
      if (c === '\\') i++;
      else if (c === '"') inString = false;
    } else if (c === '"') inString = true;
    else if (c === '[' || c === '{') max = Math.max(max, ++depth);
    else if (c === ']' || c === '}') depth--;
  }
  return max;
}

function jsonOrFallback(rest: ByteString, fallback: (rest: ByteString) => ArgsResult): ArgsResult {
  let decoded: ByteString[] | undefined;
  try {
    decoded = parseJSON(rest);
  } catch (err) {
    if (err instanceof NotStringArray) throw new ParseError(err.message, undefined);
    throw err;
  }
  return decoded ? { args: decoded, json: true } : fallback(rest);
}

/** RUN, CMD, ENTRYPOINT, SHELL: a JSON array, else the whole rest as one shell string. */
const parseMaybeJSON: LineParser = (rest) =>
  rest === '' ? noArgs() : jsonOrFallback(rest, () => ({ args: [rest], json: false }));

/** ADD, COPY, VOLUME: a JSON array, else words split on blanks. */
const parseMaybeJSONToList: LineParser = (rest, escapeToken) =>
  jsonOrFallback(rest, () => parseStringsWhitespaceDelimited(rest, escapeToken));

/** HEALTHCHECK: the type word (CMD, NONE, ...) then parseMaybeJSON of the rest; bytes as Go walks them. */
const parseHealthConfig: LineParser = (rest, escapeToken) => {
  let sep = 0;
  while (sep < rest.length && !isGoSpace(rest.charCodeAt(sep))) sep++;
  let next = sep;
  while (next < rest.length && isGoSpace(rest.charCodeAt(next))) next++;
  if (sep === 0) return noArgs();
  const command = parseMaybeJSON(rest.slice(next), escapeToken);
  return { args: [rest.slice(0, sep), ...command.args], json: command.json };
};

const DISPATCH: ReadonlyMap<string, LineParser> = new Map<string, LineParser>([
  ['add', parseMaybeJSONToList],
  ['arg', parseNameOrNameVal],
  ['cmd', parseMaybeJSON],
  ['copy', parseMaybeJSONToList],
  ['entrypoint', parseMaybeJSON],
  ['env', parseNameVal('ENV')],
  ['expose', parseStringsWhitespaceDelimited],
  ['from', parseStringsWhitespaceDelimited],
  ['healthcheck', parseHealthConfig],
  ['label', parseNameVal('LABEL')],
  ['maintainer', parseString],
  // ONBUILD's instruction is parsed by parseInstructionLine itself; alone it has no arguments.
  ['onbuild', noArgs],
  ['run', parseMaybeJSON],
  ['shell', parseMaybeJSON],
  ['stopsignal', parseString],
  ['user', parseString],
  ['volume', parseMaybeJSONToList],
  ['workdir', parseString],
]);

/** Every instruction keyword BuildKit's parser knows, lowercase. */
export const INSTRUCTION_KEYWORDS: readonly string[] = [...DISPATCH.keys()];
