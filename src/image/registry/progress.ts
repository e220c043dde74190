/**
 * Transfer progress as events, so the CLI and the TUI can each draw it their
 * own way. pull.ts and push.ts emit them; TransferProgressPrinter is the CLI's
 * rendering: on a TTY one live line per blob redrawn in place (like docker),
 * otherwise plain lines, one per blob state change, safe for logs.
 */

export type BlobStatus =
  /** pull: fetched and verified now */
  | 'downloaded'
  /** pull: already in the store (verified), not fetched again */
  | 'already-present'
  /** push: uploaded now */
  | 'pushed'
  /** push: the registry had it (HEAD) */
  | 'already-exists'
  /** push: cross-repository mount, no bytes sent */
  | 'mounted';

export interface BlobSummary {
  digest: string;
  size: number;
  kind: 'layer' | 'config';
}

export type TransferEvent =
  | { type: 'start'; direction: 'pull' | 'push'; reference: string; registry: string }
  /** The image is known: what will be transferred. */
  | { type: 'resolved'; digest: string; mediaType: string; platform?: string; blobs: BlobSummary[] }
  | { type: 'blob-start'; digest: string; size: number; kind: 'layer' | 'config' }
  | { type: 'blob-progress'; digest: string; size: number; transferred: number }
  | { type: 'blob-done'; digest: string; size: number; kind: 'layer' | 'config'; status: BlobStatus }
  /** A mirror failed; trying the next endpoint. */
  | { type: 'fallback'; from: string; to: string; reason: string }
  | { type: 'done'; digest: string; bytesTransferred: number };

export type ProgressListener = (event: TransferEvent) => void;

export function formatBytes(n: number): string {
  if (n < 1000) return `${n} B`;
  const units = ['kB', 'MB', 'GB', 'TB'];
  let value = n;
  let unit = -1;
  while (value >= 1000 && unit < units.length - 1) {
    value /= 1000;
    unit++;
  }
  return `${value < 10 ? value.toFixed(2) : value < 100 ? value.toFixed(1) : value.toFixed(0)} ${units[unit]}`;
}

/** Docker's short id: the first 12 hex digits. */
export function shortDigest(digest: string): string {
  return digest.replace(/^sha256:/, '').slice(0, 12);
}

const statusText: Record<BlobStatus, string> = {
  downloaded: 'Pull complete',
  'already-present': 'Already exists',
  pushed: 'Pushed',
  'already-exists': 'Layer already exists',
  mounted: 'Mounted from source repository',
};

interface BlobLine {
  digest: string;
  size: number;
  transferred: number;
  text: string;
}

/**
 * Draws TransferEvents to a stream. Use `listener` as the onProgress option
 * and call finish() when the transfer ends (success or failure).
 */
export class TransferProgressPrinter {
  private readonly lines: BlobLine[] = [];
  private drawn = 0;
  private lastDraw = 0;
  private direction: 'pull' | 'push' = 'pull';

  constructor(
    private readonly out: NodeJS.WritableStream,
    private readonly live: boolean,
  ) {}

  readonly listener: ProgressListener = (event) => this.handle(event);

  private line(digest: string, size = 0): BlobLine {
    let found = this.lines.find((l) => l.digest === digest);
    if (!found) {
      found = { digest, size, transferred: 0, text: 'Waiting' };
      this.lines.push(found);
    }
    return found;
  }

  private handle(event: TransferEvent): void {
    switch (event.type) {
      case 'start':
        this.direction = event.direction;
        if (event.direction === 'push') this.out.write(`The push refers to repository [${event.reference}]\n`);
        else this.out.write(`Pulling ${event.reference}\n`);
        return;
      case 'resolved':
        if (this.live) for (const blob of event.blobs.filter((b) => b.kind === 'layer')) this.line(blob.digest, blob.size);
        return;
      case 'fallback':
        this.print(`mirror ${event.from} failed (${event.reason}); trying ${event.to}`);
        return;
      case 'blob-start': {
        if (event.kind === 'config') return;
        const line = this.line(event.digest, event.size);
        line.text = this.direction === 'pull' ? 'Downloading' : 'Pushing';
        if (this.live) this.redraw(false);
        else this.print(`${shortDigest(event.digest)}: ${line.text} ${formatBytes(event.size)}`);
        return;
      }
      case 'blob-progress': {
        const line = this.lines.find((l) => l.digest === event.digest);
        if (!line) return;
        line.transferred = event.transferred;
        if (this.live) this.redraw(true);
        return;
      }
      case 'blob-done': {
        if (event.kind === 'config') return;
        const line = this.line(event.digest, event.size);
        line.transferred = event.size;
        line.text = statusText[event.status];
        if (this.live) this.redraw(false);
        else this.print(`${shortDigest(event.digest)}: ${line.text}`);
        return;
      }
      case 'done':
        if (this.live) this.redraw(false);
        return;
    }
  }

  private render(line: BlobLine): string {
    const id = shortDigest(line.digest);
    if (line.text !== 'Downloading' && line.text !== 'Pushing') return `${id}: ${line.text}`;
    const width = 30;
    const ratio = line.size > 0 ? Math.min(1, line.transferred / line.size) : 0;
    const filled = Math.round(ratio * width);
    const bar = `[${'='.repeat(Math.max(0, filled - 1))}${filled > 0 ? '>' : ''}${' '.repeat(width - filled)}]`;
    return `${id}: ${line.text} ${bar} ${formatBytes(line.transferred)}/${formatBytes(line.size)}`;
  }

  /** Redraws every blob line in place; throttled for byte progress. */
  private redraw(throttle: boolean): void {
    const now = Date.now();
    if (throttle && now - this.lastDraw < 100) return;
    this.lastDraw = now;
    let text = this.drawn > 0 ? `\x1b[${this.drawn}A` : '';
    for (const line of this.lines) text += `\r\x1b[2K${this.render(line)}\n`;
    this.drawn = this.lines.length;
    this.out.write(text);
  }

  /** A line above the live block (or a plain line). */
  private print(text: string): void {
    if (!this.live || this.drawn === 0) {
      this.out.write(`${text}\n`);
      return;
    }
    this.out.write(`\x1b[${this.drawn}A\r\x1b[2K${text}\n`);
    this.drawn = 0;
    this.redraw(false);
  }

  finish(): void {
    if (this.live && this.lines.length > 0) this.redraw(false);
  }
}
