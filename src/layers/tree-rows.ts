/**
 * The layer pane's rows: a diff tree flattened to the rows a virtualized list
 * shows, with collapsed directories, diff-type filters, sort and find. Only
 * the rows in view are drawn; building them is linear, and collapsing or
 * expanding one directory splices rows instead of rebuilding them.
 */
import type { DiffNode, DiffType } from './tree-diff.js';

export type RowSort = 'name' | 'size';

export interface RowOptions {
  /** Paths of collapsed directories. */
  collapsed?: ReadonlySet<string>;
  /** Show only nodes of these diff types (and the directories that lead to them). */
  diffTypes?: ReadonlySet<DiffType>;
  /** Show only paths that contain this text, or match this pattern. */
  find?: string | RegExp;
  sortBy?: RowSort;
}

type Included = WeakSet<DiffNode> | undefined;

function matcher(options: RowOptions): ((node: DiffNode) => boolean) | undefined {
  const { diffTypes, find } = options;
  if (!diffTypes && (find === undefined || find === '')) return undefined;
  const findFn =
    find === undefined || find === ''
      ? undefined
      : typeof find === 'string'
        ? (path: string) => path.includes(find)
        : (path: string) => {
            find.lastIndex = 0;
            return find.test(path);
          };
  return (node) => (!diffTypes || diffTypes.has(node.diff)) && (!findFn || findFn(node.path));
}

/** Nodes that match, plus every directory with a match below it. Undefined: no filter. */
function includedNodes(root: DiffNode, options: RowOptions): Included {
  const matches = matcher(options);
  if (!matches) return undefined;
  const included = new WeakSet<DiffNode>();
  const visit = (node: DiffNode): boolean => {
    let keep = node !== root && matches(node);
    for (const child of node.children ?? []) if (visit(child)) keep = true;
    if (keep) included.add(node);
    return keep;
  };
  visit(root);
  return included;
}

const bySize = new WeakMap<DiffNode, DiffNode[]>();

function childrenInOrder(node: DiffNode, sortBy: RowSort): DiffNode[] {
  const children = node.children ?? [];
  if (sortBy === 'name') return children;
  let sorted = bySize.get(node);
  if (!sorted) {
    sorted = [...children].sort((a, b) => b.totalSize - a.totalSize || (a.name < b.name ? -1 : 1));
    bySize.set(node, sorted);
  }
  return sorted;
}

function appendRows(
  node: DiffNode,
  rows: DiffNode[],
  collapsed: ReadonlySet<string>,
  included: Included,
  sortBy: RowSort,
): void {
  for (const child of childrenInOrder(node, sortBy)) {
    if (included && !included.has(child)) continue;
    rows.push(child);
    if (child.children && child.children.length > 0 && !collapsed.has(child.path)) {
      appendRows(child, rows, collapsed, included, sortBy);
    }
  }
}

/** All visible rows of a diff tree, top to bottom. */
export function visibleRows(root: DiffNode, options: RowOptions = {}): DiffNode[] {
  const rows: DiffNode[] = [];
  appendRows(root, rows, options.collapsed ?? new Set(), includedNodes(root, options), options.sortBy ?? 'name');
  return rows;
}

/** Rows that stay current as directories are collapsed and expanded. */
export class TreeRowList {
  private included: Included;
  private readonly collapsed: Set<string>;
  rows: DiffNode[];

  constructor(
    readonly root: DiffNode,
    private options: RowOptions = {},
  ) {
    this.collapsed = new Set(options.collapsed ?? []);
    this.included = includedNodes(root, options);
    this.rows = this.build();
  }

  isCollapsed(node: DiffNode): boolean {
    return this.collapsed.has(node.path);
  }

  /** Collapses or expands the directory on row `index`; other rows keep their state. */
  toggle(index: number): void {
    const node = this.rows[index];
    if (!node?.children || node.children.length === 0) return;
    if (this.collapsed.delete(node.path)) {
      const inserted: DiffNode[] = [];
      appendRows(node, inserted, this.collapsed, this.included, this.options.sortBy ?? 'name');
      this.rows = this.rows.slice(0, index + 1).concat(inserted, this.rows.slice(index + 1));
    } else {
      this.collapsed.add(node.path);
      let end = index + 1;
      while (end < this.rows.length && this.rows[end]!.depth > node.depth) end++;
      this.rows = this.rows.slice(0, index + 1).concat(this.rows.slice(end));
    }
  }

  /** Collapses or expands every directory. */
  setAllCollapsed(collapsed: boolean): void {
    this.collapsed.clear();
    if (collapsed) {
      const visit = (node: DiffNode): void => {
        for (const child of node.children ?? []) {
          if (child.children && child.children.length > 0) {
            this.collapsed.add(child.path);
            visit(child);
          }
        }
      };
      visit(this.root);
    }
    this.rows = this.build();
  }

  /** New filter, find or sort; collapsed directories stay collapsed. */
  setOptions(options: Omit<RowOptions, 'collapsed'>): void {
    this.options = { ...options };
    this.included = includedNodes(this.root, this.options);
    this.rows = this.build();
  }

  /** The row index of a path, or -1 when it is hidden (collapsed or filtered). */
  indexOf(path: string): number {
    return this.rows.findIndex((row) => row.path === path);
  }

  private build(): DiffNode[] {
    const rows: DiffNode[] = [];
    appendRows(this.root, rows, this.collapsed, this.included, this.options.sortBy ?? 'name');
    return rows;
  }
}
