/** Pure parts of the registry client: header parsing, platform choice, endpoints, credentials, progress text. */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { afterAll, describe, expect, it } from 'vitest';
import { DockerConfigError, loadCredentials, normalizeAuthKey } from '../../../src/image/registry/docker-config.js';
import { isInsecureRegistry, mirrorEndpoint, pullEndpoints, registryEndpoint } from '../../../src/image/registry/endpoint.js';
import { parsePlatform, selectPlatformManifest } from '../../../src/image/registry/platform.js';
import { formatBytes, TransferProgressPrinter } from '../../../src/image/registry/progress.js';
import { parseWwwAuthenticate } from '../../../src/image/registry/www-authenticate.js';
import type { Descriptor } from '../../../src/image/oci-types.js';

describe('parseWwwAuthenticate', () => {
  it('reads a Bearer challenge with quoted params', () => {
    expect(
      parseWwwAuthenticate('Bearer realm="https://auth.docker.io/token",service="registry.docker.io",scope="repository:library/alpine:pull"'),
    ).toEqual([
      { scheme: 'bearer', params: { realm: 'https://auth.docker.io/token', service: 'registry.docker.io', scope: 'repository:library/alpine:pull' } },
    ]);
  });

  it('reads several challenges, unquoted values and escapes', () => {
    expect(parseWwwAuthenticate('Basic realm="a \\"b\\"", Bearer realm=https://x/t, error=invalid_token')).toEqual([
      { scheme: 'basic', params: { realm: 'a "b"' } },
      { scheme: 'bearer', params: { realm: 'https://x/t', error: 'invalid_token' } },
    ]);
  });

  it('keeps commas inside quoted scopes', () => {
    expect(parseWwwAuthenticate('Bearer realm="r",scope="repository:a/b:pull,push"')[0]!.params.scope).toBe('repository:a/b:pull,push');
  });
});

describe('selectPlatformManifest', () => {
  const d = (architecture: string, variant?: string, os = 'linux'): Descriptor => ({
    mediaType: 'application/vnd.oci.image.manifest.v1+json',
    digest: `sha256:${(architecture + (variant ?? '')).padEnd(64, '0').slice(0, 64).replace(/[^0-9a-f]/g, 'a')}`,
    size: 1,
    platform: { os, architecture, ...(variant ? { variant } : {}) },
  });

  it('matches os and architecture, and treats arm64 without variant as v8', () => {
    const list = [d('amd64', undefined, 'windows'), d('amd64'), d('arm64')];
    expect(selectPlatformManifest(list, { os: 'linux', architecture: 'amd64' })).toBe(list[1]);
    expect(selectPlatformManifest(list, { os: 'linux', architecture: 'arm64', variant: 'v8' })).toBe(list[2]);
  });

  it('prefers the exact arm variant, else the best lower one', () => {
    const list = [d('arm', 'v5'), d('arm', 'v6'), d('arm', 'v7')];
    expect(selectPlatformManifest(list, { os: 'linux', architecture: 'arm', variant: 'v7' })).toBe(list[2]);
    expect(selectPlatformManifest(list.slice(0, 2), { os: 'linux', architecture: 'arm', variant: 'v7' })).toBe(list[1]);
    expect(selectPlatformManifest([d('arm', 'v7')], { os: 'linux', architecture: 'arm', variant: 'v6' })).toBeUndefined();
  });

  it('parses --platform', () => {
    expect(parsePlatform('linux/arm64/v8')).toEqual({ os: 'linux', architecture: 'arm64', variant: 'v8' });
    expect(() => parsePlatform('amd64')).toThrow(/invalid platform "amd64"/);
  });
});

describe('endpoints', () => {
  it('uses plain HTTP only for registries listed as insecure, localhost included', () => {
    expect(registryEndpoint('127.0.0.1:5000', []).baseUrl).toBe('https://127.0.0.1:5000');
    expect(registryEndpoint('127.0.0.1:5000', ['127.0.0.1:5000']).baseUrl).toBe('http://127.0.0.1:5000');
    expect(registryEndpoint('localhost:5000', ['localhost']).baseUrl).toBe('http://localhost:5000');
    expect(isInsecureRegistry('reg:5000', ['reg:5001'])).toBe(false);
    expect(isInsecureRegistry('reg:5000', ['http://reg:5000/'])).toBe(true);
  });

  it('sends Docker Hub to registry-1.docker.io, after its mirrors', () => {
    expect(pullEndpoints('docker.io', { registryMirrors: ['https://mirror.example/'] }).map((e) => e.baseUrl)).toEqual([
      'https://mirror.example',
      'https://registry-1.docker.io',
    ]);
    expect(pullEndpoints('ghcr.io', { registryMirrors: ['https://mirror.example'] }).map((e) => e.baseUrl)).toEqual(['https://ghcr.io']);
    expect(() => mirrorEndpoint('mirror.example')).toThrow(/expected an http:\/\/ or https:\/\/ URL/);
  });
});

