/**
 * Random words built from the characters the lexer treats specially: every
 * call either returns or throws a ShellLexError, never anything else.
 */
import { describe, expect, it } from 'vitest';
import { ShellLexError } from '../../src/dockerfile/errors.js';
import { ShellLex } from '../../src/dockerfile/shell-lexer.js';
import { mulberry32 } from '../helpers/seeded-random.js';

const ALPHABET = ['$', '{', '}', ':', '-', '+', '?', '#', '%', '/', '\\', '`', "'", '"', '*', '[', ']', ' ', '\t', '\n',
  'A', 'B', 'x', '1', '0', '@', '!', '=', '.', '한', '🐳', '\ufeff', '\r'];

describe('ShellLex on random input', () => {
  const env = new Map([
    ['A', 'a b*'],
    ['B', ''],
    ['x', '\\*/'],
  ]);
  const lexers = [
    new ShellLex('\\'),
    new ShellLex('`'),
    new ShellLex('\\', { rawQuotes: true, rawEscapes: true }),
    new ShellLex('\\', { skipUnsetEnv: true }),
    new ShellLex('\\', { skipProcessQuotes: true }),
  ];

  it('returns or throws ShellLexError for 20000 random words', () => {
    const next = mulberry32(20240601);
    let errors = 0;
    for (let i = 0; i < 20000; i++) {
      const length = Math.floor(next() * 16);
      let word = '';
      for (let j = 0; j < length; j++) word += ALPHABET[Math.floor(next() * ALPHABET.length)];
      const lex = lexers[i % lexers.length]!;
      for (const run of [() => lex.processWord(word, env), () => lex.processWords(word, env)]) {
        try {
          run();
        } catch (err) {
          if (!(err instanceof ShellLexError)) throw new Error(`word ${JSON.stringify(word)}: ${String(err)}`);
          errors++;
        }
      }
    }
    // Both outcomes must actually occur, or the alphabet tests nothing.
    expect(errors).toBeGreaterThan(1000);
    expect(errors).toBeLessThan(38000);
  });
});
