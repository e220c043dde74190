/**
 * Errors of src/layers. Their shapes follow what src/cli/errors.ts renders:
 * `command` + `args` for a failed external program, `isUserError` for input
 * the user can fix.
 */

/** An external program (getfattr) could not run or failed. */
export class LayerCommandError extends Error {
  constructor(
    message: string,
    readonly command: string,
    readonly args: string[],
    readonly stderr = '',
  ) {
    super(message);
    this.name = 'LayerCommandError';
  }
}

/** A file changed size while its layer was being written; the tar would lie. */
export class FileChangedDuringCommitError extends Error {
  constructor(
    readonly path: string,
    readonly expectedSize: number,
    readonly actualSize: number,
  ) {
    super(`${path}: changed while the layer was written (expected ${expectedSize} bytes, read ${actualSize})`);
    this.name = 'FileChangedDuringCommitError';
  }
}

/** A layer tar the user handed us is not a valid tar (or gzip of one). */
export class LayerTarFormatError extends Error {
  readonly isUserError = true;
  readonly exitCode = 2;
  constructor(
    readonly source: string,
    readonly detail: string,
  ) {
    super(`${source}: not a readable layer tar: ${detail}`);
    this.name = 'LayerTarFormatError';
  }
}

/** An entry cannot be represented in a layer tar (bad path, unknown type). */
export class UnrepresentableEntryError extends Error {
  constructor(
    readonly path: string,
    readonly detail: string,
  ) {
    super(`${path}: cannot be written to a layer tar: ${detail}`);
    this.name = 'UnrepresentableEntryError';
  }
}
