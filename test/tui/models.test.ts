import { describe, expect, it } from 'vitest';
import { contextLines } from '../../src/tui/model/context-lines.js';
import { fileViewLines, sniffType } from '../../src/tui/model/file-view.js';
import { imageReportLines } from '../../src/tui/model/image-report.js';
import { LayerModel, type LayerView } from '../../src/tui/model/layer-model.js';
import { failureBanner, outputLines } from '../../src/tui/model/output-lines.js';
import { stepNote, stepRows } from '../../src/tui/state/step-rows.js';
import { formatBytes, formatMode, wrapText } from '../../src/tui/format.js';
import { exampleSession, step } from './session-data.js';

type TreeView = Extract<LayerView, { kind: 'tree' }>;

function rowsOf(view: LayerView): string[] {
  if (view.kind !== 'tree') throw new Error(`expected a tree, got ${view.lines.join(' ')}`);
  const out: string[] = [];
  const visit = (node: TreeView['root']): void => {
    for (const child of node.children ?? []) {
      out.push(`${child.diff} ${child.path}${child.metadataOnly ? ` [${child.metadataOnly.join(',')}]` : ''}`);
      visit(child);
    }
  };
  visit(view.root);
  return out;
}

describe('LayerModel', () => {
  it('shows a step\'s own layer, everything up to it, and a range', async () => {
    const session = exampleSession();
    const model = new LayerModel(session);
    const own = await model.view({ step: 1, mode: 'layer', rangeStart: undefined });
    expect(rowsOf(own)).toEqual(['added big', 'unmodified etc', 'modified etc/hosts [mode]', 'modified etc/motd']);
    const upto = await model.view({ step: 1, mode: 'upto', rangeStart: undefined });
    expect(rowsOf(upto)).toContain('unmodified bin/sh');
    const range = await model.view({ step: 2, mode: 'range', rangeStart: 1 });
    expect(range.title).toBe('steps 2..3 · range');
    expect(rowsOf(range)).toEqual(['unmodified etc', 'modified etc/hosts', 'removed etc/motd']);
  });

  it('shows the base image for FROM, notes for config-only and pending steps, partial writes for a failed one', async () => {
    const model = new LayerModel(exampleSession());
    expect(rowsOf(await model.view({ step: 0, mode: 'layer', rangeStart: undefined }))).toContain('added bin/sh');
    const config = await model.view({ step: 3, mode: 'layer', rangeStart: undefined });
    expect(config.kind === 'note' && config.lines).toEqual(['ENV changes only the image config: this step adds no layer.', '', 'Config changes:', '  Env: +A=1']);
    const failed = await model.view({ step: 4, mode: 'layer', rangeStart: undefined });
    expect(failed.title).toContain('partial writes of the failed step');
    expect(rowsOf(failed)).toEqual(['added half.txt']);
  });

  it('shows the whole image without markers on the image row', async () => {
    const session = exampleSession();
    const view = await new LayerModel(session).view({ step: session.steps.length, mode: 'layer', rangeStart: undefined });
    expect(view.kind).toBe('note'); // a failed step: no image yet
    session.steps[4]!.status = 'done';
    const image = await new LayerModel(session).view({ step: session.steps.length, mode: 'layer', rangeStart: undefined });
    expect(rowsOf(image).every((row) => row.startsWith('unmodified'))).toBe(true);
    expect(rowsOf(image)).not.toContain('unmodified big');
  });
});

describe('file view', () => {
  async function nodeAt(stepIndex: number, path: string) {
    const session = exampleSession();
    const view = (await new LayerModel(session).view({ step: stepIndex, mode: 'layer', rangeStart: undefined })) as TreeView;
    const find = (node: TreeView['root']): TreeView['root'] | undefined =>
      node.path === path ? node : (node.children ?? []).map(find).find(Boolean);
    const source = { session, layers: view.layers, afterStep: view.afterStep, beforeStep: view.beforeStep };
    return { source, node: find(view.root)! };
  }

  it('diffs a modified text file against the layers below', async () => {
    const { source, node } = await nodeAt(1, 'etc/motd');
    const lines = fileViewLines(source, node).map((l) => `${l.tone}:${l.text}`);
    expect(lines).toContain('note:Written by step 2 (line 2: RUN make); before that by the base image (import rootfs).');
    expect(lines).toContain('hunk:@@ -1 +1,2 @@');
    expect(lines).toContain('added:+world');
  });

  it('names the metadata fields of a metadata-only change', async () => {
    const { source, node } = await nodeAt(1, 'etc/hosts');
    const text = fileViewLines(source, node).map((l) => l.text);
    expect(text).toContain('Metadata only: the content is the same as below.');
    expect(text).toContain('  mode   -rw-r--r-- → -rw-------');
  });

  it('gives size and type for a binary and says what a whiteout hides and who wrote it', async () => {
    const big = await nodeAt(1, 'big');
    expect(fileViewLines(big.source, big.node).map((l) => l.text)).toContain('Binary: 11 B, binary data.');
    const gone = await nodeAt(2, 'etc/motd');
    const text = fileViewLines(gone.source, gone.node).map((l) => l.text);
    expect(text[0]).toBe('/etc/motd: deleted. The layer holds a whiteout that hides:');
    expect(text).toContain('Last written by step 2 (line 2: RUN make).');
  });

  it('shows a symlink target and a new file plainly', async () => {
    const link = await nodeAt(0, 'bin/sh');
    expect(fileViewLines(link.source, link.node).map((l) => l.text)).toContain('Symlink to busybox');
    const half = await nodeAt(4, 'half.txt');
    expect(fileViewLines(half.source, half.node).map((l) => l.text)).toContain('1 abc');
  });

  it('recognises common binary formats', () => {
    expect(sniffType(Buffer.from([0x7f, 0x45, 0x4c, 0x46, 0, 0]))).toBe('ELF executable or library');
    expect(sniffType(Buffer.from([0x1f, 0x8b, 8]))).toBe('gzip data');
  });
});

