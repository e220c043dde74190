/**
 * Registry auth against real servers: a fault server in front of the test
 * registry that enforces Bearer tokens (and runs their token endpoint) or
 * Basic auth, with credentials read from a docker config.json.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { IncomingMessage } from 'node:http';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { AuthenticationRequiredError, pullImage, pushImage } from '../../../src/image/registry/index.js';
import { Store } from '../../../src/image/store.js';
import { testBaseImage, type TestBaseImage } from '../../helpers/busybox-image.js';
import { ensureRegistry, registryAddress } from '../../helpers/registry.js';
import { registryError, startFaultServer, type FaultServer } from './fault-server.js';
import { uniqueRepository, writeSyntheticImage } from './test-images.js';

let release: () => Promise<void>;
let base: TestBaseImage;
let work: string;
const servers: FaultServer[] = [];

beforeAll(async () => {
  release = await ensureRegistry();
  base = await testBaseImage();
  work = await mkdtemp(join(tmpdir(), 'layerlab-auth-test-'));
});
afterEach(async () => {
  while (servers.length) await servers.pop()!.close();
});
afterAll(async () => {
  await rm(work, { recursive: true, force: true });
  await release();
});

let storeCount = 0;
async function freshStore(): Promise<Store> {
  return Store.open(join(work, `store-${storeCount++}`));
}

async function dockerConfig(auths: Record<string, unknown>): Promise<string> {
  const path = join(work, `config-${storeCount++}.json`);
  await writeFile(path, JSON.stringify({ auths }));
  return path;
}

function basicOf(req: IncomingMessage): string | undefined {
  const header = req.headers.authorization;
  if (!header?.startsWith('Basic ')) return undefined;
  return Buffer.from(header.slice(6), 'base64').toString('utf8');
}

/** The repository a /v2/<name>/(manifests|blobs)/… path is about. */
function repositoryOf(url = ''): string | undefined {
  return /^\/v2\/(.+?)\/(?:manifests|blobs)\//.exec(url)?.[1];
}

interface TokenServer {
  server: FaultServer;
  /** Every token request's scope list and Basic credentials. */
  tokenRequests: Array<{ scopes: string[]; service: string | null; basic?: string }>;
}

/**
 * A registry front that wants `Bearer <token>` where the token names the
 * scopes granted; its own /token endpoint grants what is asked, to anyone
 * when `requiredBasic` is unset, else only with those Basic credentials.
 */
async function bearerRegistry(requiredBasic?: string): Promise<TokenServer> {
  const tokenRequests: TokenServer['tokenRequests'] = [];
  const server = await startFaultServer({
    upstream: `http://${registryAddress()}`,
    handle: (req, res) => {
      const url = new URL(req.url ?? '/', 'http://x');
      if (url.pathname === '/token') {
        const scopes = url.searchParams.getAll('scope');
        tokenRequests.push({ scopes, service: url.searchParams.get('service'), ...(basicOf(req) ? { basic: basicOf(req)! } : {}) });
        if (requiredBasic !== undefined && basicOf(req) !== requiredBasic) {
          return registryError(res, 401, 'UNAUTHORIZED', 'bad credentials');
        }
        res.writeHead(200, { 'Content-Type': 'application/json' });
        res.end(JSON.stringify({ access_token: `granted ${scopes.join(' ')}`, expires_in: 300 }));
        return;
      }
      const repository = repositoryOf(req.url) ?? '';
      const action = req.method === 'GET' || req.method === 'HEAD' ? 'pull' : 'push';
      const granted = req.headers.authorization?.startsWith('Bearer granted ') ? req.headers.authorization.slice('Bearer granted '.length).split(' ') : [];
      const ok = granted.some((scope) => {
        const [kind, name, actions] = scope.split(':');
        return kind === 'repository' && name === repository && (actions ?? '').split(',').includes(action);
      });
      if (url.pathname !== '/v2/' && !ok) {
        return registryError(res, 401, 'UNAUTHORIZED', 'authentication required', {
          'WWW-Authenticate': `Bearer realm="http://${req.headers.host}/token",service="fault-registry",scope="repository:${repository}:${action}"`,
        });
      }
      return 'proxy';
    },
  });
  servers.push(server);
  return { server, tokenRequests };
}

