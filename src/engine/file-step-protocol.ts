/**
 * The messages between the engine and the file-step worker (one JSON object
 * a line each way, see file-step-worker.ts), and how errors cross that line:
 * a COPY error raised in the worker arrives as the same class, so the session
 * renders it as it would render one raised in-process.
 */
import {
  ArchiveError,
  CopyError,
  CopyIoError,
  CopyOptionError,
  DestinationError,
  RemoteSourceError,
  SourceNotFoundError,
  SourceOutsideContextError,
  UnsupportedSourceError,
  type CopyCommandName,
} from './copy/errors.js';
import type { AddOptions, CopyRequest, CopySource, SourceSelection } from './copy/types.js';
import type { ChangeEntry } from '../layers/types.js';
import { WorkdirError } from './file-step-workdir.js';

/** A ChangeEntry as data: xattr values in base64. */
export type WireChangeEntry = Omit<ChangeEntry, 'xattrs'> & { xattrs?: Record<string, string> };

export function changesToWire(changes: readonly ChangeEntry[]): WireChangeEntry[] {
  return changes.map(({ xattrs, ...rest }) =>
    xattrs ? { ...rest, xattrs: Object.fromEntries(Object.entries(xattrs).map(([k, v]) => [k, v.toString('base64')])) } : rest,
  );
}

export function changesFromWire(changes: readonly WireChangeEntry[]): ChangeEntry[] {
  return changes.map(({ xattrs, ...rest }) =>
    xattrs ? { ...rest, xattrs: Object.fromEntries(Object.entries(xattrs).map(([k, v]) => [k, Buffer.from(v, 'base64')])) } : rest,
  );
}

/** `.dockerignore` patterns as plain data (`!` in front of exceptions). */
export interface IgnoreEntries {
  entries: Array<{ pattern: string; line?: number }>;
  file?: string;
}

/** A CopySource as data: the ignore matcher goes as its patterns. */
export interface WireCopySource {
  kind: CopySource['kind'];
  root: string;
  exclude?: IgnoreEntries;
}

/** A CopyRequest as data: no functions (the worker writes namespace ids, so no idMap; it fetches URLs itself). */
export type WireCopyRequest = Omit<CopyRequest, 'source' | 'idMap' | 'addOptions' | 'signal'> & {
  source: WireCopySource;
  addOptions?: Omit<AddOptions, 'fetch'>;
};

export type WireSelection = Omit<SourceSelection, 'addOptions'> & { addOptions?: Omit<AddOptions, 'fetch'> };

export type FileStepCall =
  | { op: 'mount-writable'; tmpDir: string; lowerDirs: string[]; upperDir: string; workDir: string }
  | { op: 'mount-read-only'; tmpDir: string; lowerDirs: string[] }
  | { op: 'release'; mount: string }
  | { op: 'checksum-sources'; source: WireCopySource; sources: string[]; selection: WireSelection }
  | { op: 'copy-files'; request: WireCopyRequest }
  /** WORKDIR's mkdir -p of `path` (an image path) under root. */
  | { op: 'make-directories'; root: string; path: string; owner: { uid: number; gid: number } }
  /** The change list of an upper dir, read where its subordinate-id files are readable. */
  | { op: 'detect-changes'; upperDir: string; lowerDirs: string[]; ignore: string[] }
  /** The layer blob of those changes written to blobPath (ids as the namespace sees them: container ids). */
  | { op: 'commit-layer'; changes: WireChangeEntry[]; upperDir: string; blobPath: string };

export interface FileStepRequest {
  id: number;
  call: FileStepCall;
}

export type FileStepReply =
  | { id: number; ok: true; value: unknown }
  | { id: number; ok: false; error: WireError };

export interface WireError {
  name: string;
  message: string;
  stack?: string;
  /** Own fields: isUserError, exitCode, command, detail, source, destination, code… */
  fields: Record<string, unknown>;
}

export function errorToWire(err: unknown): WireError {
  if (!(err instanceof Error)) return { name: 'Error', message: String(err), fields: {} };
  const fields: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(err)) {
    if (value === undefined || ['string', 'number', 'boolean'].includes(typeof value)) fields[key] = value;
    else if (Array.isArray(value) && value.every((v) => typeof v === 'string')) fields[key] = value;
  }
  return { name: err.name, message: err.message, stack: err.stack, fields };
}

type CopyErrorClass = new (command: CopyCommandName, detail: string, source?: string) => CopyError;
const copyErrorClasses: Record<string, CopyErrorClass> = {
  CopyError,
  SourceNotFoundError,
  SourceOutsideContextError,
  UnsupportedSourceError,
  CopyOptionError,
  RemoteSourceError,
  ArchiveError,
};

/** The error the worker reported, as the class it was there where that class is a COPY error. */
export function errorFromWire(wire: WireError): Error {
  const f = wire.fields;
  const command = f.command as CopyCommandName;
  const detail = f.detail as string;
  const source = f.source as string | undefined;
  let err: Error;
  if (wire.name === 'WorkdirError') err = new WorkdirError(f.path as string, f.detail as string);
  else if (wire.name === 'DestinationError') err = new DestinationError(command, detail, f.destination as string, source);
  else if (wire.name === 'CopyIoError') err = new CopyIoError(command, detail, f.code as string, source);
  else if (copyErrorClasses[wire.name] && typeof detail === 'string') err = new copyErrorClasses[wire.name]!(command, detail, source);
  else {
    err = new Error(wire.message);
    Object.assign(err, f);
    err.name = wire.name;
  }
  if (wire.stack) err.stack = `${wire.stack}\n    (in the file-step worker)`;
  return err;
}
