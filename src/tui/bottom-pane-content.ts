/**
 * What the bottom pane shows, as wrapped lines: the selected step's output,
 * the selected file (its content read once the cursor rests), the image
 * report, the context files, or the review of an exited shell. Built lines
 * are kept until what they show changes (each kind has a key for that).
 */
import { basename } from 'node:path';
import type { ContextFile, SessionApi } from '../engine/session-types.js';
import { wrapText } from './format.js';
import type { LayerPaneLoader } from './layer-pane-loader.js';
import { contextLines } from './model/context-lines.js';
import { fileViewLines, type ViewLine } from './model/file-view.js';
import { imageReportLines } from './model/image-report.js';
import { outputLines } from './model/output-lines.js';
import type { UiState } from './state/ui-state.js';

export type BottomContent = { key: string; title: string; lines: ViewLine[]; follow?: boolean };

export const EMPTY_BOTTOM: BottomContent = { key: '', title: '', lines: [] };

/** Quiet time after a cursor move before the selected file is read. */
const FILE_READ_DELAY_MS = 60;

export interface BottomPaneHost {
  readonly session: SessionApi;
  ui(): UiState;
  /** Columns inside the pane's border. */
  width(): number;
  quitting(): boolean;
  /** Counts session events: output and context lines change with them. */
  sessionVersion(): number;
  layers: LayerPaneLoader;
  /** The review of an exited shell, while there is one. */
  shellReviewLines(): ViewLine[];
  /** Which shell the review is of (a new shell is a new review). */
  shellId(): number;
  message(text: string, kind?: 'info' | 'error'): void;
  refresh(): void;
}

export class BottomPaneContent {
  /** What the pane shows now; undefined when it must be built again. */
  private current: BottomContent | undefined;
  /** The selected file's view with its content read (see scheduleFileContent). */
  private fileContent: BottomContent | undefined;
  private fileTimer: NodeJS.Timeout | undefined;
  private contextFiles: ContextFile[] | undefined;
  private contextLoaded = false;

  constructor(private readonly host: BottomPaneHost) {}

  /** The content as last built (EMPTY_BOTTOM before the first build). */
  get shown(): BottomContent {
    return this.current ?? EMPTY_BOTTOM;
  }

  /** What is shown must be built again at the next update. */
  invalidate(): void {
    this.current = undefined;
  }

  /** What the steps took from the context may have changed: ask again when it is shown. */
  contextChanged(): void {
    this.contextLoaded = false;
  }

  /** Builds the content for the current state (reusing what did not change) and returns it. */
  update(): BottomContent {
    if (this.host.ui().bottomView === 'context') this.loadContextFiles();
    this.current = this.build();
    return this.current;
  }

  dispose(): void {
    if (this.fileTimer) clearTimeout(this.fileTimer);
    this.fileTimer = undefined;
  }

  private loadContextFiles(): void {
    if (this.contextLoaded) return;
    this.contextLoaded = true;
    const list = this.host.session.contextFiles?.();
    if (!list) return;
    list.then(
      (files) => {
        this.contextFiles = files;
        this.current = undefined;
        this.host.refresh();
      },
      (err: unknown) => {
        this.host.message(`Context files: ${errorText(err)}`, 'error');
        this.host.refresh();
      },
    );
  }

  private scheduleFileContent(key: string, width: number, build: () => Omit<BottomContent, 'key'>): void {
    if (this.fileTimer) clearTimeout(this.fileTimer);
    this.fileTimer = setTimeout(() => {
      this.fileTimer = undefined;
      if (this.host.quitting()) return;
      try {
        const content = build();
        this.fileContent = { key: `${key}|${width}`, ...content, lines: wrapLines(content.lines, width) };
      } catch (err) {
        this.fileContent = { key: `${key}|${width}`, title: 'file', lines: [{ text: `Could not read the file: ${errorText(err)}`, tone: 'warning' }] };
      }
      this.host.refresh();
    }, FILE_READ_DELAY_MS);
  }