describe('image, output and context lines', () => {
  it('attributes wasted bytes to the writer and the hider, each path once', async () => {
    const session = exampleSession();
    session.steps[4]!.status = 'done';
    const view = (await new LayerModel(session).view({ step: session.steps.length, mode: 'upto', rangeStart: undefined })) as TreeView;
    const text = imageReportLines(view.layers, view.trees, session.steps).map((l) => l.text);
    expect(text[0]).toBe('Image: 3 layers, 1.3 kB compressed, 5.0 kB of file content');
    expect(text.find((l) => l.includes('/big  written'))).toMatch(/5\.0 kB {2}\/big {2}written by step 2 \(line 2\), hidden by step 3 \(line 3\)/);
    expect(text.filter((l) => l.includes('/etc/motd  written'))).toHaveLength(1);
    expect(text.find((l) => l.includes('/etc/motd  written'))).toContain('written by base layer 1, hidden by step 2 (line 2); written by step 2 (line 2), hidden by step 3 (line 3)');
    expect(text.at(-1)).toMatch(/^Why a later rm does not shrink the image/);
  });

  it('puts the failure banner above the log, and says when the cache answered', () => {
    const failed = step(4, 'RUN', 'false', { status: 'failed', startLine: 9, failure: { message: 'exited with code 1', exitCode: 1, command: 'false', tail: ['boom'] } });
    const banner = failureBanner(failed, 'Dockerfile').map((l) => l.text);
    expect(banner[0]).toBe('✖ Step 5 failed at Dockerfile:9: exit code 1');
    expect(banner).toContain('  RUN false');
    expect(banner).toContain('  │ boom');
    const cached = outputLines(step(1, 'RUN', 'x', { status: 'cached', cacheMiss: undefined }), [], 'Dockerfile');
    expect(cached[0]!.text).toMatch(/^cached: the build cache had this step/);
    const missed = outputLines(step(1, 'RUN', 'x', { status: 'done', cacheMiss: 'the instruction changed' }), ['out'], 'Dockerfile');
    expect(missed.map((l) => l.text)).toEqual(['cache miss: the instruction changed', 'out']);
  });

  it('lists context files with the steps that take them', () => {
    const steps = [step(0, 'FROM', 'x'), step(1, 'COPY', '. .')];
    const lines = contextLines([{ path: 'a.txt', size: 2000, steps: [1] }, { path: 'b', size: 0, steps: [] }], steps, '/ctx').map((l) => l.text);
    expect(lines[0]).toBe('Context /ctx: 1 file (2.0 kB) taken by COPY/ADD, after .dockerignore');
    expect(lines[1]).toBe('    2.0 kB  a.txt  ← step 2 (line 2 COPY)');
    expect(lines[2]).toContain('(no step takes it)');
    expect(contextLines(undefined, steps, '/ctx')[0]!.text).toMatch(/cannot list the context files/);
  });
});

describe('steps pane rows and formats', () => {
  it('groups stages, folds multi-line steps and ends with the image row', () => {
    const steps = [
      step(0, 'FROM', 'a AS build', { stageName: 'build' }),
      step(1, 'RUN', 'x', { stageName: 'build', startLine: 2, endLine: 4 }),
      step(2, 'FROM', 'b', { stageIndex: 1, startLine: 5, endLine: 5 }),
    ];
    const lines = ['FROM a AS build', 'RUN x \\', '  && y \\', '  && z', 'FROM b'];
    const folded = stepRows(steps, { dockerfileLines: lines, unfolded: new Set() });
    expect(folded.map((r) => r.kind)).toEqual(['stage', 'step', 'step', 'stage', 'step', 'image']);
    const open = stepRows(steps, { dockerfileLines: lines, unfolded: new Set([1]) });
    expect(open.filter((r) => r.kind === 'continuation').map((r) => (r as { text: string }).text)).toEqual(['  && y \\', '  && z']);
  });

  it('notes counts and sizes, cache, exit codes and elapsed time', () => {
    const layer = { digest: 'd', diffId: 'd', size: 10, uncompressedSize: 4200 };
    expect(stepNote(step(1, 'RUN', 'x', { status: 'done', layer, counts: { added: 12, modified: 3, deleted: 1 } }), 0)).toBe('+12 ~3 -1 4.2 kB');
    expect(stepNote(step(1, 'RUN', 'x', { status: 'cached', layer }), 0)).toBe('cached 4.2 kB');
    expect(stepNote(step(1, 'RUN', 'x', { status: 'failed', failure: { message: '', exitCode: 2, tail: [] } }), 0)).toBe('exit 2');
    expect(stepNote(step(1, 'RUN', 'x', { status: 'running', startedAt: 1000 }), 4500)).toBe('3.5s');
  });

  it('formats bytes, modes and wrapped prose', () => {
    expect(formatBytes(999)).toBe('999 B');
    expect(formatBytes(4_200_000)).toBe('4.2 MB');
    expect(formatMode('file', 0o4755)).toBe('-rwsr-xr-x');
    expect(formatMode('dir', 0o1777)).toBe('drwxrwxrwt');
    expect(wrapText('aaa bbb ccc', 7)).toEqual(['aaa bbb', 'ccc']);
  });
});
