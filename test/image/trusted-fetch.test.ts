/**
 * NODE_EXTRA_CA_CERTS, deferred by bin/layerlab.js and trusted at the first
 * HTTPS request (src/image/trusted-fetch.ts). The registry is the real test
 * registry behind a TLS proxy on loopback whose certificate a throwaway CA
 * signed; only that CA makes it trusted.
 */
import { execFile, execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { connect, type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createServer, type Server } from 'node:tls';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ensureBuilt, layerlabBin } from '../helpers/built-cli.js';
import { testBaseImage, type TestBaseImage } from '../helpers/busybox-image.js';
import { ensureRegistry } from '../helpers/registry.js';

let release: () => Promise<void>;
let base: TestBaseImage;
let work: string;
let caFile: string;
let proxy: Server;
let httpsRef: string;

function makeCertificates(dir: string): { ca: string; key: string; cert: string } {
  const ssl = (...args: string[]) => execFileSync('openssl', args, { cwd: dir, stdio: 'pipe' });
  const ec = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'];
  ssl('req', '-x509', ...ec, '-keyout', 'ca.key', '-out', 'ca.pem', '-days', '2', '-subj', '/CN=layerlab test CA');
  ssl('req', ...ec, '-keyout', 'server.key', '-out', 'server.csr', '-subj', '/CN=127.0.0.1');
  writeFileSync(join(dir, 'san.ext'), 'subjectAltName=IP:127.0.0.1\n');
  ssl('x509', '-req', '-in', 'server.csr', '-CA', 'ca.pem', '-CAkey', 'ca.key', '-CAcreateserial', '-days', '2', '-extfile', 'san.ext', '-out', 'server.pem');
  return { ca: join(dir, 'ca.pem'), key: join(dir, 'server.key'), cert: join(dir, 'server.pem') };
}

/** TLS on 127.0.0.1, each connection piped to the plain-HTTP test registry. */
async function startTlsProxy(key: string, cert: string, upstream: string): Promise<Server> {
  const [host, port] = upstream.split(':') as [string, string];
  const server = createServer({ key: readFileSync(key), cert: readFileSync(cert) }, (client) => {
    const backend = connect(Number(port), host);
    client.pipe(backend).pipe(client);
    client.on('error', () => backend.destroy());
    backend.on('error', () => client.destroy());
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return server;
}

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs the CLI with `runner`: the bin as a program (its sh lines run) or `node bin/layerlab.js`. */
function layerlab(runner: 'program' | 'node', env: Record<string, string | undefined>, ...argv: string[]): Promise<Run> {
  const [file, args] = runner === 'program' ? [layerlabBin, argv] : [process.execPath, [layerlabBin, ...argv]];
  const childEnv: NodeJS.ProcessEnv = { ...process.env };
  delete childEnv.NODE_EXTRA_CA_CERTS;
  for (const [name, value] of Object.entries(env)) {
    if (value === undefined) delete childEnv[name];
    else childEnv[name] = value;
  }
  return new Promise((resolve) => {
    execFile(file, args, { env: childEnv, encoding: 'utf8' }, (err, stdout, stderr) => {
      const code = err ? (typeof err.code === 'number' ? err.code : 1) : 0;
      resolve({ code, stdout, stderr });
    });
  });
}

beforeAll(async () => {
  ensureBuilt();
  release = await ensureRegistry();
  base = await testBaseImage();
  work = mkdtempSync(join(tmpdir(), 'layerlab-trusted-fetch-test-'));
  const certs = makeCertificates(work);
  caFile = certs.ca;
  proxy = await startTlsProxy(certs.key, certs.cert, base.registry);
  httpsRef = base.ref.replace(base.registry, `127.0.0.1:${(proxy.address() as AddressInfo).port}`);
}, 60_000);
afterAll(async () => {
  await new Promise((resolve) => proxy?.close(resolve));
  rmSync(work, { recursive: true, force: true });
  await release();
});

describe('NODE_EXTRA_CA_CERTS', () => {
  it('is not read at start-up when the bin runs as a program, and is when Node runs it', async () => {
    // Node reports a file it cannot load as it starts; the deferred one is never read by --version.
    const missing = join(work, 'no-such-ca.pem');
    const program = await layerlab('program', { NODE_EXTRA_CA_CERTS: missing }, '--version');
    expect(program.code).toBe(0);
    expect(program.stderr).toBe('');
    const node = await layerlab('node', { NODE_EXTRA_CA_CERTS: missing }, '--version');
    expect(node.code).toBe(0);
    expect(node.stderr).toContain(`Ignoring extra certs from \`${missing}\``);
  });

  it('is trusted for a pull over HTTPS, deferred or not', async () => {
    for (const runner of ['program', 'node'] as const) {
      const root = join(work, `pull-${runner}`);
      const run = await layerlab(runner, { NODE_EXTRA_CA_CERTS: caFile }, '--root', root, 'pull', httpsRef);
      expect(run.stderr, runner).toBe('');
      expect(run.code, runner).toBe(0);
      expect(run.stdout, runner).toContain(`Digest: ${base.digest}`);
    }
  });

  it('without it the pull fails on the certificate, and a file with no certificate is reported and ignored', async () => {
    const none = await layerlab('program', {}, '--root', join(work, 'untrusted'), 'pull', httpsRef);
    expect(none.code).toBe(2);
    expect(none.stderr).toMatch(/TLS failed \(.*(certificate|self.signed|issuer)/i);

    const empty = join(work, 'empty.pem');
    writeFileSync(empty, 'not a certificate\n');
    const bad = await layerlab('program', { NODE_EXTRA_CA_CERTS: empty }, '--root', join(work, 'bad-ca'), 'pull', httpsRef);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain(`Ignoring extra certs from \`${empty}\`, load failed: no PEM certificate in it`);
    expect(bad.stderr).toMatch(/TLS failed/);
  });
});
