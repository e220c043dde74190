/**
 * Loads what the layer pane shows and keeps its rows: the selected step's
 * view (or a shell's changes under review), the whole image's view for the
 * image report, and the flattened rows of the tree with their filters, sort,
 * find and collapsed directories. Views load asynchronously; an answer for a
 * selection the user has left is dropped. No React and no UI state of its
 * own: it reads the UI state and reports row counts back as actions.
 */
import type { SessionApi } from '../engine/session-types.js';
import type { ChangeEntry } from '../layers/types.js';
import type { DiffNode } from '../layers/tree-diff.js';
import { TreeRowList, type RowOptions } from '../layers/tree-rows.js';
import { collectWhenIdle } from './idle-collection.js';
import { LayerModel, type LayerView } from './model/layer-model.js';
import { ALL_DIFF_TYPES, findPattern, type UiAction, type UiState } from './state/ui-state.js';

export interface LayerPaneHost {
  readonly session: SessionApi;
  ui(): UiState;
  dispatch(action: UiAction): void;
  message(text: string, kind?: 'info' | 'error'): void;
  /** A view arrived: the bottom pane may show something else now, and the screen is drawn again. */
  viewChanged(): void;
  /** Draws again after an error message. */
  refresh(): void;
  /** The exited shell whose changes are under review, if any. */
  shellUnderReview(): { id: number; step: number; state: 'before' | 'after'; changes: readonly ChangeEntry[] } | undefined;
}

/** A view this big leaves garbage worth a collection (see idle-collection.ts). */
const BIG_VIEW_ROWS = 20_000;

export class LayerPaneLoader {
  readonly model: LayerModel;
  /** The layer pane's view, undefined while it loads. */
  view: LayerView | undefined;
  /** The whole image, for the image report (loaded when shown). */
  imageView: LayerView | undefined;
  private rowList: TreeRowList | undefined;
  private viewRequestKey = '';
  private viewSequence = 0;
  private imageRequestKey = '';

  constructor(private readonly host: LayerPaneHost) {
    this.model = new LayerModel(host.session);
  }

  get rows(): readonly DiffNode[] {
    return this.rowList?.rows ?? [];
  }

  /** The row under the layer pane's cursor. */
  cursorNode(): DiffNode | undefined {
    return this.rowList?.rows[this.host.ui().layerCursor];
  }

  isCollapsed = (node: DiffNode): boolean => this.rowList?.isCollapsed(node) ?? false;

  /** Loads the view the UI state asks for, unless it is the one shown or loading. */
  request(): void {
    const key = this.requestKey();
    if (key === this.viewRequestKey) return;
    this.viewRequestKey = key;
    const sequence = ++this.viewSequence;
    this.view = undefined;
    this.rowList = undefined;
    this.host.dispatch({ type: 'layer.rows', count: 0 });
    const ui = this.host.ui();
    const shell = this.host.shellUnderReview();
    const request = shell ? this.model.shellView(shell) : this.model.view({ step: ui.stepCursor, mode: ui.layerMode, rangeStart: ui.rangeStart });
    request.then(
      (view) => {
        if (sequence !== this.viewSequence) return;
        this.view = view;
        this.rowList = view.kind === 'tree' ? new TreeRowList(view.root, this.rowOptions()) : undefined;
        this.host.dispatch({ type: 'layer.rows', count: this.rows.length, keepCursor: 0 });
        this.host.viewChanged();
        if (this.rows.length >= BIG_VIEW_ROWS) collectWhenIdle();
      },
      (err: unknown) => {
        if (sequence !== this.viewSequence) return;
        this.view = { kind: 'note', key, title: 'layer', lines: [`Could not read the layer: ${errorText(err)}`] };
        this.host.refresh();
      },
    );
  }

  /** Loads the whole image's view when the image report is wanted and the session changed since. */
  requestImage(sessionVersion: number): void {
    const ui = this.host.ui();
    const wanted = ui.bottomView === 'image' || (ui.stepCursor >= this.host.session.steps.length && ui.detailOf === 'steps');
    if (!wanted) return;
    const key = `image:${sessionVersion}`;
    if (key === this.imageRequestKey) return;
    this.imageRequestKey = key;
    this.model.view({ step: this.host.session.steps.length, mode: 'upto', rangeStart: undefined }).then(
      (view) => {
        if (key !== this.imageRequestKey) return;
        this.imageView = view;
        this.host.viewChanged();
      },
      (err: unknown) => {
        this.host.message(`Image: ${errorText(err)}`, 'error');
        this.host.refresh();
      },
    );
  }

  /** New filters, sort or find text from the UI state. */
  applyRowOptions(): void {
    if (!this.rowList) return;
    this.rowList.setOptions(this.rowOptions());
    this.host.dispatch({ type: 'layer.rows', count: this.rows.length });
  }

  /** Collapses or expands the directory under the cursor. */
  toggleAtCursor(): void {
    if (!this.rowList) return;
    this.rowList.toggle(this.host.ui().layerCursor);
    this.host.dispatch({ type: 'layer.rows', count: this.rows.length });
  }

  /** Collapses or expands every directory; the cursor stays on its path when that is still shown. */
  setAllCollapsed(collapsed: boolean): void {
    if (!this.rowList) return;
    const path = this.cursorNode()?.path;
    this.rowList.setAllCollapsed(collapsed);
    const index = path === undefined ? 0 : Math.max(0, this.rowList.indexOf(path));
    this.host.dispatch({ type: 'layer.rows', count: this.rows.length, keepCursor: index });
  }

  private requestKey(): string {
    const ui = this.host.ui();
    const shell = this.host.shellUnderReview();
    if (shell) return `shell:${shell.id}`;
    const steps = this.host.session.steps;
    const step = steps[ui.stepCursor];
    const status = step ? `${step.status}:${step.layer?.diffId ?? ''}` : `image:${steps.map((s) => s.status).join(',')}`;
    return `${ui.stepCursor}:${ui.layerMode}:${ui.rangeStart ?? ''}:${status}`;
  }

  private rowOptions(): Omit<RowOptions, 'collapsed'> {
    const ui = this.host.ui();
    // Every diff type shown is no filter: the rows need no pass over the whole tree to find what matches.
    const everyType = ALL_DIFF_TYPES.every((type) => ui.diffTypes.has(type));
    return { diffTypes: everyType ? undefined : ui.diffTypes, find: findPattern(ui.find), sortBy: ui.sortBy };
  }
}

function errorText(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
