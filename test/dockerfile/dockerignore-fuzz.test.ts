/**
 * Random ignore files: building a matcher either works or throws a
 * DockerignoreError, and matching never throws.
 */
import { describe, expect, it } from 'vitest';
import { DockerignoreError, DockerignoreMatcher } from '../../src/dockerfile/dockerignore.js';
import { mulberry32 } from '../helpers/seeded-random.js';

const ALPHABET = ['*', '*', '?', '[', ']', '^', '-', '\\', '/', '/', '!', '#', '.', '..', ':', 'a', 'b', 'd', 'z', ' ',
  '(', '{', '$', '+', '|', '한'];
const PATHS = ['a', 'a/b', 'b/a', 'a.b', 'ab/c/d', '[a]', 'a*b', '한/a', '.hidden', 'z-a', 'a]b/c'];

describe('DockerignoreMatcher on random patterns', () => {
  it('builds or throws DockerignoreError, and then matches without throwing', () => {
    const next = mulberry32(424242);
    let rejected = 0;
    for (let i = 0; i < 5000; i++) {
      const lines: string[] = [];
      const count = 1 + Math.floor(next() * 4);
      for (let l = 0; l < count; l++) {
        let line = '';
        const length = Math.floor(next() * 8);
        for (let j = 0; j < length; j++) line += ALPHABET[Math.floor(next() * ALPHABET.length)];
        lines.push(line);
      }
      let matcher: DockerignoreMatcher;
      try {
        matcher = DockerignoreMatcher.fromText(lines.join('\n'));
      } catch (err) {
        if (!(err instanceof DockerignoreError)) throw new Error(`${JSON.stringify(lines)}: ${String(err)}`);
        rejected++;
        continue;
      }
      for (const path of PATHS) {
        expect(typeof matcher.matches(path)).toBe('boolean');
        matcher.mayContainExceptions(path);
      }
    }
    expect(rejected).toBeGreaterThan(100);
    expect(rejected).toBeLessThan(4900);
  });
});
