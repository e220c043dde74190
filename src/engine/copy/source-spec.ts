/**
 * What a COPY/ADD source string is: a URL to download (ADD only), a git
 * repository (not supported yet), or a path in the context or stage.
 * Paths are cleaned like Go's path.Clean before anything is looked up, as
 * BuildKit's dispatchCopy does; in the context a `..` that climbs out is an
 * error rather than silently clamped at the root.
 */
import { SourceOutsideContextError, UnsupportedSourceError, type CopyCommandName } from './errors.js';

export type SourceSpec =
  | { kind: 'url'; written: string; url: URL }
  | { kind: 'git'; written: string }
  | { kind: 'path'; written: string; elements: string[] };

const GIT_PREFIXES = ['git://', 'git@', 'ssh://'];

export function isGitSource(source: string): boolean {
  if (GIT_PREFIXES.some((prefix) => source.startsWith(prefix))) return true;
  if (!/^https?:\/\//.test(source)) return false;
  try {
    return new URL(source).pathname.endsWith('.git');
  } catch {
    return false;
  }
}

export function isUrlSource(source: string): boolean {
  return /^https?:\/\//.test(source) && !isGitSource(source);
}

/**
 * Classify and clean one source. `inContext` makes an escaping `..` an error;
 * in a stage's rootfs it stops at `/` like any chrooted path.
 */
export function parseSource(written: string, command: CopyCommandName, inContext: boolean): SourceSpec {
  if (isGitSource(written)) {
    if (command === 'COPY') throw new UnsupportedSourceError(command, `source can't be a git ref for COPY: ${written}`, written);
    return { kind: 'git', written };
  }
  if (isUrlSource(written)) {
    if (command === 'COPY') throw new UnsupportedSourceError(command, `source can't be a URL for COPY: ${written}`, written);
    let url: URL;
    try {
      url = new URL(written);
    } catch {
      throw new UnsupportedSourceError(command, `invalid URL ${JSON.stringify(written)}`, written);
    }
    return { kind: 'url', written, url };
  }
  const elements: string[] = [];
  for (const part of written.split('/')) {
    if (part === '' || part === '.') continue;
    if (part === '..') {
      if (elements.length === 0) {
        if (inContext) {
          throw new SourceOutsideContextError(
            command,
            `forbidden path outside the build context: ${written}`,
            written,
          );
        }
        continue;
      }
      elements.pop();
      continue;
    }
    elements.push(part);
  }
  return { kind: 'path', written, elements };
}
