/**
 * The sandbox: run a process in Linux namespaces over an overlay rootfs,
 * piped or on a pty. Knows nothing of Dockerfiles.
 *
 *   const proc = await run({ rootfs: { lowerDirs, upperDir, workDir }, argv, env, cwd,
 *                             user: resolveUser('app', { passwd, group }), network: 'default' });
 *   proc.stdout.on('data', …);
 *   const { exitCode, signal } = await proc.wait();
 *
 * At start-up call `sweepLeftovers(stateDir)` once. Rootless callers use
 * `getIdMapping()` to translate ids between the upper dir and layer tars.
 */
export { run, runPty, type SandboxProcess, type PtySandboxProcess, type SandboxRunResult } from './sandbox-process.js';
export type {
  RunSpec,
  RootfsSpec,
  OverlayRootfs,
  DirRootfs,
  MountSpec,
  OverlayMount,
  NetworkMode,
  UserIds,
  HostEntry,
  RunResult,
  PtyOptions,
} from './run-spec.js';
export { resolveUser, type UserDatabase, type ResolvedUser } from './resolve-user.js';
export { getIdMapping, toHostId, toContainerId, type IdMapping, type IdRange } from './id-mapping.js';
export { sweepLeftovers, type SweepReport } from './sweep.js';
export { defaultStateDir } from './run-dir.js';
export { removeWorkDir } from './prepare-run.js';
export { UnknownUserError, UnmappedIdError, InvalidRunSpecError, SandboxSetupError } from './errors.js';
