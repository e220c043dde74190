/**
 * What the shell-word lexer reads variables from. A Map satisfies it, and so
 * does the stage's scoped environment.
 */
export interface ShellEnv {
  get(name: string): string | undefined;
  keys(): Iterable<string>;
}

export interface WordResult {
  result: string;
  /** Variables the word referred to that were set. */
  matched: Set<string>;
  /** Variables the word referred to that were not set. */
  unmatched: Set<string>;
}
