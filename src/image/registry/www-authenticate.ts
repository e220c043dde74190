/**
 * Parses the WWW-Authenticate header of a 401 (RFC 7235), as registries send
 * it: `Bearer realm="https://auth.example/token",service="reg",scope="repository:a/b:pull"`
 * or `Basic realm="registry"`. Several challenges may share one header
 * (fetch joins repeated headers with ", "): a bare token that is not followed
 * by "=" starts the next challenge.
 */

export interface AuthChallenge {
  /** Lowercase: "bearer", "basic". */
  scheme: string;
  /** Parameter names lowercased: realm, service, scope, error. */
  params: Record<string, string>;
}

export function parseWwwAuthenticate(header: string): AuthChallenge[] {
  const challenges: AuthChallenge[] = [];
  let i = 0;
  const n = header.length;
  const skipSpaceAndCommas = (): void => {
    while (i < n && (header[i] === ' ' || header[i] === '\t' || header[i] === ',')) i++;
  };
  const readToken = (): string => {
    const start = i;
    while (i < n && !' \t,="'.includes(header[i]!)) i++;
    return header.slice(start, i);
  };
  const readQuoted = (): string => {
    // header[i] is the opening quote
    i++;
    let value = '';
    while (i < n && header[i] !== '"') {
      if (header[i] === '\\' && i + 1 < n) i++;
      value += header[i];
      i++;
    }
    i++; // closing quote
    return value;
  };

  let current: AuthChallenge | undefined;
  while (i < n) {
    skipSpaceAndCommas();
    if (i >= n) break;
    const token = readToken();
    if (token === '') {
      i++; // stray character; skip it rather than loop
      continue;
    }
    let j = i;
    while (j < n && (header[j] === ' ' || header[j] === '\t')) j++;
    if (header[j] === '=' && current) {
      i = j + 1;
      while (i < n && (header[i] === ' ' || header[i] === '\t')) i++;
      const value = header[i] === '"' ? readQuoted() : readToken();
      current.params[token.toLowerCase()] = value;
    } else {
      current = { scheme: token.toLowerCase(), params: {} };
      challenges.push(current);
    }
  }
  return challenges;
}
