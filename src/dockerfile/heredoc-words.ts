/**
 * The word splitting BuildKit uses to find heredocs: its shell.Lex with the
 * escape token `\` and an empty environment, in the modes parser.go asks for
 * (raw quotes, raw escapes, unset variables left as written). It is a separate,
 * small copy of those rules because heredoc detection also needs the lexer's
 * `<<` handling: `<<`, an optional `-` and the blanks after them stay in the
 * same word, so `<<- EOF` is one word, as in BuildKit's lexer.
 *
 * Nothing is expanded here (the environment is always empty); the result is
 * only used to recognise heredoc words and their delimiter names.
 */

import { ParseError } from './errors.js';

export interface HeredocWordOptions {
  rawQuotes: boolean;
  rawEscapes: boolean;
}

/** Thrown for input BuildKit's lexer rejects (unterminated quotes, bad `${}`). */
export class HeredocWordError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'HeredocWordError';
  }
}

const ESCAPE = '\\';
const EOF = '';
const SPECIAL_PARAMETERS = new Set(['@', '*', '#', '?', '-', '$', '!', '0']);
const LETTER = /^\p{L}$/u;
const DIGIT = /^\p{Nd}$/u;
const WHITE_SPACE = /^\p{White_Space}$/u;

const isSpace = (ch: string): boolean => ch !== EOF && WHITE_SPACE.test(ch);
const isDigit = (ch: string): boolean => ch !== EOF && DIGIT.test(ch);
const isLetter = (ch: string): boolean => ch !== EOF && LETTER.test(ch);
/** Go's scanner whitespace for `<<  EOF`: space, tab, newline, carriage return. */
const isHeredocBlank = (ch: string): boolean => ch === ' ' || ch === '\t' || ch === '\n' || ch === '\r';

class Words {
  private word = '';
  private inWord = false;
  readonly words: string[] = [];

  addChar(ch: string): void {
    if (isSpace(ch)) {
      if (this.inWord && this.word.length !== 0) {
        this.words.push(this.word);
        this.word = '';
        this.inWord = false;
      }
    } else {
      this.addRaw(ch);
    }
  }

  addRaw(text: string): void {
    this.word += text;
    this.inWord = true;
  }

  addString(text: string): void {
    for (const ch of text) this.addChar(ch);
  }

  finish(): string[] {
    if (this.word.length > 0) {
      this.words.push(this.word);
      this.word = '';
      this.inWord = false;
    }
    return this.words;
  }
}

class Scan {
  private readonly chars: string[];
  private pos = 0;
  private rawEscapes: boolean;

  constructor(
    text: string,
    private readonly options: HeredocWordOptions,
  ) {
    this.chars = Array.from(text);
    this.rawEscapes = options.rawEscapes;
  }

  private peek(): string {
    return this.chars[this.pos] ?? EOF;
  }

  private next(): string {
    const ch = this.chars[this.pos] ?? EOF;
    if (ch !== EOF) this.pos++;
    return ch;
  }

  processStopOn(stop: string, rawEscapes: boolean): { text: string; words: string[] } {
    const saved = this.rawEscapes;
    this.rawEscapes = rawEscapes;
    try {
      let text = '';
      const words = new Words();
      while (this.peek() !== EOF) {
        const ch = this.peek();
        if (stop !== EOF && ch === stop) {
          this.next();
          return { text, words: words.finish() };
        }
        if (ch === '$') {
          const value = this.processDollar();
          text += value;
          words.addString(value);
        } else if (ch === "'" || ch === '"' || ch === '<') {
          const value = ch === "'" ? this.singleQuote() : ch === '"' ? this.doubleQuote() : this.possibleHeredoc();
          text += value;
          words.addRaw(value);
        } else {
          let c = this.next();
          if (c === ESCAPE) {
            if (this.rawEscapes) {
              words.addRaw(c);
              text += c;
            }
            c = this.next();
            if (c === EOF) break;
            words.addRaw(c);
          } else {
            words.addChar(c);
          }
          text += c;
        }
      }
      if (stop !== EOF) throw new HeredocWordError(`unexpected end of statement while looking for matching ${stop}`);
      return { text, words: words.finish() };
    } finally {
      this.rawEscapes = saved;
    }
  }