describe('docker config credentials', () => {
  const dirs: string[] = [];
  afterAll(async () => {
    for (const dir of dirs) await rm(dir, { recursive: true, force: true });
  });
  async function config(content: string): Promise<string> {
    const dir = await mkdtemp(join(tmpdir(), 'layerlab-docker-config-'));
    dirs.push(dir);
    await writeFile(join(dir, 'config.json'), content);
    return join(dir, 'config.json');
  }

  it('normalizes auth keys', () => {
    expect(normalizeAuthKey('https://index.docker.io/v1/')).toBe('docker.io');
    expect(normalizeAuthKey('http://127.0.0.1:5000/v2/')).toBe('127.0.0.1:5000');
  });

  it('reads base64 auth, username/password and registrytoken', async () => {
    const path = await config(
      JSON.stringify({
        auths: {
          'https://index.docker.io/v1/': { auth: Buffer.from('hub:pa:ss').toString('base64') },
          'reg.example:5000': { username: 'u', password: 'p' },
          'tok.example': { registrytoken: 't0k' },
        },
      }),
    );
    expect(await loadCredentials('docker.io', path)).toEqual({ username: 'hub', password: 'pa:ss' });
    expect(await loadCredentials('reg.example:5000', path)).toEqual({ username: 'u', password: 'p' });
    expect(await loadCredentials('tok.example', path)).toEqual({ registryToken: 't0k' });
    expect(await loadCredentials('other.example', path)).toBeUndefined();
    expect(await loadCredentials('docker.io', join(tmpdir(), 'no-such-dir-layerlab', 'config.json'))).toBeUndefined();
  });

  it('names the file when it is broken', async () => {
    const path = await config('{ not json');
    await expect(loadCredentials('docker.io', path)).rejects.toThrow(DockerConfigError);
    await expect(loadCredentials('docker.io', path)).rejects.toThrow(path);
  });
});

describe('TransferProgressPrinter', () => {
  function sink(): Writable & { text: string } {
    const s = new Writable({
      write(chunk: Buffer, _e, done) {
        s.text += chunk.toString();
        done();
      },
    }) as Writable & { text: string };
    s.text = '';
    return s;
  }
  const digest = `sha256:${'ab'.repeat(32)}`;

  it('prints plain lines when not on a TTY', () => {
    const out = sink();
    const printer = new TransferProgressPrinter(out, false);
    printer.listener({ type: 'start', direction: 'pull', reference: 'r', registry: 'x' });
    printer.listener({ type: 'blob-start', digest, size: 2_500_000, kind: 'layer' });
    printer.listener({ type: 'blob-progress', digest, size: 2_500_000, transferred: 1_000_000 });
    printer.listener({ type: 'blob-done', digest, size: 2_500_000, kind: 'layer', status: 'downloaded' });
    printer.finish();
    expect(out.text).toBe('Pulling r\nabababababab: Downloading 2.50 MB\nabababababab: Pull complete\n');
  });

  it('redraws one line per layer in place on a TTY', () => {
    const out = sink();
    const printer = new TransferProgressPrinter(out, true);
    printer.listener({ type: 'resolved', digest, mediaType: 'm', blobs: [{ digest, size: 100, kind: 'layer' }] });
    printer.listener({ type: 'blob-start', digest, size: 100, kind: 'layer' });
    printer.listener({ type: 'blob-done', digest, size: 100, kind: 'layer', status: 'already-present' });
    expect(out.text).toContain('\x1b[1A\r\x1b[2Kabababababab: Already exists\n');
    expect(out.text).toContain('abababababab: Downloading [');
  });

  it('formats sizes in SI units like docker', () => {
    expect(formatBytes(999)).toBe('999 B');
    expect(formatBytes(1_056_426)).toBe('1.06 MB');
    expect(formatBytes(52_400_000)).toBe('52.4 MB');
  });
});
