/**
 * ADD of an http(s) URL (BuildKit's llb.HTTP source as dispatchCopy sets it
 * up): the body is downloaded into a file named after the last element of
 * the URL path (`__unnamed__` when there is none), mode 0600, with its mtime
 * from Last-Modified when the server sends one. `--checksum` is checked
 * against the body before anything is written to the image.
 */
import { createHash } from 'node:crypto';
import { chmodSync, mkdtempSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, posix } from 'node:path';
import { trustedFetch } from '../../image/trusted-fetch.js';
import { CopyOptionError, RemoteSourceError, type CopyCommandName } from './errors.js';
import type { FetchResponse } from './types.js';

const DIGEST_LENGTHS: Record<string, number> = { sha256: 64, sha384: 96, sha512: 128 };

export interface ParsedDigest {
  algorithm: 'sha256' | 'sha384' | 'sha512';
  hex: string;
}

export function parseChecksum(checksum: string, command: CopyCommandName): ParsedDigest {
  const match = /^([a-z0-9]+):([a-f0-9]+)$/.exec(checksum);
  const algorithm = match?.[1];
  if (!match || algorithm === undefined || DIGEST_LENGTHS[algorithm] !== match[2]!.length) {
    throw new CopyOptionError(command, `invalid checksum digest format: ${JSON.stringify(checksum)} (expected sha256:<64 hex digits>)`);
  }
  return { algorithm: algorithm as ParsedDigest['algorithm'], hex: match[2]! };
}

/** The file name a download gets: the URL path's last element. */
export function urlFileName(url: URL): string {
  let path = url.pathname;
  try {
    path = decodeURIComponent(path);
  } catch {
    // Keep the raw path when it is not valid percent-encoding.
  }
  const base = posix.basename(path);
  return base === '' || base === '.' || base === '/' || base === '..' ? '__unnamed__' : base;
}

export interface Download {
  /** A private temp directory holding the file; the caller removes it. */
  dir: string;
  name: string;
  hostPath: string;
  body: Buffer;
}

export type Fetcher = (url: string) => Promise<FetchResponse>;

export async function fetchBody(url: URL, written: string, command: CopyCommandName, fetcher: Fetcher | undefined): Promise<{ body: Buffer; lastModified: Date | undefined }> {
  const doFetch: Fetcher = fetcher ?? ((u) => trustedFetch(u));
  let response: FetchResponse;
  let body: Buffer;
  try {
    response = await doFetch(url.href);
    if (!response.ok) {
      throw new RemoteSourceError(
        command,
        `failed to download ${written}: invalid response status ${response.status}${response.statusText ? ` ${response.statusText}` : ''}`,
        written,
      );
    }
    body = Buffer.from(await response.arrayBuffer());
  } catch (err) {
    if (err instanceof RemoteSourceError) throw err;
    const reason = err instanceof Error ? ((err.cause as Error | undefined)?.message ?? err.message) : String(err);
    throw new RemoteSourceError(command, `failed to download ${written}: ${reason}`, written);
  }
  const header = response.headers.get('last-modified');
  const parsed = header ? new Date(header) : undefined;
  return { body, lastModified: parsed && !Number.isNaN(parsed.getTime()) ? parsed : undefined };
}

export function verifyChecksum(body: Buffer, checksum: string, written: string, command: CopyCommandName): void {
  const expected = parseChecksum(checksum, command);
  const actual = createHash(expected.algorithm).update(body).digest('hex');
  if (actual !== expected.hex) {
    throw new RemoteSourceError(
      command,
      `checksum mismatch for ${written}: expected ${expected.algorithm}:${expected.hex}, got ${expected.algorithm}:${actual}`,
      written,
    );
  }
}

export async function download(
  url: URL,
  written: string,
  command: CopyCommandName,
  options: { fetch?: Fetcher; checksum?: string },
): Promise<Download> {
  const { body, lastModified } = await fetchBody(url, written, command, options.fetch);
  if (options.checksum !== undefined) verifyChecksum(body, options.checksum, written, command);
  const dir = mkdtempSync(join(tmpdir(), 'layerlab-add-'));
  const name = urlFileName(url);
  const hostPath = join(dir, name);
  writeFileSync(hostPath, body);
  chmodSync(hostPath, 0o600);
  if (lastModified) utimesSync(hostPath, lastModified, lastModified);
  return { dir, name, hostPath, body };
}
