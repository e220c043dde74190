import type { ChangeEntry } from '../../src/layers/types.js';

/** Entries in a compact form: "+path size", "~path size", "-path", "+dir/" (opaque: "+dir/!"). */
export function layer(...specs: string[]): ChangeEntry[] {
  return specs.map((spec) => {
    const [op, rest] = [spec[0]!, spec.slice(1)];
    const [rawPath, size] = rest.split(' ');
    const isDir = rawPath!.endsWith('/') || rawPath!.endsWith('/!');
    const opaque = rawPath!.endsWith('/!');
    const path = rawPath!.replace(/\/!?$/, '');
    return {
      path,
      kind: op === '+' ? 'added' : op === '~' ? 'modified' : 'deleted',
      type: isDir ? 'dir' : 'file',
      size: Number(size ?? 0),
      mode: isDir ? 0o755 : 0o644,
      uid: 0,
      gid: 0,
      mtime: 0,
      ...(opaque ? { opaque: true } : {}),
    } satisfies ChangeEntry;
  });
}