  private singleQuote(): string {
    let text = '';
    const open = this.next();
    if (this.options.rawQuotes) text += open;
    for (;;) {
      const ch = this.next();
      if (ch === EOF) throw new HeredocWordError('unexpected end of statement while looking for matching single-quote');
      if (ch === "'") {
        if (this.options.rawQuotes) text += ch;
        return text;
      }
      text += ch;
    }
  }

  private doubleQuote(): string {
    let text = '';
    const open = this.next();
    if (this.options.rawQuotes) text += open;
    for (;;) {
      const peeked = this.peek();
      if (peeked === EOF) {
        throw new HeredocWordError('unexpected end of statement while looking for matching double-quote');
      }
      if (peeked === '"') {
        const close = this.next();
        if (this.options.rawQuotes) text += close;
        return text;
      }
      if (peeked === '$') {
        text += this.processDollar();
        continue;
      }
      let ch = this.next();
      if (ch === ESCAPE) {
        if (this.rawEscapes) text += ch;
        const after = this.peek();
        if (after === EOF) continue;
        if (after === '"' || after === '$' || after === ESCAPE) ch = this.next();
      }
      text += ch;
    }
  }

  /** `<<`, an optional `-`, and the blanks after them belong to one word. */
  private possibleHeredoc(): string {
    this.next();
    if (this.peek() !== '<') return '<';
    this.next();
    let text = '<<';
    if (this.peek() === '-') text += this.next();
    while (isHeredocBlank(this.peek())) text += this.next();
    return text;
  }

  /** `$name` and `${...}` with an empty environment: kept as written. */
  private processDollar(): string {
    this.next();
    if (this.peek() !== '{') {
      const name = this.processName();
      return name === '' ? '$' : '$' + name;
    }
    this.next();
    const first = this.peek();
    if (first === EOF) throw new HeredocWordError("syntax error: missing '}'");
    if (first === '{' || first === '}' || first === ':') throw new HeredocWordError('syntax error: bad substitution');
    const name = this.processName();
    let ch = this.next();
    let written = ch === EOF ? '\ufffd' : ch;
    switch (ch) {
      case '}':
        return '${' + name + '}';
      case ':':
      case '+':
      case '-':
      case '?':
      case '#':
      case '%': {
        if (ch === ':') {
          ch = this.next();
          written += ch === EOF ? '\ufffd' : ch;
        }
        const word = this.inner('}', ch === '#' || ch === '%', "syntax error: missing '}'");
        return '${' + name + written + word + '}';
      }
      case '/': {
        if (this.peek() === '/') this.next();
        const pattern = this.inner('/', true, "syntax error: missing '/' in ${}");
        const replacement = this.inner('}', true, "syntax error: missing '}'");
        return '${' + name + '/' + pattern + '/' + replacement + '}';
      }
      default:
        throw new HeredocWordError(`unsupported modifier (${written}) in substitution`);
    }
  }

  private inner(stop: string, rawEscapes: boolean, eofMessage: string): string {
    try {
      return this.processStopOn(stop, rawEscapes).text;
    } catch (err) {
      if (err instanceof HeredocWordError && this.peek() === EOF) throw new HeredocWordError(eofMessage);
      throw err;
    }
  }

  private processName(): string {
    let name = '';
    while (this.peek() !== EOF) {
      const ch = this.peek();
      if (name === '' && isDigit(ch)) {
        while (isDigit(this.peek())) name += this.next();
        return name;
      }
      if (name === '' && SPECIAL_PARAMETERS.has(ch)) return this.next();
      if (!isLetter(ch) && !isDigit(ch) && ch !== '_') break;
      name += this.next();
    }
    return name;
  }
}

/** Split `text` into words as BuildKit's lexer does for heredoc detection; throws HeredocWordError. */
export function splitHeredocWords(text: string, options: HeredocWordOptions): string[] {
  try {
    return new Scan(text, options).processStopOn(EOF, options.rawEscapes).words;
  } catch (err) {
    // Each `${` nests one level; a line of them can exhaust the JS stack,
    // which Go's growable stacks never do. Say so instead of crashing.
    if (err instanceof RangeError) throw new ParseError('variable references nested too deeply to parse', undefined);
    throw err;
  }
}
