/**
 * The file view: what the selected row of the layer pane is, as lines to
 * draw. A text diff against the same path below, a plain view of a new file,
 * size and type of a binary, a symlink's target, what a whiteout hides, and
 * which earlier step last touched the path.
 */
import type { SessionApi, StackLayer, StepState } from '../../engine/session-types.js';
import type { FileInfo } from '../../layers/file-tree.js';
import type { DiffNode } from '../../layers/tree-diff.js';
import { diffFile, looksBinary } from '../../layers/text-diff.js';
import { formatBytes, formatMode, formatOwner } from '../format.js';

export type LineTone = 'plain' | 'added' | 'removed' | 'hunk' | 'heading' | 'note' | 'warning';

export interface ViewLine {
  text: string;
  tone: LineTone;
}

export interface FileViewSource {
  session: Pick<SessionApi, 'readFile' | 'steps'>;
  layers: readonly StackLayer[];
  afterStep: number;
  beforeStep: number | undefined;
}

const MAX_PLAIN_LINES = 5000;

/** Who wrote a layer position, in words: "step 5 (line 17: RUN ...)" or "the base image". */
export function writerOf(source: Pick<FileViewSource, 'layers' | 'session'>, info: FileInfo | undefined): string {
  if (!info) return 'nothing';
  const layer = source.layers[info.layer];
  if (!layer) return `layer ${info.layer + 1}`;
  if (layer.stepIndex === undefined) return `the base image (${layer.createdBy || `layer ${info.layer + 1}`})`;
  const step: StepState | undefined = source.session.steps[layer.stepIndex];
  return step ? `step ${step.index + 1} (line ${step.startLine}: ${step.text})` : `step ${layer.stepIndex + 1}`;
}

/** A few well-known magic numbers, for "binary, 1.2 MB, ELF executable". */
export function sniffType(data: Buffer): string {
  const starts = (bytes: number[]): boolean => bytes.every((b, i) => data[i] === b);
  if (starts([0x7f, 0x45, 0x4c, 0x46])) return 'ELF executable or library';
  if (starts([0x1f, 0x8b])) return 'gzip data';
  if (starts([0x89, 0x50, 0x4e, 0x47])) return 'PNG image';
  if (starts([0xff, 0xd8, 0xff])) return 'JPEG image';
  if (starts([0x50, 0x4b, 0x03, 0x04])) return 'zip archive';
  if (starts([0x28, 0xb5, 0x2f, 0xfd])) return 'zstd data';
  if (starts([0x42, 0x5a, 0x68])) return 'bzip2 data';
  if (starts([0xfd, 0x37, 0x7a, 0x58, 0x5a, 0x00])) return 'xz data';
  if (data.length > 262 && data.subarray(257, 262).toString('latin1') === 'ustar') return 'tar archive';
  return 'binary data';
}

function metadataLines(before: FileInfo, after: FileInfo, fields: readonly string[]): ViewLine[] {
  const lines: ViewLine[] = [{ text: 'Metadata only: the content is the same as below.', tone: 'heading' }];
  for (const field of fields) {
    if (field === 'mode') lines.push({ text: `  mode   ${formatMode(before.type, before.mode)} → ${formatMode(after.type, after.mode)}`, tone: 'note' });
    else if (field === 'uid' || field === 'gid') {
      if (!lines.some((l) => l.text.startsWith('  owner'))) {
        lines.push({ text: `  owner  ${formatOwner(before.uid, before.gid)} → ${formatOwner(after.uid, after.gid)}`, tone: 'note' });
      }
    } else if (field === 'mtime') {
      lines.push({ text: `  mtime  ${new Date(before.mtime).toISOString()} → ${new Date(after.mtime).toISOString()}`, tone: 'note' });
    } else if (field === 'xattrs') {
      const names = new Set([...Object.keys(before.xattrs ?? {}), ...Object.keys(after.xattrs ?? {})]);
      lines.push({ text: `  xattrs ${[...names].join(', ') || '(changed)'}`, tone: 'note' });
    }
  }
  lines.push({ text: 'The layer still holds a whole copy of the file: overlayfs copies a file up to change its metadata.', tone: 'note' });
  return lines;
}

function plainLines(data: Buffer): ViewLine[] {
  const text = data.toString('utf8');
  const lines = text.split('\n');
  if (lines.at(-1) === '') lines.pop();
  const width = String(Math.min(lines.length, MAX_PLAIN_LINES)).length;
  const out: ViewLine[] = lines.slice(0, MAX_PLAIN_LINES).map((line, i) => ({ text: `${String(i + 1).padStart(width)} ${line}`, tone: 'plain' as const }));
  if (lines.length > MAX_PLAIN_LINES) out.push({ text: `… ${lines.length - MAX_PLAIN_LINES} more lines`, tone: 'note' as const });
  return out;
}

