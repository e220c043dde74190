/**
 * Unpacking a layer into a rootless store with subordinate ids: the work is
 * done by layer-unpack-worker.ts inside the same user namespace the build's
 * steps run in, so the unpacked files get the shifted owners a RUN step
 * would give them (see user-namespace.ts). `--pdeathsig KILL` ends the worker
 * when layerlab dies; what it leaves in the store's tmp/ is never trusted and
 * goes at the next prune.
 */
import { execFile } from 'node:child_process';
import type { ApplyLayerResult } from './layer-apply.js';
import { builtWorkerScript, userNamespaceArgs } from './user-namespace.js';

export interface UnpackRequest {
  blobPath: string;
  /** Where to extract (a fresh path in the store's tmp/). */
  into: string;
  /** Where the dir goes once both digests match. */
  target: string;
  mediaType: string;
  description: string;
  expectedBlobDigest: string;
  expectedDiffId: string;
}

export type UnpackReply =
  | { ok: true; result: ApplyLayerResult; renamed: boolean }
  | { ok: false; error: { name: string; message: string; isUserError: boolean } };

/** The worker could not run, or failed for a reason of ours. */
export class UnpackWorkerError extends Error {
  constructor(
    message: string,
    readonly command: string,
    readonly args: string[],
  ) {
    super(message);
    this.name = 'UnpackWorkerError';
  }
}

/** The layer itself cannot be unpacked here (a bad entry, an owner outside the user's ranges). */
export class LayerUnpackRefusedError extends Error {
  readonly isUserError = true;
  readonly exitCode = 2;
  constructor(
    message: string,
    readonly workerErrorName: string,
  ) {
    super(message);
    this.name = 'LayerUnpackRefusedError';
  }
}

/**
 * The compiled worker: next to this module in dist/, or the build's copy
 * when the store runs from src/ (vitest).
 */
function workerScriptPath(): string {
  const { path, tried } = builtWorkerScript(import.meta.url, 'image', 'layer-unpack-worker.js');
  if (path) return path;
  throw new UnpackWorkerError(`the layer unpack worker is not built (looked for ${tried[0]} and ${tried[1]}); run npm run build`, process.execPath, [tried[0]]);
}

/** Extracts, verifies and (when both digests match) renames into place, in the user namespace. */
export function unpackInUserNamespace(request: UnpackRequest): Promise<{ result: ApplyLayerResult; renamed: boolean }> {
  const command = 'setpriv';
  const args = [
    '--pdeathsig', 'KILL',
    'unshare', ...userNamespaceArgs('subordinate'),
    '--', process.execPath, workerScriptPath(), JSON.stringify(request),
  ];
  return new Promise((resolve, reject) => {
    execFile(command, args, { maxBuffer: 64 * 1024 * 1024 }, (err, stdout, stderr) => {
      const line = stdout.trim().split('\n').at(-1) ?? '';
      let reply: UnpackReply | undefined;
      try {
        reply = JSON.parse(line) as UnpackReply;
      } catch {
        reply = undefined;
      }
      if (!reply) {
        const detail = stderr.trim() || err?.message || 'no reply';
        reject(new UnpackWorkerError(`could not unpack ${request.description} in a user namespace: ${detail}`, command, args));
      } else if (!reply.ok) {
        const { name, message, isUserError } = reply.error;
        reject(isUserError ? new LayerUnpackRefusedError(message, name) : new UnpackWorkerError(`${message} (in the layer unpack worker)`, command, args));
      } else {
        resolve({ result: reply.result, renamed: reply.renamed });
      }
    });
  });
}
