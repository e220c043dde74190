/**
 * The shell-word lexer: quote removal, escapes, `$var` / `${var...}`
 * expansion and word splitting, with the semantics of BuildKit's
 * frontend/dockerfile/shell (lex.go). It is not a shell: there is no command
 * substitution, arithmetic, globbing or `${#v}`; what BuildKit rejects we
 * reject with a ShellLexError whose message matches BuildKit's.
 */
import { ShellLexError } from './errors.js';
import { goQuote } from './go-quote.js';
import type { ShellEnv, WordResult } from './shell-env.js';
import {
  ShellPatternError,
  replaceAll,
  replaceFirst,
  scannerCodePoints,
  trimPrefix,
  trimSuffix,
} from './shell-pattern.js';

export interface ShellLexOptions {
  /** Keep quote characters in the result (quotes still group and protect). */
  rawQuotes?: boolean;
  /** Keep escape characters in the result. */
  rawEscapes?: boolean;
  /** Leave references to unset variables as written (`$x`, `${x:-y}`). */
  skipUnsetEnv?: boolean;
  /** Treat quotes as ordinary characters. */
  skipProcessQuotes?: boolean;
  /**
   * Keep `<<`, an optional `-` and the blanks after them in one word, so
   * `<<- EOF` is one word. BuildKit's lexer does this when its parser looks
   * for heredocs; see heredoc.ts.
   */
  keepHeredocOperators?: boolean;
}

/** End of input; no code point is the empty string. */
const EOF = '';

const SPECIAL_PARAMETERS = new Set(['@', '*', '#', '?', '-', '$', '!', '0']);
const LETTER = /^\p{L}$/u;
const DIGIT = /^\p{Nd}$/u;
/** Go's unicode.IsSpace is exactly the Unicode White_Space property. */
const SPACE = /^\p{White_Space}$/u;

const isLetter = (ch: string): boolean => LETTER.test(ch);
const isDigit = (ch: string): boolean => DIGIT.test(ch);
const isSpace = (ch: string): boolean => SPACE.test(ch);
/** Go's scanner white space, which is what may follow `<<` in a heredoc operator. */
const isHeredocBlank = (ch: string): boolean => ch === ' ' || ch === '\t' || ch === '\n' || ch === '\r';

/** An error inside one word; `process` prefixes it with the word, as BuildKit does. */
class WordError extends Error {}

export class ShellLex {
  rawQuotes: boolean;
  rawEscapes: boolean;
  skipUnsetEnv: boolean;
  skipProcessQuotes: boolean;
  keepHeredocOperators: boolean;

  /** @param escapeToken `\` or, after `# escape=``, a backtick. */
  constructor(
    readonly escapeToken: string = '\\',
    options: ShellLexOptions = {},
  ) {
    if (Array.from(escapeToken).length !== 1) {
      throw new TypeError(`escape token must be one character, got ${JSON.stringify(escapeToken)}`);
    }
    this.rawQuotes = options.rawQuotes ?? false;
    this.rawEscapes = options.rawEscapes ?? false;
    this.skipUnsetEnv = options.skipUnsetEnv ?? false;
    this.skipProcessQuotes = options.skipProcessQuotes ?? false;
    this.keepHeredocOperators = options.keepHeredocOperators ?? false;
  }

  /** Expand `word` into one string; spaces between words are kept. */
  processWord(word: string, env: ShellEnv): string {
    return this.process(word, env).result;
  }

  /** Like processWord, and also report which variables were looked up, set or not. */
  processWordWithMatches(word: string, env: ShellEnv): WordResult {
    const { result, matched, unmatched } = this.process(word, env);
    return { result, matched, unmatched };
  }

  /**
   * Expand `word` and split it into words on unquoted, unescaped white space,
   * including white space that came from variable values.
   */
  processWords(word: string, env: ShellEnv): string[] {
    return this.process(word, env).words;
  }

  private process(word: string, env: ShellEnv): WordResult & { words: string[] } {
    const scan = new WordScan(this, env, word);
    try {
      const { text, words } = scan.processStopOn(EOF, this.rawEscapes);
      return { result: text, words, matched: scan.matched, unmatched: scan.unmatched };
    } catch (err) {
      if (err instanceof WordError || err instanceof ShellPatternError) {
        throw new ShellLexError(`failed to process ${goQuote(word)}: ${err.message}`, err.message);
      }
      throw err;
    }
  }
}

/**
 * Accumulates split words; mirrors BuildKit's rules for when a word ends.
 * Each nested `${...}` word gets its own splitter. (BuildKit's newest lex.go
 * shares one buffer between nested calls, so ProcessWords("a${x:-b}") loses
 * the "a"; we keep the behaviour of its earlier versions.)
 */
class WordSplitter {
  private current = '';
  /** True once something (possibly an empty quoted string) started a word. */
  private inWord = false;
  readonly words: string[] = [];

  /** A character subject to splitting: white space ends the current word. */
  addChar(ch: string): void {
    if (isSpace(ch)) {
      // An empty quoted string sets inWord without text; BuildKit neither
      // emits it as a word nor lets the space end it.
      if (this.inWord && this.current.length !== 0) {
        this.words.push(this.current);
        this.current = '';
        this.inWord = false;
      }
    } else {
      this.addRaw(ch);
    }
  }

