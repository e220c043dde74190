/** Quotes one word for POSIX sh: single quotes, with ' as '\''. */
export function quoteShell(word: string): string {
  if (/^[A-Za-z0-9_./:=@%+,-]+$/.test(word)) return word;
  return `'${word.replace(/'/g, `'\\''`)}'`;
}
