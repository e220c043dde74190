/**
 * A real HTTP server on 127.0.0.1 (random port) for registry failure tests.
 * By default it forwards every request to an upstream registry (the test
 * docker-registry), keeping the Host header so the registry's Location URLs
 * point back at this server. A test's `handle` function sees each request
 * first and may answer it itself (a wrong digest, a cut-off body, a 401, a
 * 503, a redirect) or return 'proxy' to let the real registry answer.
 */
import { createServer, request as httpRequest, type IncomingHttpHeaders, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface RecordedRequest {
  method: string;
  url: string;
  headers: IncomingHttpHeaders;
}

export interface UpstreamAnswer {
  status: number;
  headers: IncomingHttpHeaders;
  body: Buffer;
}

export interface FaultContext {
  body: Buffer;
  /** Ask the upstream registry and get its whole answer, to tamper with it. */
  upstream(): Promise<UpstreamAnswer>;
  /** How many requests with this method and path came before this one. */
  seen: number;
}

export type FaultHandler = (req: IncomingMessage, res: ServerResponse, ctx: FaultContext) => 'proxy' | void | Promise<'proxy' | void>;

export interface FaultServer {
  /** "127.0.0.1:PORT" */
  host: string;
  url: string;
  requests: RecordedRequest[];
  handle: FaultHandler;
  close(): Promise<void>;
}

export async function startFaultServer(options: { upstream?: string; handle?: FaultHandler } = {}): Promise<FaultServer> {
  const counts = new Map<string, number>();
  const server: FaultServer = {
    host: '',
    url: '',
    requests: [],
    handle: options.handle ?? (() => 'proxy'),
    close: async () => {},
  };
  const http = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      void (async () => {
        const body = Buffer.concat(chunks);
        server.requests.push({ method: req.method ?? '', url: req.url ?? '', headers: req.headers });
        const key = `${req.method} ${(req.url ?? '').split('?')[0]}`;
        const seen = counts.get(key) ?? 0;
        counts.set(key, seen + 1);
        const ctx: FaultContext = {
          body,
          seen,
          upstream: () => {
            if (!options.upstream) throw new Error('fault server has no upstream');
            return askUpstream(options.upstream, req, body);
          },
        };
        try {
          const verdict = await server.handle(req, res, ctx);
          if (verdict === 'proxy') {
            if (!options.upstream) throw new Error('fault server has no upstream to proxy to');
            const answer = await askUpstream(options.upstream, req, body);
            res.writeHead(answer.status, answer.headers);
            res.end(req.method === 'HEAD' ? undefined : answer.body);
          }
        } catch (err) {
          if (!res.headersSent) res.writeHead(599, { 'Content-Type': 'text/plain' });
          res.end(`fault server handler failed: ${(err as Error).message}`);
        }
      })();
    });
  });
  await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', resolve));
  const { port } = http.address() as AddressInfo;
  server.host = `127.0.0.1:${port}`;
  server.url = `http://${server.host}`;
  server.close = () =>
    new Promise<void>((resolve) => {
      http.closeAllConnections();
      http.close(() => resolve());
    });
  return server;
}

function askUpstream(upstream: string, req: IncomingMessage, body: Buffer): Promise<UpstreamAnswer> {
  const target = new URL(upstream);
  return new Promise((resolve, reject) => {
    const out = httpRequest(
      {
        host: target.hostname,
        port: target.port,
        method: req.method,
        path: req.url,
        // Keep Host: the registry builds Location URLs from it.
        headers: { ...req.headers, connection: 'close' },
      },
      (answer) => {
        const chunks: Buffer[] = [];
        answer.on('data', (c: Buffer) => chunks.push(c));
        answer.on('end', () => {
          const headers = { ...answer.headers };
          delete headers['transfer-encoding'];
          delete headers.connection;
          resolve({ status: answer.statusCode ?? 502, headers, body: Buffer.concat(chunks) });
        });
        answer.on('error', reject);
      },
    );
    out.on('error', reject);
    out.end(body.length > 0 ? body : undefined);
  });
}

/** A distribution-style error body. */
export function registryError(res: ServerResponse, status: number, code: string, message: string, headers: Record<string, string> = {}): void {
  const body = JSON.stringify({ errors: [{ code, message }] });
  res.writeHead(status, { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(body), ...headers });
  res.end(body);
}