  private build(): BottomContent {
    const host = this.host;
    const ui = host.ui();
    const session = host.session;
    const steps = session.steps;
    const width = host.width();
    const wrap = (content: BottomContent): BottomContent => ({ ...content, lines: wrapLines(content.lines, width) });
    const cached = (key: string, build: () => Omit<BottomContent, 'key'>): BottomContent => {
      const full = `${key}|${width}`;
      if (this.current?.key === full) return this.current;
      return wrap({ key: full, ...build() });
    };
    if (ui.shell?.phase === 'review') {
      return { key: `shell-review:${host.shellId()}:${ui.shell.line}:${ui.shell.editing}:${width}`, title: 'shell: keep or discard', lines: wrapLines(host.shellReviewLines(), width) };
    }
    const imageRow = ui.stepCursor >= steps.length;
    const view = ui.bottomView !== 'auto' ? ui.bottomView : ui.detailOf === 'layer' ? 'file' : imageRow ? 'image' : 'output';
    switch (view) {
      case 'image': {
        const image = host.layers.imageView;
        return cached(`image:${image?.key ?? ''}`, () => ({
          title: 'image',
          lines:
            image?.kind === 'tree'
              ? imageReportLines(image.layers, image.trees, steps)
              : image?.kind === 'note'
                ? image.lines.map((text) => ({ text, tone: 'note' as const }))
                : [{ text: 'loading…', tone: 'note' }],
        }));
      }
      case 'context':
        return cached(`context:${this.contextFiles?.length ?? 'none'}:${host.sessionVersion()}`, () => ({
          title: 'context',
          lines: session.contextFiles
            ? this.contextFiles
              ? contextLines(this.contextFiles, steps, session.contextDir)
              : [{ text: 'loading…', tone: 'note' }]
            : contextLines(undefined, steps, session.contextDir),
        }));
      case 'file': {
        const node = host.layers.cursorNode();
        const viewNow = host.layers.view;
        const key = `file:${viewNow?.key ?? ''}:${node?.path ?? ''}`;
        if (this.fileContent?.key === `${key}|${width}`) return this.fileContent;
        if (!viewNow) return { key: 'file:loading', title: 'file', lines: [{ text: 'loading…', tone: 'note' }] };
        if (viewNow.kind === 'note') return cached(key, () => ({ title: 'file', lines: viewNow.lines.map((text) => ({ text, tone: 'note' as const })) }));
        if (!node) return cached(key, () => ({ title: 'file', lines: [{ text: 'No file in view (check the filters and the find text).', tone: 'note' }] }));
        const source = { session, layers: viewNow.layers, afterStep: viewNow.afterStep, beforeStep: viewNow.beforeStep };
        // Reading a file from the store may take a while: draw the moved cursor
        // first, and read once the keys stop for a moment.
        this.scheduleFileContent(key, width, () => ({ title: `file /${node.path}`, lines: fileViewLines(source, node) }));
        return { key: `${key}:quick`, title: `file /${node.path}`, lines: wrapLines(fileViewLines(source, node, { readContent: false }), width) };
      }
      case 'output': {
        const step = steps[Math.min(ui.stepCursor, steps.length - 1)];
        if (!step) return { key: 'empty', title: 'output', lines: [] };
        const log = session.log(step.index);
        return cached(`output:${step.index}:${step.status}:${log.length}:${host.sessionVersion()}`, () => ({
          title: `output of step ${step.index + 1}`,
          lines: outputLines(step, log, basename(session.dockerfilePath)),
          follow: step.status === 'running',
        }));
      }
    }
  }
}

function wrapLines(lines: readonly ViewLine[], width: number): ViewLine[] {
  const out: ViewLine[] = [];
  for (const line of lines) {
    // Diffs and logs keep one line per line (cut at the edge); prose wraps.
    if (line.tone === 'note' || line.tone === 'warning' || line.tone === 'heading') {
      for (const text of wrapText(line.text, width)) out.push({ text, tone: line.tone });
    } else {
      out.push(line);
    }
  }
  return out;
}

function errorText(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
