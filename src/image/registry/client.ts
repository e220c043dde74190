/**
 * One HTTP conversation with one registry endpoint, as the distribution spec
 * wants it:
 * - auth: anonymous or credentialed Bearer tokens from the realm a 401's
 *   WWW-Authenticate names, cached per scope until they expire; Basic when the
 *   registry asks for it; the challenge is remembered, so later requests carry
 *   a token up front instead of collecting a 401 each;
 * - retries: 5xx, 429 and broken connections are retried with exponential
 *   backoff (3 attempts by default), then become a typed error;
 * - redirects: followed by hand (blob downloads are often sent to object
 *   storage), and the Authorization header is dropped when the host changes,
 *   so a registry token never leaks to a third party.
 * It knows nothing of manifests or blobs; see manifest.ts, pull.ts, push.ts.
 */
import { trustedFetch } from '../trusted-fetch.js';
import type { RegistryCredentials } from './docker-config.js';
import { loadCredentials } from './docker-config.js';
import type { Endpoint } from './endpoint.js';
import {
  AccessDeniedError,
  AuthenticationRequiredError,
  describeRegistryErrorBody,
  OversizedBodyError,
  RegistryServerError,
  RegistryUnreachableError,
  TruncatedBodyError,
} from './errors.js';
import { parseWwwAuthenticate, type AuthChallenge } from './www-authenticate.js';

export interface RegistryClientOptions {
  /** Path of docker's config.json; default $DOCKER_CONFIG/config.json or ~/.docker/config.json. */
  dockerConfigPath?: string;
  /** Attempts for a request that meets 5xx/429/a broken connection (default 3). */
  attempts?: number;
  /** First backoff delay; doubles each retry (default 500 ms). */
  retryDelayMs?: number;
  userAgent?: string;
}

export interface RegistryRequest {
  method: 'GET' | 'HEAD' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';
  /** "/v2/…" relative to the endpoint, or an absolute URL (an upload Location). */
  path: string;
  /** Token scopes this request needs, e.g. ["repository:library/alpine:pull"]. */
  scopes: string[];
  headers?: Record<string, string>;
  body?: Buffer;
  /** For messages: "manifest latest of library/alpine". */
  what: string;
  /** False for requests that must not be sent twice (a PATCH of a chunk). Default true. */
  retry?: boolean;
  signal?: AbortSignal;
}

interface CachedToken {
  token: string;
  expiresAt: number;
}

const REDIRECT_LIMIT = 10;
const TOKEN_RESPONSE_LIMIT = 1 << 20;

export class RegistryClient {
  private challenge: AuthChallenge | undefined;
  private readonly tokens = new Map<string, CachedToken>();
  private credentials: Promise<RegistryCredentials | undefined> | undefined;
  private readonly attempts: number;
  private readonly retryDelayMs: number;
  private readonly userAgent: string;

  constructor(
    readonly endpoint: Endpoint,
    private readonly options: RegistryClientOptions = {},
  ) {
    this.attempts = Math.max(1, options.attempts ?? 3);
    this.retryDelayMs = options.retryDelayMs ?? 500;
    this.userAgent = options.userAgent ?? 'layerlab/0.1';
  }

  /** host[:port], as errors name the registry. */
  get name(): string {
    return this.endpoint.host;
  }

  url(path: string): string {
    return /^https?:\/\//.test(path) ? path : `${this.endpoint.baseUrl}${path}`;
  }

  /**
   * Sends the request and returns the final response (after auth and
   * redirects). 401, 403 and exhausted 5xx become errors; every other status
   * is the caller's to interpret (404 means different things for a manifest
   * and a blob HEAD).
   */
  async request(req: RegistryRequest): Promise<Response> {
    let answeredChallenge = false;
    const retryable = req.retry !== false;
    for (let attempt = 1; ; attempt++) {
      // identity: fetch would otherwise gunzip a body a server or CDN sent with
      // Content-Encoding gzip, and the bytes would no longer match the digest.
      const headers: Record<string, string> = { 'User-Agent': this.userAgent, 'Accept-Encoding': 'identity', ...req.headers };
      const authorization = await this.authorization(req.scopes);
      if (authorization) headers.Authorization = authorization;

      let res: Response;
      try {
        res = await this.send(req.method, this.url(req.path), headers, req.body, req.signal);
      } catch (err) {
        if (req.signal?.aborted) throw err;
        if (retryable && attempt < this.attempts && isTransientNetworkError(err)) {
          await this.backoff(attempt);
          continue;
        }
        throw new RegistryUnreachableError(this.name, this.url(req.path), networkErrorText(err));
      }

      if (res.status === 401) {
        const detail = describeRegistryErrorBody(await safeText(res));
        const header = res.headers.get('www-authenticate');
        const challenge = header ? pickChallenge(parseWwwAuthenticate(header)) : undefined;
        if (!answeredChallenge && challenge) {
          answeredChallenge = true;
          this.challenge = challenge;
          this.tokens.delete(scopeKey(req.scopes));
          if (await this.canAnswer(challenge)) {
            attempt--; // an auth round trip is not a failed attempt
            continue;
          }
        }
        throw new AuthenticationRequiredError(this.name, detail);
      }
      if (res.status === 403) {
        throw new AccessDeniedError(this.name, req.what, describeRegistryErrorBody(await safeText(res)));
      }
      if (res.status >= 500 || res.status === 429) {
        const detail = describeRegistryErrorBody(await safeText(res));
        if (retryable && attempt < this.attempts) {
          await this.backoff(attempt, res.headers.get('retry-after'));
          continue;
        }
        throw new RegistryServerError(this.name, res.status, req.what, attempt, detail);
      }
      return res;
    }
  }

