/** Errors of the sandbox. The CLI renders them by shape (see src/cli/errors.ts). */

/** A USER spec names a user or group the image does not have. */
export class UnknownUserError extends Error {
  readonly isUserError = true;
  readonly exitCode = 2;
  override name = 'UnknownUserError';
  constructor(readonly userSpec: string, detail: string) {
    super(`unable to find user ${JSON.stringify(userSpec)}: ${detail}`);
  }
}

/**
 * Rootless with a single-id mapping: the container has only uid/gid 0, so a
 * step that runs as, or needs, another id cannot run.
 */
export class UnmappedIdError extends Error {
  readonly isUserError = true;
  readonly exitCode = 2;
  override name = 'UnmappedIdError';
  constructor(readonly kind: 'uid' | 'gid', readonly id: number, hostUser: string) {
    super(
      `cannot run as ${kind} ${id}: without subordinate ids only ${kind} 0 exists in the container. ` +
        `Add ranges for ${hostUser} to /etc/subuid and /etc/subgid (e.g. "${hostUser}:100000:65536") ` +
        `and install newuidmap/newgidmap (Debian: uidmap).`,
    );
  }
}

/** The RunSpec itself is unusable (relative cwd, a path overlayfs cannot take…). */
export class InvalidRunSpecError extends Error {
  override name = 'InvalidRunSpecError';
}

/**
 * Preparing the container (namespaces, mounts, chroot) failed before the
 * process started. `log` is what the setup steps printed.
 */
export class SandboxSetupError extends Error {
  override name = 'SandboxSetupError';
  constructor(
    readonly command: string,
    readonly args: string[],
    readonly log: string,
  ) {
    super(`sandbox setup failed${log.trim() ? `: ${log.trim()}` : ''}`);
  }
}
