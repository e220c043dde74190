/**
 * fetch() that trusts the certificates in NODE_EXTRA_CA_CERTS, also when
 * bin/layerlab.js kept them from Node's start.
 *
 * Node 20 reads and parses that file, and its own bundled roots, before it
 * runs any script. On a machine that points the variable at the whole system
 * bundle, that is 40 ms of every command, more than the rest of a cached
 * build. So bin/layerlab.js, run as a program, starts Node without the
 * variable and passes the path on under Symbol.for('layerlab.deferredExtraCaCerts').
 * The first HTTPS request then installs a global dispatcher whose trust is
 * what Node's would have been: the bundled roots plus that file. An HTTP-only
 * command (a loopback registry, a local build) never reads it.
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';

const deferredKey = Symbol.for('layerlab.deferredExtraCaCerts');
let settled = false;

export function trustedFetch(input: string | URL, init?: RequestInit): Promise<Response> {
  if (!settled && String(input).startsWith('https:')) trustDeferredExtraCaCerts();
  return fetch(input, init);
}

function trustDeferredExtraCaCerts(): void {
  settled = true;
  const path = (globalThis as Record<symbol, unknown>)[deferredKey];
  if (typeof path !== 'string') return;
  let extra: string;
  try {
    extra = readFileSync(path, 'utf8');
    if (!extra.includes('-----BEGIN CERTIFICATE-----')) throw new Error('no PEM certificate in it');
  } catch (err) {
    // Node's own words for the same failure, and like Node it goes on with the bundled roots.
    process.emitWarning(`Ignoring extra certs from \`${path}\`, load failed: ${(err as Error).message}`);
    return;
  }
  // Loaded here, not imported: node:tls alone takes 6 ms to load, and most commands make no HTTPS request.
  const load = createRequire(import.meta.url);
  const { rootCertificates } = load('node:tls') as typeof import('node:tls');
  // undici is what Node's fetch is built on; its global dispatcher is the one Node's fetch uses.
  const undici = load('undici') as typeof import('undici');
  undici.setGlobalDispatcher(new undici.Agent({ connect: { ca: [...rootCertificates, extra] } }));
}
