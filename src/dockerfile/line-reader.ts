/**
 * Physical lines of a Dockerfile, as BuildKit's bufio.Scanner with its
 * scanLines split function yields them: split on \n only, the \n kept, and a
 * line longer than the scanner's 64 KiB buffer ends the input with an error.
 */
import type { ByteString } from './parser-go-strings.js';

/** bufio.MaxScanTokenSize: a line, with its \n, must fit in this many bytes. */
export const MAX_LINE_BYTES = 64 * 1024;

export class LineReader {
  private pos = 0;
  /** Set once a line too long for BuildKit's scanner has been met. */
  tooLong = false;

  constructor(private readonly text: ByteString) {}

  /** The next line with its terminator, or undefined at the end (or at a too-long line). */
  next(): ByteString | undefined {
    if (this.tooLong || this.pos >= this.text.length) return undefined;
    const newline = this.text.indexOf('\n', this.pos);
    // A line ending in \n may fill the buffer exactly; the last line without
    // one must leave a byte free, or the scanner reports it too long before
    // it sees the end of the input.
    const end = newline >= 0 ? newline + 1 : this.text.length;
    const limit = newline >= 0 ? MAX_LINE_BYTES : MAX_LINE_BYTES - 1;
    if (end - this.pos > limit) {
      this.tooLong = true;
      return undefined;
    }
    const line = this.text.slice(this.pos, end);
    this.pos = end;
    return line;
  }
}