function describeEntry(info: FileInfo): string {
  const base = `${formatMode(info.type, info.mode)} ${formatOwner(info.uid, info.gid)}`;
  switch (info.type) {
    case 'file':
      return `${base} ${formatBytes(info.size)}`;
    case 'symlink':
      return `${base} → ${info.linkTarget ?? '?'}`;
    case 'hardlink':
      return `${base} hard link to /${info.linkTarget ?? '?'}`;
    case 'char':
    case 'block':
      return `${base} device ${info.devMajor ?? 0},${info.devMinor ?? 0}`;
    default:
      return base;
  }
}

/** Shown where a file's content goes until it has been read. */
export const CONTENT_PENDING = 'reading the file…';

/**
 * The lines of the file view for one row of the layer pane. With
 * `readContent: false` nothing is read from the store: a regular file's
 * content is left as a CONTENT_PENDING note, for a quick first draw.
 */
export function fileViewLines(source: FileViewSource, node: DiffNode, options: { readContent?: boolean } = {}): ViewLine[] {
  const path = `/${node.path}`;
  const lines: ViewLine[] = [];
  const info = node.info;
  const before = node.before;
  const head = (text: string): void => void lines.push({ text, tone: 'heading' });
  const note = (text: string): void => void lines.push({ text, tone: 'note' });

  if (node.diff === 'removed') {
    head(`${path}: deleted. The layer holds a whiteout that hides:`);
    if (before) note(`  ${before.type} ${describeEntry(before)}`);
    if (node.children) {
      const hidden = node.counts.removed;
      note(`  and ${hidden} entr${hidden === 1 ? 'y' : 'ies'} inside it (${formatBytes(node.totalSize)})`);
    }
    note(`Last written by ${writerOf(source, before)}.`);
    note('Those bytes still ship in the image: the layer below keeps them.');
    return lines;
  }
  if (!info) {
    head(`${path}: a directory no layer wrote an entry for (implied by what is inside it)`);
    return lines;
  }
  head(`${path}  ${describeEntry(info)}`);
  if (node.diff === 'added') note(`New in ${writerOf(source, info)}.`);
  else if (node.diff === 'modified') note(`Written by ${writerOf(source, info)}; before that by ${writerOf(source, before)}.`);
  else note(`Last written by ${writerOf(source, info)}.`);

  if (node.children) {
    const c = node.counts;
    note(`Directory: +${c.added} ~${c.modified} -${c.removed} below it, ${c.unmodified} unchanged, ${formatBytes(node.totalSize)}.`);
    if (node.metadataOnly && node.metadataOnly.length > 0 && before) lines.push(...metadataLines(before, info, node.metadataOnly));
    return lines;
  }
  if (node.metadataOnly && before) {
    if (node.metadataOnly.length === 0) note('Rewritten unchanged: same content and metadata as below (a copy-up without a change).');
    else lines.push(...metadataLines(before, info, node.metadataOnly));
    return lines;
  }
  if (info.type === 'symlink') {
    note(`Symlink to ${info.linkTarget ?? '?'}${before?.type === 'symlink' && before.linkTarget !== info.linkTarget ? ` (was ${before.linkTarget})` : ''}`);
    return lines;
  }
  if (info.type !== 'file') return lines;
  if (options.readContent === false) {
    note(CONTENT_PENDING);
    return lines;
  }

  const after = source.session.readFile(source.afterStep, node.path);
  if (!after) {
    note('(the file cannot be read from the store)');
    return lines;
  }
  const old =
    node.diff === 'modified' && source.beforeStep !== undefined && before?.type === 'file'
      ? source.session.readFile(source.beforeStep, node.path, true)
      : undefined;
  if (!old) {
    if (looksBinary(after)) note(`Binary: ${formatBytes(after.length)}, ${sniffType(after)}.`);
    else lines.push(...plainLines(after));
    return lines;
  }
  const diff = diffFile(old, after, { oldName: `a${path}`, newName: `b${path}` });
  switch (diff.kind) {
    case 'identical':
      note('Same bytes as below.');
      break;
    case 'binary':
      note(`Binary: ${formatBytes(diff.oldSize)} → ${formatBytes(diff.newSize)}, ${sniffType(after)}.`);
      break;
    case 'too-large':
      note(`Too large to diff: ${formatBytes(diff.oldSize)} → ${formatBytes(diff.newSize)} (limit ${formatBytes(diff.limit)}).`);
      break;
    case 'text':
      note(`+${diff.added} -${diff.removed} lines`);
      for (const line of diff.unified.split('\n')) {
        if (line === '') continue;
        const tone: LineTone = line.startsWith('@@')
          ? 'hunk'
          : line.startsWith('+++') || line.startsWith('---')
            ? 'heading'
            : line.startsWith('+')
              ? 'added'
              : line.startsWith('-')
                ? 'removed'
                : 'plain';
        lines.push({ text: line, tone });
      }
      break;
  }
  return lines;
}