  addSplittable(text: string): void {
    for (const ch of text) this.addChar(ch);
  }

  /** Quoted or escaped text: never splits. */
  addRaw(text: string): void {
    this.current += text;
    this.inWord = true;
  }

  finish(): string[] {
    if (this.current.length > 0) {
      this.words.push(this.current);
      this.current = '';
      this.inWord = false;
    }
    return this.words;
  }
}

/** The state of one ProcessWord call: a cursor over the word's code points. */
class WordScan {
  readonly matched = new Set<string>();
  readonly unmatched = new Set<string>();
  private readonly chars: string[];
  private pos = 0;
  private rawEscapes: boolean;

  constructor(
    private readonly lex: ShellLex,
    private readonly env: ShellEnv,
    word: string,
  ) {
    this.chars = scannerCodePoints(word);
    this.rawEscapes = lex.rawEscapes;
  }

  private peek(): string {
    return this.pos < this.chars.length ? this.chars[this.pos]! : EOF;
  }

  private next(): string {
    const ch = this.peek();
    if (ch !== EOF) this.pos++;
    return ch;
  }

  /**
   * Process up to `stopChar` (consumed) or the end of the word. A stop
   * character other than EOF must be found. `rawEscapes` applies while this
   * call runs: patterns keep their escapes so the pattern compiler sees them.
   */
  processStopOn(stopChar: string, rawEscapes: boolean): { text: string; words: string[] } {
    const savedRawEscapes = this.rawEscapes;
    this.rawEscapes = rawEscapes;
    try {
      return this.processStopOnWithCurrentEscapes(stopChar);
    } finally {
      this.rawEscapes = savedRawEscapes;
    }
  }

  private processStopOnWithCurrentEscapes(stopChar: string): { text: string; words: string[] } {
    let text = '';
    const words = new WordSplitter();
    const quotesAreSpecial = !this.lex.skipProcessQuotes;
    const escapeToken = this.lex.escapeToken;

    while (this.peek() !== EOF) {
      let ch = this.peek();
      if (stopChar !== EOF && ch === stopChar) {
        this.next();
        return { text, words: words.finish() };
      }
      if (ch === '$') {
        const value = this.processDollar();
        text += value;
        words.addSplittable(value);
      } else if (quotesAreSpecial && (ch === "'" || ch === '"')) {
        const value = ch === "'" ? this.processSingleQuote() : this.processDoubleQuote();
        text += value;
        words.addRaw(value);
      } else if (this.lex.keepHeredocOperators && ch === '<') {
        const value = this.processPossibleHeredocOperator();
        text += value;
        words.addRaw(value);
      } else {
        ch = this.next();
        if (ch === escapeToken) {
          if (this.rawEscapes) {
            words.addRaw(ch);
            text += ch;
          }
          // The escape token escapes any character; at the end it vanishes.
          ch = this.next();
          if (ch === EOF) break;
          words.addRaw(ch);
        } else {
          words.addChar(ch);
        }
        text += ch;
      }
    }
    if (stopChar !== EOF) {
      throw new WordError(`unexpected end of statement while looking for matching ${stopChar}`);
    }
    return { text, words: words.finish() };
  }

  /** Everything up to the next `'` is literal; nothing escapes inside. */
  private processSingleQuote(): string {
    let text = '';
    const open = this.next();
    if (this.lex.rawQuotes) text += open;
    for (;;) {
      const ch = this.next();
      if (ch === EOF) throw new WordError('unexpected end of statement while looking for matching single-quote');
      if (ch === "'") {
        if (this.lex.rawQuotes) text += ch;
        return text;
      }
      text += ch;
    }
  }

  /**
   * Up to the next unescaped `"`: `$` expands, and the escape token escapes
   * only `"`, `$` and itself; before anything else it stays literal.
   */
  private processDoubleQuote(): string {
    let text = '';
    const open = this.next();
    if (this.lex.rawQuotes) text += open;
    const escapeToken = this.lex.escapeToken;
    for (;;) {
      const peeked = this.peek();
      if (peeked === EOF) {
        throw new WordError('unexpected end of statement while looking for matching double-quote');
      }
      if (peeked === '"') {
        const close = this.next();
        if (this.lex.rawQuotes) text += close;
        return text;
      }
      if (peeked === '$') {
        text += this.processDollar();
        continue;
      }
      let ch = this.next();
      if (ch === escapeToken) {
        if (this.rawEscapes) text += ch;
        const after = this.peek();
        // An escape right at the end is dropped; the missing quote is reported next.
        if (after === EOF) continue;
        if (after === '"' || after === '$' || after === escapeToken) ch = this.next();
      }
      text += ch;
    }
  }

  /** At `<`: `<<`, an optional `-` and the blanks after them, or a lone `<`. */
  private processPossibleHeredocOperator(): string {
    this.next();
    if (this.peek() !== '<') return '<';
    this.next();
    let text = '<<';
    if (this.peek() === '-') text += this.next();
    while (isHeredocBlank(this.peek())) text += this.next();
    return text;
  }

