/**
 * Credentials from docker's client config, the file `docker login` writes:
 * $DOCKER_CONFIG/config.json, else ~/.docker/config.json. Only the `auths`
 * section is read: either `auth` (base64 of "user:password") or `username` and
 * `password`, and `registrytoken` (a ready bearer token). Keys may be a bare
 * host[:port] or a URL (`https://index.docker.io/v1/` is Docker Hub).
 * Credential helpers (credsStore, credHelpers) are not run.
 */
import { readFile } from 'node:fs/promises';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { DOCKER_HUB } from '../reference.js';

export interface RegistryCredentials {
  username?: string;
  password?: string;
  /** A bearer token to send as is. */
  registryToken?: string;
}

export class DockerConfigError extends Error {
  readonly isUserError = true;
  readonly exitCode = 2;
  constructor(readonly path: string, reason: string) {
    super(`${path}: ${reason}`);
    this.name = 'DockerConfigError';
  }
}

export function dockerConfigPath(env: NodeJS.ProcessEnv = process.env): string {
  const dir = env.DOCKER_CONFIG || join(homedir(), '.docker');
  return join(dir, 'config.json');
}

/** "https://index.docker.io/v1/" → "docker.io", "http://127.0.0.1:5000/x" → "127.0.0.1:5000". */
export function normalizeAuthKey(key: string): string {
  let host = key.trim().replace(/^[a-z][a-z0-9+.-]*:\/\//i, '');
  host = host.split('/')[0]!.toLowerCase();
  if (host === 'index.docker.io' || host === 'registry-1.docker.io' || host === 'registry.hub.docker.com') return DOCKER_HUB;
  return host;
}

interface AuthEntry {
  auth?: unknown;
  username?: unknown;
  password?: unknown;
  registrytoken?: unknown;
}

/** Credentials for one registry host (as in a normalized reference), or undefined. */
export async function loadCredentials(registry: string, configPath = dockerConfigPath()): Promise<RegistryCredentials | undefined> {
  let text: string;
  try {
    text = await readFile(configPath, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw err;
  }
  let config: { auths?: Record<string, AuthEntry> };
  try {
    config = JSON.parse(text) as typeof config;
  } catch (err) {
    throw new DockerConfigError(configPath, `not valid JSON (${(err as Error).message})`);
  }
  const auths = config.auths && typeof config.auths === 'object' ? config.auths : {};
  const wanted = normalizeAuthKey(registry);
  for (const [key, entry] of Object.entries(auths)) {
    if (normalizeAuthKey(key) !== wanted || !entry || typeof entry !== 'object') continue;
    return credentialsFromEntry(entry, key, configPath);
  }
  return undefined;
}

function credentialsFromEntry(entry: AuthEntry, key: string, configPath: string): RegistryCredentials | undefined {
  const creds: RegistryCredentials = {};
  if (typeof entry.auth === 'string' && entry.auth !== '') {
    const decoded = Buffer.from(entry.auth, 'base64').toString('utf8');
    const colon = decoded.indexOf(':');
    if (colon < 0) throw new DockerConfigError(configPath, `auths["${key}"].auth is not base64 of "user:password"`);
    creds.username = decoded.slice(0, colon);
    creds.password = decoded.slice(colon + 1);
  } else if (typeof entry.username === 'string') {
    creds.username = entry.username;
    creds.password = typeof entry.password === 'string' ? entry.password : '';
  }
  if (typeof entry.registrytoken === 'string' && entry.registrytoken !== '') creds.registryToken = entry.registrytoken;
  return creds.username !== undefined || creds.registryToken !== undefined ? creds : undefined;
}
