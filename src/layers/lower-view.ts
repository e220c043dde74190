/**
 * What the lower layers of an overlay show at a path, resolved the way
 * overlayfs resolves it: the topmost layer that has the name wins, a whiteout
 * (0/0 char device) hides it, and a directory merges with the same directory
 * in the layers below until one of them is opaque or is not a directory.
 *
 * Only the paths asked about are looked at, so the cost follows the change
 * and not the size of the lower filesystems.
 */
import { lstatSync, type Stats } from 'node:fs';
import { join } from 'node:path';

export interface LowerHit {
  /** Index into the lower dirs, 0 = topmost. */
  layer: number;
  absPath: string;
  stats: Stats;
}

export function isWhiteout(stats: Stats): boolean {
  return stats.isCharacterDevice() && stats.rdev === 0;
}

function lstatOrUndefined(path: string): Stats | undefined {
  try {
    return lstatSync(path);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ENOTDIR') return undefined;
    throw err;
  }
}

export class LowerView {
  /**
   * For a directory path: the hits that make up the merged directory, topmost
   * first, before opaque markers cut the list short ("" = the root).
   */
  private readonly dirChains = new Map<string, LowerHit[]>();
  private readonly lookups = new Map<string, LowerHit | undefined>();
  private isOpaque: ((absPath: string) => boolean) | undefined;

  /**
   * `isOpaque`, when given, answers for a lower directory right away (a
   * native xattr read), and every lookup is exact from the start. Without it,
   * the caller reads the markers in one batch (see mergedDirPaths).
   */
  constructor(
    readonly lowerDirs: readonly string[],
    options: { isOpaque?: (absPath: string) => boolean } = {},
  ) {
    this.isOpaque = options.isOpaque;
  }

  /**
   * The absolute paths whose opaque marker matters for what has been looked up
   * so far: every lower directory taking part in a merge. Read their xattrs and
   * hand the opaque ones to `setOpaqueDirs` before trusting `lookup`.
   */
  mergedDirPaths(): string[] {
    const paths: string[] = [];
    for (const chain of this.dirChains.values()) for (const hit of chain) paths.push(hit.absPath);
    return paths;
  }

  /** Absolute paths of lower directories that carry the opaque marker. */
  setOpaqueDirs(opaque: ReadonlySet<string>): void {
    this.isOpaque = (absPath) => opaque.has(absPath);
  }

  /**
   * The lower entry at `path`, or undefined when the lowers show nothing there.
   * Before `setOpaqueDirs` it may return an entry an opaque dir hides; the
   * answer after it is exact.
   */
  lookup(path: string): LowerHit | undefined {
    if (this.isOpaque) return this.resolveWithOpaque(path);
    return this.firstHit(path);
  }

  private firstHit(path: string): LowerHit | undefined {
    if (this.lookups.has(path)) return this.lookups.get(path);
    const slash = path.lastIndexOf('/');
    const parent = slash < 0 ? '' : path.slice(0, slash);
    const name = slash < 0 ? path : path.slice(slash + 1);
    let hit: LowerHit | undefined;
    for (const parentHit of this.dirChain(parent)) {
      const absPath = join(parentHit.absPath, name);
      const stats = lstatOrUndefined(absPath);
      if (!stats) continue;
      hit = isWhiteout(stats) ? undefined : { layer: parentHit.layer, absPath, stats };
      break;
    }
    this.lookups.set(path, hit);
    return hit;
  }

  /** The layers whose directory at `path` merge into one, topmost first (opaque markers not applied). */
  private dirChain(path: string): LowerHit[] {
    const cached = this.dirChains.get(path);
    if (cached) return cached;
    let chain: LowerHit[];
    if (path === '') {
      chain = [];
      this.lowerDirs.forEach((dir, layer) => {
        const stats = lstatOrUndefined(dir);
        if (stats?.isDirectory()) chain.push({ layer, absPath: dir, stats });
      });
    } else {
      const first = this.firstHit(path);
      chain = [];
      if (first && first.stats.isDirectory()) {
        chain.push(first);
        const slash = path.lastIndexOf('/');
        const parent = slash < 0 ? '' : path.slice(0, slash);
        const name = slash < 0 ? path : path.slice(slash + 1);
        // Layers below the first hit join the merge while they hold a
        // directory there; a whiteout or any other type ends it.
        for (const parentHit of this.dirChain(parent)) {
          if (parentHit.layer <= first.layer) continue;
          const absPath = join(parentHit.absPath, name);
          const stats = lstatOrUndefined(absPath);
          if (!stats) continue;
          if (!stats.isDirectory()) break;
          chain.push({ layer: parentHit.layer, absPath, stats });
        }
      }
    }
    this.dirChains.set(path, chain);
    return chain;
  }

  /** The chain of a directory with opaque markers applied: it ends at the first opaque member. */
  private opaqueCutChain(path: string): LowerHit[] {
    const chain = this.dirChain(path);
    const cut: LowerHit[] = [];
    for (const hit of chain) {
      cut.push(hit);
      if (path !== '' && this.isOpaque!(hit.absPath)) break;
    }
    return cut;
  }

  private resolveWithOpaque(path: string): LowerHit | undefined {
    // Every ancestor's chain must be cut at its opaque member; the first hit
    // of `path` must come from a layer that is still part of its parent's
    // (cut) merge, and each ancestor must itself still be visible.
    const parts = path.split('/');
    let parentPath = '';
    for (let depth = 0; depth < parts.length; depth++) {
      const current = depth === 0 ? parts[0]! : `${parentPath}/${parts[depth]}`;
      const hit = this.firstHit(current);
      if (!hit) return undefined;
      const parentLayers = this.opaqueCutChain(parentPath);
      if (!parentLayers.some((p) => p.layer === hit.layer)) return undefined;
      if (depth === parts.length - 1) return hit;
      parentPath = current;
    }
    return undefined;
  }
}
