/**
 * Where requests for a registry go. Docker Hub's API lives at
 * registry-1.docker.io; mirrors (--registry-mirror, Docker Hub only) are tried
 * before it when pulling. A registry speaks HTTPS unless it is listed with
 * --insecure-registry, in which case it speaks plain HTTP: localhost and
 * 127.0.0.1 included, which must be listed like any other.
 */
import { DOCKER_HUB } from '../reference.js';

export const DOCKER_HUB_API_HOST = 'registry-1.docker.io';

export interface Endpoint {
  /** "https://registry-1.docker.io", "http://127.0.0.1:5000" (no trailing slash). */
  baseUrl: string;
  /** host[:port] of baseUrl: the key for credentials and the name errors show. */
  host: string;
  mirror: boolean;
}

/** "http://127.0.0.1:5000/" → "127.0.0.1:5000"; a bare host stays as it is. */
function stripScheme(value: string): string {
  return value.trim().replace(/^[a-z][a-z0-9+.-]*:\/\//i, '').replace(/\/.*$/, '').toLowerCase();
}

export function isInsecureRegistry(registry: string, insecureRegistries: readonly string[]): boolean {
  const host = registry.toLowerCase();
  const hostWithoutPort = host.replace(/:\d+$/, '');
  return insecureRegistries.some((entry) => {
    const listed = stripScheme(entry);
    // "HOST" alone covers every port of HOST, as docker's list does.
    return listed === host || (!/:\d+$/.test(listed) && listed === hostWithoutPort);
  });
}

export function registryEndpoint(registry: string, insecureRegistries: readonly string[]): Endpoint {
  const host = registry === DOCKER_HUB ? DOCKER_HUB_API_HOST : registry;
  const scheme = isInsecureRegistry(registry, insecureRegistries) || isInsecureRegistry(host, insecureRegistries) ? 'http' : 'https';
  return { baseUrl: `${scheme}://${host}`, host, mirror: false };
}

export class InvalidMirrorError extends Error {
  readonly isUserError = true;
  readonly exitCode = 2;
  constructor(readonly mirror: string) {
    super(`--registry-mirror ${mirror}: expected an http:// or https:// URL such as https://mirror.example.com`);
    this.name = 'InvalidMirrorError';
  }
}

export function mirrorEndpoint(mirror: string): Endpoint {
  let url: URL;
  try {
    url = new URL(mirror);
  } catch {
    throw new InvalidMirrorError(mirror);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new InvalidMirrorError(mirror);
  const path = url.pathname.replace(/\/+$/, '');
  return { baseUrl: `${url.protocol}//${url.host}${path}`, host: url.host, mirror: true };
}

/** Endpoints to pull from, in order: Docker Hub mirrors first, then the registry itself. */
export function pullEndpoints(registry: string, options: { insecureRegistries?: readonly string[]; registryMirrors?: readonly string[] }): Endpoint[] {
  const primary = registryEndpoint(registry, options.insecureRegistries ?? []);
  if (registry !== DOCKER_HUB) return [primary];
  return [...(options.registryMirrors ?? []).map(mirrorEndpoint), primary];
}
