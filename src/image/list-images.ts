import { ImageNotFoundError, readImage } from './image.js';
import { familiarReference, normalizeReference, parseReference } from './reference.js';
import type { Store } from './store.js';

/**
 * What `layerlab images` shows, one row per ref. IMAGE ID is the config
 * digest (docker's image id). SIZE is what the image's blobs take in the
 * store (config + layer blobs as stored, often compressed), not the
 * uncompressed size docker shows.
 */
export interface ImageRow {
  name: string;
  repository: string;
  tag: string;
  id: string;
  digest: string;
  created: string | null;
  size: number;
  /** Set when the ref's manifest or config cannot be read (damaged or missing blob). */
  error?: string;
}

export async function listImages(store: Store): Promise<ImageRow[]> {
  const rows: ImageRow[] = [];
  for (const ref of await store.listRefs()) {
    const parsed = parseReference(ref.name);
    const familiar = familiarReference(parsed);
    const repository = familiar.replace(/(@sha256:[a-f0-9]+)$/, '').replace(/:[^:/]+$/, '');
    const tag = parsed.tag ?? '<none>';
    try {
      const image = await readImage(store, ref.digest, ref.mediaType, ref.name);
      rows.push({ name: ref.name, repository, tag, id: image.id, digest: ref.digest, created: image.config.created ?? null, size: image.size });
    } catch (err) {
      rows.push({ name: ref.name, repository, tag, id: '', digest: ref.digest, created: null, size: 0, error: (err as Error).message });
    }
  }
  return rows;
}

export function formatImageTable(rows: ImageRow[], now: Date): string {
  const header = ['REPOSITORY', 'TAG', 'IMAGE ID', 'CREATED', 'SIZE'];
  const cells = rows.map((r) => [
    r.repository,
    r.tag,
    r.id ? r.id.slice(7, 19) : '<damaged>',
    r.created ? timeAgo(new Date(r.created), now) : 'N/A',
    formatBytes(r.size),
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...cells.map((c) => c[i]!.length)));
  return [header, ...cells].map((row) => row.map((c, i) => (i === row.length - 1 ? c : c.padEnd(widths[i]! + 3))).join('').trimEnd()).join('\n') + '\n';
}

/** Decimal units with three significant digits, as docker prints sizes ("5.12MB"). */
export function formatBytes(bytes: number): string {
  const units = ['B', 'kB', 'MB', 'GB', 'TB'];
  let value = bytes;
  let unit = 0;
  while (value >= 1000 && unit < units.length - 1) {
    value /= 1000;
    unit++;
  }
  return `${unit === 0 ? value : Number(value.toPrecision(3))}${units[unit]}`;
}

export function timeAgo(then: Date, now: Date): string {
  const seconds = Math.max(0, Math.round((now.getTime() - then.getTime()) / 1000));
  const steps: Array<[number, string]> = [
    [60 * 60 * 24 * 365, 'year'],
    [60 * 60 * 24 * 30, 'month'],
    [60 * 60 * 24 * 7, 'week'],
    [60 * 60 * 24, 'day'],
    [60 * 60, 'hour'],
    [60, 'minute'],
  ];
  if (seconds < 60) return seconds < 2 ? 'Less than a second ago' : `${seconds} seconds ago`;
  for (const [size, name] of steps) {
    const count = Math.floor(seconds / size);
    if (count >= 1) return count === 1 ? `${name === 'hour' ? 'An' : 'A'} ${name} ago` : `${count} ${name}s ago`;
  }
  return 'N/A';
}

/**
 * Remove the ref `input` names; or, when `input` is an image id (prefix),
 * every ref of that image. Returns the normalized names removed.
 */
export async function removeImageRef(store: Store, input: string): Promise<string[]> {
  let name: string | undefined;
  try {
    name = normalizeReference(input);
  } catch {
    name = undefined;
  }
  if (name && (await store.deleteRef(name))) return [familiarReference(name)];
  const idMatch = /^(?:sha256:)?([0-9a-f]{4,64})$/.exec(input);
  if (idMatch) {
    const removed: string[] = [];
    for (const row of await listImages(store)) {
      if (row.id.slice(7).startsWith(idMatch[1]!) || row.digest.slice(7).startsWith(idMatch[1]!)) {
        if (await store.deleteRef(row.name)) removed.push(familiarReference(row.name));
      }
    }
    if (removed.length > 0) return removed;
  }
  throw new ImageNotFoundError(input);
}
