/** Real overlay mounts for the layer tests (root only). */
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export const isRoot = process.getuid?.() === 0;

export interface OverlayFixture {
  root: string;
  /** Topmost first, as overlay's lowerdir= takes them. */
  lowerDirs: string[];
  upperDir: string;
  merged: string;
  /** Runs a shell script inside the merged dir. */
  sh(script: string): void;
  unmount(): void;
  cleanup(): void;
}

/**
 * Builds lower dirs with `prepareLowers` (bottom first, each a shell script run
 * in that dir), then mounts the overlay with a fresh upper dir.
 */
export function makeOverlay(prepareLowersBottomFirst: string[], extraMountOptions = ''): OverlayFixture {
  const root = mkdtempSync(join(tmpdir(), 'layerlab-ovl-'));
  const bottomFirst = prepareLowersBottomFirst.map((script, i) => {
    const dir = join(root, `lower${i}`);
    mkdirSync(dir);
    execFileSync('sh', ['-euc', script], { cwd: dir });
    return dir;
  });
  const lowerDirs = [...bottomFirst].reverse();
  const upperDir = join(root, 'upper');
  const workDir = join(root, 'work');
  const merged = join(root, 'merged');
  for (const dir of [upperDir, workDir, merged]) mkdirSync(dir);
  execFileSync('mount', [
    '-t',
    'overlay',
    'overlay',
    '-o',
    `lowerdir=${lowerDirs.join(':')},upperdir=${upperDir},workdir=${workDir},volatile${extraMountOptions}`,
    merged,
  ]);
  let mounted = true;
  const fixture: OverlayFixture = {
    root,
    lowerDirs,
    upperDir,
    merged,
    sh(script) {
      execFileSync('sh', ['-euc', script], { cwd: merged });
    },
    unmount() {
      if (mounted) execFileSync('umount', [merged]);
      mounted = false;
    },
    cleanup() {
      fixture.unmount();
      rmSync(root, { recursive: true, force: true });
    },
  };
  return fixture;
}
