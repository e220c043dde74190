/**
 * Which build-context paths a COPY/ADD takes, for the TUI's context view
 * ("which step took which file"). Same rules as the copy; URLs and heredocs
 * take nothing from the context. Paths are relative to the context root, in
 * copy order, each once; a source that is a symlink is reported as its target.
 */
import { joinRel } from './context-filter.js';
import { asCopyError } from './errors.js';
import { commandOf, planSources } from './source-plan.js';
import { walkTree, type TreeVisitor, type WalkEntry } from './tree-walk.js';
import type { CopySource, SourceSelection } from './types.js';

export async function resolveContextSources(
  source: CopySource,
  sources: string[],
  selection: SourceSelection = {},
): Promise<string[]> {
  try {
    return await takenPaths(source, sources, selection);
  } catch (err) {
    throw asCopyError(err, commandOf(selection), [source.root]);
  }
}

async function takenPaths(source: CopySource, sources: string[], selection: SourceSelection): Promise<string[]> {
  const taken = new Set<string>();
  for (const planned of planSources(source, sources, selection)) {
    if (planned.kind !== 'path') continue;
    for (const { match, filters } of planned.matches) {
      const add = (entry: WalkEntry): void => {
        const path = joinRel(match.rootRel, entry.rel);
        if (path !== '') taken.add(path);
      };
      const visitor: TreeVisitor = { enterDir: add, leaveDir: () => {}, leaf: add };
      await walkTree({ hostPath: match.hostPath, rel: '', stat: match.stat }, filters, visitor);
    }
  }
  return [...taken];
}