  /** At `$`: a name, a special parameter, or a `${...}` form. */
  private processDollar(): string {
    this.next();
    if (this.peek() !== '{') {
      const name = this.processName();
      if (name === '') return '$';
      const value = this.getEnv(name);
      if (value === undefined && this.lex.skipUnsetEnv) return '$' + name;
      return value ?? '';
    }

    this.next();
    const first = this.peek();
    if (first === EOF) throw new WordError("syntax error: missing '}'");
    if (first === '{' || first === '}' || first === ':') throw new WordError('syntax error: bad substitution');

    const name = this.processName();
    const op = this.next();
    if (op === EOF) throw new WordError("syntax error: missing '}'");
    if (op === '}') {
      const value = this.getEnv(name);
      if (value === undefined && this.lex.skipUnsetEnv) return `\${${name}}`;
      return value ?? '';
    }
    if (op === '/') return this.processReplace(name);
    if (op === ':' || op === '+' || op === '-' || op === '?' || op === '#' || op === '%') {
      return this.processModifier(name, op);
    }
    throw new WordError(`unsupported modifier (${op}) in substitution`);
  }

  /** `${name<op>word}` where op is one of `- + ? # %`, optionally after `:`. */
  private processModifier(name: string, firstOp: string): string {
    const colon = firstOp === ':';
    // After `:` the operator is the next character, whatever it is (`${v:x}` fails below).
    const op = colon ? this.next() : firstOp;
    const written = colon ? ':' + op : op;
    const isPattern = op === '#' || op === '%';
    if (colon && isPattern) throw new WordError(`unsupported modifier (${written}) in substitution`);

    const word = this.processInner('}', isPattern, "syntax error: missing '}'");
    const value = this.getEnv(name);
    if (value === undefined && this.lex.skipUnsetEnv) return `\${${name}${written}${word}}`;
    // With `:`, an empty value counts as unset.
    const unsetOrNull = value === undefined || (colon && value === '');

    switch (op) {
      case '-':
        return unsetOrNull ? word : value!;
      case '+':
        return unsetOrNull ? '' : word;
      case '?':
        if (value === undefined) throw new WordError(`${name}: ${word || 'is not allowed to be unset'}`);
        if (unsetOrNull) throw new WordError(`${name}: ${word || 'is not allowed to be empty'}`);
        return value;
      case '#':
      case '%': {
        // A doubled operator (`##`, `%%`) asks for the longest match.
        const greedy = word.startsWith(op);
        const pattern = greedy ? word.slice(1) : word;
        return this.withPatternErrors(pattern, () =>
          op === '%' ? trimSuffix(pattern, value ?? '', greedy) : trimPrefix(pattern, value ?? '', greedy),
        );
      }
      default:
        throw new WordError(`unsupported modifier (${written}) in substitution`);
    }
  }

  /** `${name/pattern/replacement}` and `${name//pattern/replacement}`. */
  private processReplace(name: string): string {
    const all = this.peek() === '/';
    if (all) this.next();
    const pattern = this.processInner('/', true, "syntax error: missing '/' in ${}");
    const replacement = this.processInner('}', true, "syntax error: missing '}'");
    const value = this.getEnv(name);
    // BuildKit writes a single `/` back even for `//`.
    if (value === undefined && this.lex.skipUnsetEnv) return `\${${name}/${pattern}/${replacement}}`;
    return this.withPatternErrors(pattern, () =>
      all ? replaceAll(pattern, value ?? '', replacement) : replaceFirst(pattern, value ?? '', replacement),
    );
  }

  /** A nested word inside `${...}`; running out of input becomes `eofMessage`. */
  private processInner(stopChar: string, rawEscapes: boolean, eofMessage: string): string {
    try {
      return this.processStopOn(stopChar, rawEscapes).text;
    } catch (err) {
      if (err instanceof WordError && this.peek() === EOF) throw new WordError(eofMessage);
      throw err;
    }
  }

  private withPatternErrors(pattern: string, apply: () => string): string {
    try {
      return apply();
    } catch (err) {
      if (err instanceof ShellPatternError) {
        throw new WordError(`invalid pattern (${pattern}) in substitution: ${err.message}`);
      }
      throw err;
    }
  }

  /**
   * A variable name: letters, digits and `_`; or a run of digits (positional
   * parameters, never set); or one special parameter character.
   */
  private processName(): string {
    let name = '';
    while (this.peek() !== EOF) {
      const ch = this.peek();
      if (name === '' && isDigit(ch)) {
        while (this.peek() !== EOF && isDigit(this.peek())) name += this.next();
        return name;
      }
      if (name === '' && SPECIAL_PARAMETERS.has(ch)) return this.next();
      if (!isLetter(ch) && !isDigit(ch) && ch !== '_') break;
      name += this.next();
    }
    return name;
  }

  private getEnv(name: string): string | undefined {
    const value = this.env.get(name);
    if (value === undefined) this.unmatched.add(name);
    else this.matched.add(name);
    return value;
  }
}