describe('Bearer token auth', () => {
  it('gets an anonymous token from the realm and reuses it for every request of the same scope', async () => {
    const { server, tokenRequests } = await bearerRegistry();
    const store = await freshStore();
    const ref = `${server.host}/${base.repository}:${base.tag}`;
    const result = await pullImage(store, ref, { insecureRegistries: [server.host], dockerConfigPath: join(work, 'absent.json') });
    expect(result.digest).toBe(base.digest);
    expect(tokenRequests).toEqual([{ scopes: [`repository:${base.repository}:pull`], service: 'fault-registry' }]);
    // manifest, config and layer: one 401, then all with the token.
    const unauthorized = server.requests.filter((r) => !r.headers.authorization && r.url.startsWith('/v2/'));
    expect(unauthorized).toHaveLength(1);
  });

  it('sends docker config credentials to the token server and gets a push scope for a push', async () => {
    const { server, tokenRequests } = await bearerRegistry('alice:s3cret');
    const configPath = await dockerConfig({
      [`http://${server.host}/v1/`]: { auth: Buffer.from('alice:s3cret').toString('base64') },
    });
    const store = await freshStore();
    const repository = uniqueRepository('auth-push');
    const source = `${server.host}/${repository}:v1`;
    await writeSyntheticImage(store, { layers: 1 }, source);
    const pushed = await pushImage(store, source, undefined, { insecureRegistries: [server.host], dockerConfigPath: configPath });
    expect(pushed.blobs.map((b) => b.status)).toEqual(['pushed', 'pushed']);
    expect(tokenRequests.length).toBeGreaterThan(0);
    expect(tokenRequests.every((t) => t.basic === 'alice:s3cret')).toBe(true);
    expect(tokenRequests.some((t) => t.scopes.includes(`repository:${repository}:pull,push`))).toBe(true);

    const again = await pullImage(await freshStore(), source, { insecureRegistries: [server.host], dockerConfigPath: configPath });
    expect(again.digest).toBe(pushed.digest);
  });

  it('reports the token server refusing the credentials as authentication required', async () => {
    const { server } = await bearerRegistry('alice:s3cret');
    const configPath = await dockerConfig({ [server.host]: { username: 'alice', password: 'wrong' } });
    const pull = pullImage(await freshStore(), `${server.host}/${base.repository}:${base.tag}`, {
      insecureRegistries: [server.host],
      dockerConfigPath: configPath,
    });
    await expect(pull).rejects.toThrow(AuthenticationRequiredError);
    await expect(pull).rejects.toThrow(
      new RegExp(`authentication required for ${server.host}: the token server rejected the credentials from docker config`),
    );
  });
});

describe('Basic auth', () => {
  async function basicRegistry(): Promise<FaultServer> {
    const server = await startFaultServer({
      upstream: `http://${registryAddress()}`,
      handle: (req, res) =>
        basicOf(req) === 'bob:hunter2'
          ? 'proxy'
          : registryError(res, 401, 'UNAUTHORIZED', 'authentication required', { 'WWW-Authenticate': 'Basic realm="fault"' }),
    });
    servers.push(server);
    return server;
  }

  it('uses username and password from config.json auths', async () => {
    const server = await basicRegistry();
    const configPath = await dockerConfig({ [server.host]: { username: 'bob', password: 'hunter2' } });
    const result = await pullImage(await freshStore(), `${server.host}/${base.repository}:${base.tag}`, {
      insecureRegistries: [server.host],
      dockerConfigPath: configPath,
    });
    expect(result.digest).toBe(base.digest);
  });

  it('reads $DOCKER_CONFIG/config.json when no path is given', async () => {
    const server = await basicRegistry();
    const dir = await mkdtemp(join(work, 'docker-config-'));
    await writeFile(join(dir, 'config.json'), JSON.stringify({ auths: { [server.host]: { auth: Buffer.from('bob:hunter2').toString('base64') } } }));
    const saved = process.env.DOCKER_CONFIG;
    process.env.DOCKER_CONFIG = dir;
    try {
      const result = await pullImage(await freshStore(), `${server.host}/${base.repository}:${base.tag}`, { insecureRegistries: [server.host] });
      expect(result.digest).toBe(base.digest);
    } finally {
      if (saved === undefined) delete process.env.DOCKER_CONFIG;
      else process.env.DOCKER_CONFIG = saved;
    }
  });

  it('says authentication is required when the credentials are wrong, and stores nothing', async () => {
    const server = await basicRegistry();
    const configPath = await dockerConfig({ [server.host]: { username: 'bob', password: 'nope' } });
    const store = await freshStore();
    await expect(
      pullImage(store, `${server.host}/${base.repository}:${base.tag}`, { insecureRegistries: [server.host], dockerConfigPath: configPath }),
    ).rejects.toThrow(`authentication required for ${server.host}`);
    expect(await store.listRefs()).toEqual([]);
  });
});