  private async backoff(attempt: number, retryAfter?: string | null): Promise<void> {
    let delay = this.retryDelayMs * 2 ** (attempt - 1);
    const seconds = retryAfter ? Number(retryAfter) : NaN;
    if (Number.isFinite(seconds) && seconds >= 0) delay = Math.min(Math.max(delay, seconds * 1000), 30_000);
    await new Promise((resolve) => setTimeout(resolve, delay));
  }

  /** One request, following redirects; Authorization only goes to the host it was meant for. */
  private async send(
    method: string,
    url: string,
    headers: Record<string, string>,
    body: Buffer | undefined,
    signal: AbortSignal | undefined,
  ): Promise<Response> {
    const origin = new URL(url).host;
    let current = url;
    let currentMethod = method;
    let currentBody = body;
    for (let hop = 0; ; hop++) {
      const sendHeaders = { ...headers };
      if (new URL(current).host !== origin) delete sendHeaders.Authorization;
      const res = await trustedFetch(current, {
        method: currentMethod,
        headers: sendHeaders,
        ...(currentBody !== undefined ? { body: currentBody } : {}),
        redirect: 'manual',
        ...(signal ? { signal } : {}),
      });
      const location = res.headers.get('location');
      // 201/202 carry a Location too (upload sessions); only 3xx is a redirect.
      if (![301, 302, 303, 307, 308].includes(res.status) || !location) return res;
      await res.body?.cancel().catch(() => {});
      if (hop >= REDIRECT_LIMIT) throw new Error(`more than ${REDIRECT_LIMIT} redirects`);
      current = new URL(location, current).toString();
      if (res.status === 303 || ((res.status === 301 || res.status === 302) && currentMethod === 'POST')) {
        currentMethod = currentMethod === 'HEAD' ? 'HEAD' : 'GET';
        currentBody = undefined;
      }
    }
  }

  private loadCredentials(): Promise<RegistryCredentials | undefined> {
    this.credentials ??= loadCredentials(this.endpoint.host, this.options.dockerConfigPath).then(async (found) => {
      // Docker Hub's API host carries Hub credentials, stored under docker.io.
      if (found || this.endpoint.host !== 'registry-1.docker.io') return found;
      return loadCredentials('docker.io', this.options.dockerConfigPath);
    });
    return this.credentials;
  }

  private async canAnswer(challenge: AuthChallenge): Promise<boolean> {
    if (challenge.scheme === 'bearer') return typeof challenge.params.realm === 'string';
    if (challenge.scheme === 'basic') {
      const creds = await this.loadCredentials();
      return creds?.username !== undefined;
    }
    return false;
  }

  /** The Authorization header for these scopes under the last challenge, fetching a token if needed. */
  private async authorization(scopes: string[]): Promise<string | undefined> {
    const challenge = this.challenge;
    if (!challenge) return undefined;
    const creds = await this.loadCredentials();
    if (challenge.scheme === 'basic') {
      return creds?.username !== undefined ? basicHeader(creds) : undefined;
    }
    if (challenge.scheme !== 'bearer') return undefined;
    if (creds?.registryToken) return `Bearer ${creds.registryToken}`;
    const key = scopeKey(scopes);
    const cached = this.tokens.get(key);
    if (cached && cached.expiresAt > Date.now()) return `Bearer ${cached.token}`;
    const token = await this.fetchToken(challenge, scopes, creds);
    this.tokens.set(key, token);
    return `Bearer ${token.token}`;
  }

