/**
 * The file-step worker: a node process that the engine starts in a private
 * user + mount namespace (`unshare --user --map-root-user [--map-auto]
 * --mount`, see file-step-namespace.ts) to do COPY, ADD and WORKDIR's mkdir
 * when layerlab is not root, and to read rootless upper dirs (a file that a
 * step chmods 600 and chowns to uid 1000 is readable only by the namespace's
 * root) into change lists and layer blobs. There it is root over the mapped ids, so it can
 * mount overlays (with `userxattr`, as the rootless sandbox does) and chown to
 * any mapped id: the ids it writes are container ids, which the kernel stores
 * as the shifted host ids of the subordinate range.
 *
 * Its mounts exist only in its namespace: nothing shows on the host, and when
 * the worker dies, however it dies, they die with it.
 *
 * Protocol: one FileStepRequest a line on stdin, one FileStepReply a line on
 * stdout, in order. The worker exits when stdin ends.
 */
import { createInterface } from 'node:readline';
import { userInfo } from 'node:os';
import { DockerignoreMatcher } from '../dockerfile/dockerignore.js';
import { commitLayer } from '../layers/layer-tar-writer.js';
import { changesFromUpperDir } from '../layers/upper-dir-changes.js';
import { CopyIoError } from './copy/errors.js';
import { checksumSources, copyFiles } from './copy/index.js';
import type { CopySource } from './copy/types.js';
import { UnmappedOwnerError } from './file-step-errors.js';
import { makeWorkdir } from './file-step-workdir.js';
import { mountReadOnly, mountWritable, type HostMount } from './host-mounts.js';
import { changesFromWire, changesToWire, errorToWire, type FileStepCall, type FileStepReply, type FileStepRequest, type WireCopySource } from './file-step-protocol.js';

/** Overlay xattrs must be `user.overlay.*` in a user namespace; as real root the host's default. */
const userxattr = process.env.LAYERLAB_FILE_STEP_USERXATTR === '1';
/** The user the namespace maps root to, for error messages. */
const hostUser = process.env.LAYERLAB_FILE_STEP_HOST_USER ?? userInfo().username;

const mounts = new Map<string, HostMount>();

function sourceOf(wire: WireCopySource): CopySource {
  return {
    kind: wire.kind,
    root: wire.root,
    ...(wire.exclude ? { exclude: new DockerignoreMatcher(
          wire.exclude.entries.map((e) => (e.line === undefined ? e.pattern : { pattern: e.pattern, line: e.line })),
          wire.exclude.file,
        ) } : {}),
  };
}

/**
 * chown to an id outside the namespace's map fails with EINVAL: say which
 * id and why instead of "Invalid argument".
 */
function explainUnmapped(err: unknown, what: string, owner: { uid: number; gid: number } | undefined): unknown {
  const code = (err as { code?: string }).code;
  const isChown =
    code === 'EINVAL' &&
    (((err as { syscall?: string }).syscall ?? '').endsWith('chown') ||
      (err instanceof CopyIoError && /^l?chown /.test(err.detail)));
  if (!isChown) return err;
  if (owner && owner.uid !== 0) return new UnmappedOwnerError(what, 'uid', owner.uid, hostUser);
  if (owner && owner.gid !== 0) return new UnmappedOwnerError(what, 'gid', owner.gid, hostUser);
  return new UnmappedOwnerError(what, 'uid', undefined, hostUser);
}

async function perform(call: FileStepCall): Promise<unknown> {
  switch (call.op) {
    case 'mount-writable': {
      const mount = await mountWritable(call.tmpDir, call.lowerDirs, call.upperDir, call.workDir, { userxattr });
      mounts.set(mount.path, mount);
      return mount.path;
    }
    case 'mount-read-only': {
      const mount = await mountReadOnly(call.tmpDir, call.lowerDirs, { userxattr });
      mounts.set(mount.path, mount);
      return mount.path;
    }
    case 'release': {
      const mount = mounts.get(call.mount);
      mounts.delete(call.mount);
      await mount?.release();
      return null;
    }
    case 'checksum-sources':
      return checksumSources(sourceOf(call.source), call.sources, call.selection);
    case 'copy-files': {
      const { request } = call;
      const command = request.isAdd ? 'ADD' : 'COPY';
      try {
        const result = await copyFiles({ ...request, source: sourceOf(request.source) });
        return result.copied.length;
      } catch (err) {
        throw explainUnmapped(err, request.chown ? `${command} --chown=${request.chown.uid}:${request.chown.gid}` : command, request.chown);
      }
    }
    case 'make-directories':
      try {
        makeWorkdir(call.root, call.path, call.owner);
      } catch (err) {
        throw explainUnmapped(err, `WORKDIR ${call.path}`, call.owner);
      }
      return null;
    case 'detect-changes':
      return changesToWire(await changesFromUpperDir(call.upperDir, { lowerDirs: call.lowerDirs, ignore: call.ignore }));
    case 'commit-layer':
      return commitLayer(changesFromWire(call.changes), call.upperDir, call.blobPath);
  }
}

async function serve(): Promise<void> {
  const lines = createInterface({ input: process.stdin, crlfDelay: Infinity });
  for await (const line of lines) {
    if (line.trim() === '') continue;
    const request = JSON.parse(line) as FileStepRequest;
    let reply: FileStepReply;
    try {
      reply = { id: request.id, ok: true, value: await perform(request.call) };
    } catch (err) {
      reply = { id: request.id, ok: false, error: errorToWire(err) };
    }
    process.stdout.write(`${JSON.stringify(reply)}\n`);
  }
  // stdin ended: the engine is done (or gone). Mounts go with the namespace,
  // but unmount what is left so that the upper dir is settled first.
  for (const mount of mounts.values()) await mount.release().catch(() => undefined);
}

serve().catch((err: unknown) => {
  process.stderr.write(`file-step worker: ${(err as Error)?.stack ?? String(err)}\n`);
  process.exitCode = 70;
});
