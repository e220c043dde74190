/**
 * What can go wrong talking to a registry, as small classes the CLI renders
 * (isUserError: the user, the network or the registry must change, not
 * layerlab). Each names the registry and what was asked of it.
 */

export abstract class RegistryError extends Error {
  readonly isUserError = true;
  readonly exitCode = 2;
  constructor(message: string, readonly registry: string) {
    super(message);
    this.name = new.target.name;
  }
}

/** 401 after trying the credentials and tokens we have. */
export class AuthenticationRequiredError extends RegistryError {
  constructor(registry: string, detail?: string) {
    super(
      `authentication required for ${registry}${detail ? `: ${detail}` : ''} (add credentials to ~/.docker/config.json "auths", or $DOCKER_CONFIG/config.json)`,
      registry,
    );
  }
}

/** 403: the credentials were accepted but do not allow this. */
export class AccessDeniedError extends RegistryError {
  constructor(registry: string, what: string, detail?: string) {
    super(`access denied by ${registry} to ${what}${detail ? `: ${detail}` : ''}`, registry);
  }
}

/** 404 on a manifest: the tag or digest does not exist (or the repository does not). */
export class ManifestUnknownError extends RegistryError {
  constructor(registry: string, readonly reference: string, detail?: string) {
    super(`manifest unknown: ${reference}${detail ? ` (${detail})` : ''}`, registry);
  }
}

export class BlobUnknownError extends RegistryError {
  constructor(registry: string, readonly repository: string, readonly digest: string) {
    super(`blob unknown: ${registry}/${repository}@${digest} is not in the registry`, registry);
  }
}

/** 5xx (or 429) still failing after the retries. */
export class RegistryServerError extends RegistryError {
  constructor(registry: string, readonly status: number, what: string, attempts: number, detail?: string) {
    super(
      `${registry} answered ${status} to ${what} ${attempts} time${attempts === 1 ? '' : 's'}; giving up${detail ? ` (${detail})` : ''}`,
      registry,
    );
  }
}

/** Could not connect, or the connection broke before an answer. */
export class RegistryUnreachableError extends RegistryError {
  constructor(registry: string, url: string, cause: string) {
    super(`cannot reach ${registry} at ${url}: ${cause}`, registry);
  }
}

/** The bytes that arrived do not hash to the digest they were asked for. */
export class RegistryDigestMismatchError extends RegistryError {
  constructor(registry: string, what: string, readonly expected: string, readonly actual: string) {
    super(`${registry} sent ${what} whose content hashes to ${actual}, not ${expected}; rejected, nothing was stored`, registry);
  }
}

/** The body ended before Content-Length (or the descriptor's size) was reached. */
export class TruncatedBodyError extends RegistryError {
  constructor(registry: string, what: string, readonly expectedSize: number, readonly receivedSize: number) {
    super(
      `${registry} sent only ${receivedSize} of ${expectedSize} bytes of ${what} before the connection ended; nothing was stored`,
      registry,
    );
  }
}

/** The registry sent more than the descriptor said, or a manifest too large to be one. */
export class OversizedBodyError extends RegistryError {
  constructor(registry: string, what: string, readonly limit: number) {
    super(`${registry} sent more than ${limit} bytes for ${what}; rejected, nothing was stored`, registry);
  }
}

/** Valid HTTP, but not an answer the distribution spec allows here. */
export class RegistryProtocolError extends RegistryError {
  constructor(registry: string, message: string) {
    super(`${registry}: ${message}`, registry);
  }
}

export class UnsupportedMediaTypeError extends RegistryError {
  constructor(registry: string, readonly mediaType: string, what: string, hint?: string) {
    super(`${what} has media type ${mediaType}, which layerlab does not support${hint ? ` (${hint})` : ''}`, registry);
  }
}

export class NoMatchingPlatformError extends RegistryError {
  constructor(registry: string, reference: string, wanted: string, available: string[]) {
    super(
      `${reference} has no image for ${wanted}; it offers ${available.length ? available.join(', ') : 'no platforms'}`,
      registry,
    );
  }
}

/** Push: the image to push is not in the local store. */
export class LocalImageNotFoundError extends Error {
  readonly isUserError = true;
  readonly exitCode = 2;
  constructor(readonly reference: string) {
    super(`no such image in the store: ${reference} (see \`layerlab images\`)`);
    this.name = 'LocalImageNotFoundError';
  }
}

/** Reads the `errors` array of a distribution error body into one line. */
export function describeRegistryErrorBody(body: string): string | undefined {
  try {
    const parsed = JSON.parse(body) as { errors?: Array<{ code?: string; message?: string; detail?: unknown }> };
    if (!Array.isArray(parsed.errors) || parsed.errors.length === 0) return undefined;
    return parsed.errors
      .map((e) => [e.code, e.message].filter((s) => typeof s === 'string' && s !== '').join(': '))
      .filter((s) => s !== '')
      .join('; ');
  } catch {
    const text = body.trim();
    return text && text.length < 200 && !text.startsWith('<') ? text : undefined;
  }
}
