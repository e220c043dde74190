/**
 * Start-up cleanup after a layerlab that died hard (kill -9, power loss).
 * Processes and mounts of a sandbox die with it (pid namespace, private
 * mount namespace), so what can remain is:
 * - run dirs under `<stateDir>/runs/` whose owner process is gone;
 * - mountpoints such a run created in a plain-dir rootfs or an upper dir
 *   (recorded in its `created-mountpoints` before they were made);
 * - mounts under the state dir in this mount namespace. The sandbox makes
 *   none outside its own namespace; this is a safety net.
 */
import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { isLiveProcess, readRunOwner, removeCreatedMountpoints, removeRunDir, runsDir } from './run-dir.js';

export interface SweepReport {
  removedRunDirs: string[];
  removedMountpoints: string[];
  unmounted: string[];
}

export function sweepLeftovers(stateDir: string): SweepReport {
  const report: SweepReport = { removedRunDirs: [], removedMountpoints: [], unmounted: [] };
  for (const mountpoint of mountsUnder(stateDir).reverse()) {
    try {
      execFileSync('umount', ['--lazy', mountpoint], { stdio: 'ignore' });
      report.unmounted.push(mountpoint);
    } catch {
      // not ours to unmount (another user's namespace) or already gone
    }
  }
  let ids: string[];
  try {
    ids = readdirSync(runsDir(stateDir));
  } catch {
    return report;
  }
  for (const id of ids) {
    const runDir = join(runsDir(stateDir), id);
    const owner = readRunOwner(runDir);
    if (owner && isLiveProcess(owner.pid, owner.startTime)) continue; // still running
    if (owner) {
      report.removedMountpoints.push(...removeCreatedMountpoints(runDir, owner.writableDir).map((p) => join(owner.writableDir, p)));
    }
    if (removeRunDir(runDir)) report.removedRunDirs.push(runDir);
  }
  return report;
}

/** Mount points at or below `dir` in this mount namespace, in mount order. */
function mountsUnder(dir: string): string[] {
  const prefix = dir.endsWith('/') ? dir : `${dir}/`;
  return readFileSync('/proc/self/mountinfo', 'utf8')
    .split('\n')
    .map((line) => line.split(' ')[4])
    .filter((p): p is string => p !== undefined)
    .map((p) => p.replace(/\\([0-7]{3})/g, (_, o: string) => String.fromCharCode(Number.parseInt(o, 8))))
    .filter((p) => p === dir || p.startsWith(prefix));
}
