/**
 * Errors of file steps (COPY, ADD, WORKDIR), mostly of rootless ones, which
 * run in a user namespace.
 */
import { StepFailedError } from './step-context.js';

/**
 * A rootless build without /etc/subuid and /etc/subgid ranges maps only
 * container id 0 (to the user), so a file cannot be owned by any other id.
 */
export class UnmappedOwnerError extends Error {
  readonly isUserError = true;
  readonly exitCode = 2;
  override name = 'UnmappedOwnerError';
  constructor(
    /** What needed the owner: "COPY --chown=1000", "WORKDIR /app (USER app)"… */
    readonly what: string,
    readonly kind: 'uid' | 'gid',
    /** Undefined when the owner came from the files (an archive, another stage). */
    readonly id: number | undefined,
    hostUser: string,
  ) {
    const owner = id === undefined ? `an owner other than ${kind} 0` : `${kind} ${id}`;
    super(
      `${what}: ${owner} does not exist in this rootless build: without subordinate ids only ${kind} 0 is mapped ` +
        `(to ${hostUser}). Add ranges for ${hostUser} to /etc/subuid and /etc/subgid (e.g. "${hostUser}:100000:65536") ` +
        `and install newuidmap/newgidmap (Debian: uidmap).`,
    );
  }
}

/** The worker could not be started or died without answering. */
export class FileStepWorkerError extends Error {
  override name = 'FileStepWorkerError';
  constructor(
    message: string,
    readonly command: string,
    readonly args: string[],
  ) {
    super(message);
  }
}

/**
 * The step was cancelled (Ctrl-C, the UI's stop) while its files were being
 * written: a failed step, like a RUN that was killed.
 */
export class FileStepCancelledError extends StepFailedError {
  override name = 'FileStepCancelledError';
  constructor() {
    super('the step was cancelled');
  }
}