  private async fetchToken(challenge: AuthChallenge, scopes: string[], creds: RegistryCredentials | undefined): Promise<CachedToken> {
    const realm = challenge.params.realm!;
    let url: URL;
    try {
      url = new URL(realm);
    } catch {
      throw new AuthenticationRequiredError(this.name, `its token realm "${realm}" is not a URL`);
    }
    if (challenge.params.service) url.searchParams.set('service', challenge.params.service);
    const wanted = scopes.length > 0 ? scopes : challenge.params.scope ? challenge.params.scope.split(' ') : [];
    for (const scope of wanted) url.searchParams.append('scope', scope);
    const headers: Record<string, string> = { 'User-Agent': this.userAgent };
    if (creds?.username !== undefined) headers.Authorization = basicHeader(creds);

    for (let attempt = 1; ; attempt++) {
      let res: Response;
      try {
        res = await trustedFetch(url, { headers, redirect: 'follow' });
      } catch (err) {
        if (attempt < this.attempts && isTransientNetworkError(err)) {
          await this.backoff(attempt);
          continue;
        }
        throw new RegistryUnreachableError(this.name, `${url.origin}${url.pathname}`, `token server: ${networkErrorText(err)}`);
      }
      if (res.status >= 500 && attempt < this.attempts) {
        await safeText(res);
        await this.backoff(attempt);
        continue;
      }
      const text = (await readLimited(res, TOKEN_RESPONSE_LIMIT, this.name, 'a token response')).toString('utf8');
      if (res.status === 401 || res.status === 403) {
        const why = creds?.username !== undefined ? 'the token server rejected the credentials from docker config' : 'the token server refused an anonymous token';
        throw new AuthenticationRequiredError(this.name, `${why}${describeRegistryErrorBody(text) ? ` (${describeRegistryErrorBody(text)})` : ''}`);
      }
      if (res.status !== 200) {
        throw new AuthenticationRequiredError(this.name, `the token server ${url.host} answered ${res.status}`);
      }
      let body: { token?: unknown; access_token?: unknown; expires_in?: unknown };
      try {
        body = JSON.parse(text) as typeof body;
      } catch {
        throw new AuthenticationRequiredError(this.name, `the token server ${url.host} did not answer JSON`);
      }
      const token = typeof body.token === 'string' && body.token ? body.token : typeof body.access_token === 'string' ? body.access_token : '';
      if (!token) throw new AuthenticationRequiredError(this.name, `the token server ${url.host} answered without a token`);
      // The spec's default lifetime is 60 s; renew a little early.
      const lifetime = typeof body.expires_in === 'number' && body.expires_in > 0 ? body.expires_in : 60;
      return { token, expiresAt: Date.now() + Math.max(1, lifetime - 10) * 1000 };
    }
  }
}

function pickChallenge(challenges: AuthChallenge[]): AuthChallenge | undefined {
  return challenges.find((c) => c.scheme === 'bearer') ?? challenges.find((c) => c.scheme === 'basic');
}

function scopeKey(scopes: string[]): string {
  return [...scopes].sort().join(' ');
}

function basicHeader(creds: RegistryCredentials): string {
  return `Basic ${Buffer.from(`${creds.username ?? ''}:${creds.password ?? ''}`).toString('base64')}`;
}

async function safeText(res: Response): Promise<string> {
  try {
    return await res.text();
  } catch {
    return '';
  }
}

const transientCodes = new Set(['ECONNRESET', 'EPIPE', 'ETIMEDOUT', 'UND_ERR_SOCKET', 'UND_ERR_CONNECT_TIMEOUT', 'EAI_AGAIN']);

function errorCode(err: unknown): string | undefined {
  const e = err as { code?: string; cause?: { code?: string; cause?: { code?: string } } };
  return e?.cause?.code ?? e?.code ?? e?.cause?.cause?.code;
}

function isTransientNetworkError(err: unknown): boolean {
  const code = errorCode(err);
  return code !== undefined && transientCodes.has(code);
}

function networkErrorText(err: unknown): string {
  const e = err as { message?: string; cause?: { message?: string; code?: string } };
  const code = errorCode(err);
  const message = e?.cause?.message ?? e?.message ?? String(err);
  if (code === 'ECONNREFUSED') return 'connection refused (is the registry running, and is it HTTPS or plain HTTP? see --insecure-registry)';
  if (/wrong version number|packet length too long/i.test(message)) {
    return 'it does not answer HTTPS (TLS handshake failed); for a plain-HTTP registry pass --insecure-registry HOST:PORT';
  }
  if (code === 'EPROTO' || /ssl|certificate/i.test(message)) {
    return `TLS failed (${message.split('\n')[0]!.trim()}); for a plain-HTTP registry pass --insecure-registry HOST:PORT`;
  }
  return code && !message.includes(code) ? `${message} (${code})` : message;
}

/**
 * Reads a whole (small) body, refusing more than `limit` bytes and noticing a
 * connection that ends before Content-Length.
 */
export async function readLimited(res: Response, limit: number, registry: string, what: string): Promise<Buffer> {
  const declared = Number(res.headers.get('content-length') ?? NaN);
  if (Number.isFinite(declared) && declared > limit) {
    await res.body?.cancel().catch(() => {});
    throw new OversizedBodyError(registry, what, limit);
  }
  const chunks: Buffer[] = [];
  let received = 0;
  try {
    for await (const chunk of streamOf(res)) {
      received += chunk.length;
      if (received > limit) throw new OversizedBodyError(registry, what, limit);
      chunks.push(chunk);
    }
  } catch (err) {
    if (err instanceof OversizedBodyError) throw err;
    throw new TruncatedBodyError(registry, what, Number.isFinite(declared) ? declared : received + 1, received);
  }
  if (Number.isFinite(declared) && received < declared) throw new TruncatedBodyError(registry, what, declared, received);
  return Buffer.concat(chunks);
}

/** The body as Buffers (fetch yields Uint8Array). */
export async function* streamOf(res: Response): AsyncGenerator<Buffer> {
  if (!res.body) return;
  for await (const chunk of res.body as unknown as AsyncIterable<Uint8Array>) {
    yield Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength);
  }
}
