/**
 * Image references as docker spells them, parsed and normalized:
 *
 *   alpine                      → docker.io/library/alpine:latest
 *   user/app:1.0                → docker.io/user/app:1.0
 *   ghcr.io/o/r                 → ghcr.io/o/r:latest
 *   127.0.0.1:5000/a/b:tag      → 127.0.0.1:5000/a/b:tag
 *   alpine@sha256:<hex>         → docker.io/library/alpine@sha256:<hex>
 *   alpine:3.19@sha256:<hex>    → docker.io/library/alpine:3.19@sha256:<hex> (the digest wins)
 *
 * The grammar follows distribution/reference (the one docker uses): the first
 * path component is a registry host only when it contains "." or ":" or is
 * "localhost"; otherwise the image is on Docker Hub, where single names live
 * under "library/". Repository paths are lowercase; only sha256 digests are
 * accepted, since that is what every registry in use produces.
 */

export const DOCKER_HUB = 'docker.io';
const DOCKER_HUB_ALIASES = new Set(['docker.io', 'index.docker.io', 'registry-1.docker.io']);
export const DEFAULT_TAG = 'latest';

export interface ImageReference {
  /** Registry host with optional port: "docker.io", "127.0.0.1:5000", "[::1]:5000". */
  registry: string;
  /** Repository path inside the registry: "library/alpine", "layerlab-test/busybox". */
  repository: string;
  /** Tag; "latest" when the input named neither a tag nor a digest. */
  tag?: string;
  /** "sha256:<hex>" when the input pinned a digest. */
  digest?: string;
}

export class InvalidReferenceError extends Error {
  readonly isUserError = true;
  readonly exitCode = 2;
  constructor(readonly reference: string, readonly reason: string) {
    super(`invalid image reference "${reference}": ${reason}`);
    this.name = 'InvalidReferenceError';
  }
}

// One path component: lowercase alphanumerics joined by ".", "_", "__" or runs of "-".
const componentPattern = /^[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*$/;
const tagPattern = /^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$/;
const digestPattern = /^sha256:[a-f0-9]{64}$/;
// A DNS-ish host label list, or a bracketed IPv6 address, with an optional port.
const hostPattern = /^(?:(?:[A-Za-z0-9]|[A-Za-z0-9][A-Za-z0-9-]*[A-Za-z0-9])(?:\.(?:[A-Za-z0-9]|[A-Za-z0-9][A-Za-z0-9-]*[A-Za-z0-9]))*|\[[0-9A-Fa-f:.]+\])(?::[0-9]+)?$/;
const maxNameLength = 255;

/** True when the first path component names a registry rather than a Hub user. */
function looksLikeRegistry(component: string): boolean {
  return component.includes('.') || component.includes(':') || component === 'localhost' || /[A-Z]/.test(component);
}

export function parseReference(input: string): ImageReference {
  const text = input.trim();
  if (text === '') throw new InvalidReferenceError(input, 'it is empty');
  if (/\s/.test(text)) throw new InvalidReferenceError(input, 'it contains whitespace');

  let rest = text;
  let digest: string | undefined;
  const at = rest.indexOf('@');
  if (at >= 0) {
    digest = rest.slice(at + 1);
    rest = rest.slice(0, at);
    if (!digest.startsWith('sha256:')) {
      throw new InvalidReferenceError(input, `unsupported digest "${digest}" (only sha256:<64 hex digits> is accepted)`);
    }
    if (!digestPattern.test(digest)) {
      throw new InvalidReferenceError(input, `digest "${digest}" is not sha256: followed by 64 lowercase hex digits`);
    }
  }

  // A tag is after the last ":" that comes after the last "/", so the port in
  // "host:5000/repo" is not taken for a tag.
  let tag: string | undefined;
  const lastSlash = rest.lastIndexOf('/');
  const lastColon = rest.lastIndexOf(':');
  if (lastColon > lastSlash) {
    tag = rest.slice(lastColon + 1);
    rest = rest.slice(0, lastColon);
    if (!tagPattern.test(tag)) {
      throw new InvalidReferenceError(
        input,
        `tag "${tag}" is not valid (letters, digits, "_", "." and "-", at most 128, not starting with "." or "-")`,
      );
    }
  }

  const components = rest.split('/');
  let registry = DOCKER_HUB;
  if (components.length > 1 && looksLikeRegistry(components[0]!)) {
    registry = components.shift()!;
    if (!hostPattern.test(registry)) throw new InvalidReferenceError(input, `registry "${registry}" is not a valid host[:port]`);
    if (DOCKER_HUB_ALIASES.has(registry)) registry = DOCKER_HUB;
  }
  if (components.length === 0 || components.some((c) => c === '')) {
    throw new InvalidReferenceError(input, 'the repository name has an empty path component');
  }
  for (const component of components) {
    if (!componentPattern.test(component)) {
      const hint = /[A-Z]/.test(component) ? ' (repository names must be lowercase)' : '';
      throw new InvalidReferenceError(
        input,
        `"${component}" is not a valid repository path component${hint}: use lowercase letters, digits and single ".", "_", "__" or "-" separators`,
      );
    }
  }
  if (registry === DOCKER_HUB && components.length === 1) components.unshift('library');
  const repository = components.join('/');
  if (`${registry}/${repository}`.length > maxNameLength) {
    throw new InvalidReferenceError(input, `the name is longer than ${maxNameLength} characters`);
  }
  if (tag === undefined && digest === undefined) tag = DEFAULT_TAG;
  return { registry, repository, ...(tag !== undefined ? { tag } : {}), ...(digest !== undefined ? { digest } : {}) };
}

/** "registry/repository" without tag or digest. */
export function referenceName(ref: ImageReference): string {
  return `${ref.registry}/${ref.repository}`;
}

/** The full normalized form: "registry/repository[:tag][@digest]". */
export function formatReference(ref: ImageReference): string {
  return `${referenceName(ref)}${ref.tag !== undefined ? `:${ref.tag}` : ''}${ref.digest !== undefined ? `@${ref.digest}` : ''}`;
}

/** `alpine` → `docker.io/library/alpine:latest`; throws InvalidReferenceError on bad input. */
export function normalizeReference(input: string): string {
  return formatReference(parseReference(input));
}

/**
 * The short form docker shows: "docker.io/library/alpine:latest" → "alpine:latest",
 * "docker.io/user/app:1" → "user/app:1"; other registries stay as they are.
 */
export function familiarReference(ref: ImageReference | string): string {
  const parsed = typeof ref === 'string' ? parseReference(ref) : ref;
  const full = formatReference(parsed);
  if (parsed.registry !== DOCKER_HUB) return full;
  const withoutHost = full.slice(DOCKER_HUB.length + 1);
  return withoutHost.startsWith('library/') && !parsed.repository.slice('library/'.length).includes('/')
    ? withoutHost.slice('library/'.length)
    : withoutHost;
}

/** What to fetch from the registry: the digest when pinned, else the tag. */
export function referenceTarget(ref: ImageReference): string {
  return ref.digest ?? ref.tag ?? DEFAULT_TAG;
}

/** Same repository with another tag or digest. */
export function withTarget(ref: ImageReference, target: { tag?: string; digest?: string }): ImageReference {
  return { registry: ref.registry, repository: ref.repository, ...target };
}
