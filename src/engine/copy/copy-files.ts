/**
 * COPY and ADD: put the sources into the destination rootfs the way
 * BuildKit's dispatchCopy and file backend do (the rules are listed in
 * index.ts).
 */
import { chmodSync, lstatSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, posix } from 'node:path';
import { detectTarArchive, extractTarArchive, prepareExtractRoot } from './archive.js';
import { parseChmod, type ChmodSpec } from './chmod-spec.js';
import { joinRel } from './context-filter.js';
import { asCopyError, CopyOptionError, type CopyCommandName } from './errors.js';
import { makeDirectories } from './make-dirs.js';
import { download } from './remote-source.js';
import { resolveInRoot } from './root-path.js';
import { commandOf, planSources } from './source-plan.js';
import type { SourceMatch } from './source-matches.js';
import { walkTree, type WalkFilters } from './tree-walk.js';
import { ownerFor, TreeWriter } from './tree-writer.js';
import type { CopiedEntry, CopyRequest, CopyResult } from './types.js';

export interface Destination {
  /** Absolute, cleaned path in the image. */
  path: string;
  /** The destination names a directory: it ends in `/` (or is `.`, or ends in `/.`). */
  isDir: boolean;
}

/** BuildKit's pathRelativeToWorkingDir: relative dests join the workdir; a trailing slash is kept as meaning. */
export function destinationOf(dest: string, workdir: string): Destination {
  const isDir = dest === '' || dest === '.' || dest.endsWith('/') || dest.endsWith('/.');
  const path = posix.resolve(workdir || '/', dest === '' ? '.' : dest);
  return { path, isDir };
}

interface CopyRun {
  req: CopyRequest;
  command: CopyCommandName;
  destination: Destination;
  chmod: ChmodSpec | undefined;
  copied: CopiedEntry[];
}

export async function copyFiles(req: CopyRequest): Promise<CopyResult> {
  try {
    return await copyFilesUnchecked(req);
  } catch (err) {
    throw asCopyError(err, commandOf(req), [req.destRoot, req.source.root]);
  }
}

async function copyFilesUnchecked(req: CopyRequest): Promise<CopyResult> {
  const command = commandOf(req);
  const chmod = req.chmod !== undefined && req.chmod !== '' ? parseChmod(req.chmod, command) : undefined;
  const destination = destinationOf(req.dest, req.workdir);
  const inline = req.inlineSources ?? [];
  if (req.sources.length + inline.length > 1 && !destination.isDir) {
    throw new CopyOptionError(
      command,
      `When using ${command} with more than one source file, the destination must be a directory and end with a /`,
    );
  }
  const plan = planSources(req.source, req.sources, req);
  const run: CopyRun = { req, command, destination, chmod, copied: [] };
  const keepOwners = req.source.kind === 'rootfs';
  const unpackLocal = req.isAdd === true && req.addOptions?.unpack !== false;

  for (const planned of plan) {
    if (planned.kind === 'url') {
      const fetched = await download(planned.url, planned.written, command, {
        ...(req.addOptions?.fetch ? { fetch: req.addOptions.fetch } : {}),
        ...(req.addOptions?.checksum !== undefined ? { checksum: req.addOptions.checksum } : {}),
      });
      try {
        const match = standaloneFile(planned.written, fetched.name, fetched.hostPath);
        // Remote archives stay archives unless --unpack=true.
        if (!(req.addOptions?.unpack === true && (await unpackIfArchive(run, match, planned.written)))) {
          await copyMatch(run, match, {}, () => planned.written, false);
        }
      } finally {
        rmSync(fetched.dir, { recursive: true, force: true });
      }
      continue;
    }
    for (const { match, filters } of planned.matches) {
      if (unpackLocal && match.stat.isFile() && (await unpackIfArchive(run, match, labelOf(req, match, '')))) continue;
      await copyMatch(run, match, filters, (rel) => labelOf(req, match, rel), keepOwners);
    }
  }

  if (inline.length > 0) {
    const dir = mkdtempSync(join(tmpdir(), 'layerlab-heredoc-'));
    try {
      for (const file of inline) {
        const name = posix.basename(file.path);
        const hostPath = join(dir, name);
        writeFileSync(hostPath, file.data);
        chmodSync(hostPath, 0o644);
        await copyMatch(run, standaloneFile(`<<${file.path}`, name, hostPath), {}, () => `<<${file.path}`, false);
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }
  return { copied: run.copied };
}

/** How results name a source entry: context-relative, or absolute in a stage. */
function labelOf(req: CopyRequest, match: SourceMatch, rel: string): string {
  const path = joinRel(match.rootRel, rel);
  return req.source.kind === 'context' ? path || '.' : '/' + path;
}

function standaloneFile(written: string, name: string, hostPath: string): SourceMatch {
  return { written, name, hostPath, rootRel: name, stat: lstatSync(hostPath, { bigint: true }) };
}

async function unpackIfArchive(run: CopyRun, match: SourceMatch, label: string): Promise<boolean> {
  const compression = await detectTarArchive(match.hostPath);
  if (compression === undefined) return false;
  const { req, command } = run;
  const ownership = { ...(req.chown ? { chown: req.chown } : {}), ...(req.idMap ? { idMap: req.idMap } : {}) };
  const extractRoot = prepareExtractRoot(req.destRoot, run.destination.path, ownership, command, match.written);
  await extractTarArchive(match.hostPath, compression, {
    ...ownership,
    command,
    written: match.written,
    destRoot: req.destRoot,
    extractRoot,
    fromLabel: label,
    copied: run.copied,
  });
  return true;
}

/**
 * fsutil copy.Copy for one match: make the destination's parents, pick the
 * target (a file into an existing directory keeps its name; a directory's
 * contents go to the destination itself), then walk and write.
 */
async function copyMatch(
  run: CopyRun,
  match: SourceMatch,
  filters: WalkFilters,
  fromLabel: (rel: string) => string,
  keepOwners: boolean,
): Promise<void> {
  const { req, command, destination } = run;
  const owner = ownerFor(req);
  const ensure = destination.isDir ? destination.path : posix.dirname(destination.path);
  makeDirectories(req.destRoot, resolveInRoot(req.destRoot, ensure), owner, command, match.written);

  const destHost = resolveInRoot(req.destRoot, destination.path);
  const existing = lstatSync(destHost, { throwIfNoEntry: false });
  const sourceIsDir = match.stat.isDirectory();
  const target = !sourceIsDir && existing?.isDirectory() ? join(destHost, match.name) : destHost;
  makeDirectories(req.destRoot, sourceIsDir && !existing ? target : dirname(target), owner, command, match.written);

  const writer = new TreeWriter({
    command,
    written: match.written,
    destRoot: req.destRoot,
    topTarget: target,
    keepOwners,
    fromLabel,
    copied: run.copied,
    ...(run.chmod ? { chmod: run.chmod } : {}),
    ...(req.chown ? { chown: req.chown } : {}),
    ...(req.idMap ? { idMap: req.idMap } : {}),
  });
  await walkTree({ hostPath: match.hostPath, rel: '', stat: match.stat }, req.signal ? { ...filters, signal: req.signal } : filters, writer);
}
