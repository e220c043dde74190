/**
 * ADD of an http(s) URL against a real server on 127.0.0.1, downloaded with
 * Node's global fetch: file name from the URL, mode 0600, mtime from
 * Last-Modified, --checksum, --unpack, and the errors.
 */
import { createHash } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import { lstatSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  checksumSources,
  copyFiles,
  CopyOptionError,
  RemoteSourceError,
  UnsupportedSourceError,
  type CopyRequest,
} from '../../../src/engine/copy/index.js';
import { contextAndRootfsPerTest, makeTree, readTree, shape, tarOf } from './tree-fixture.js';

const TOOL = '#!/bin/sh\necho tool\n';
const LAST_MODIFIED = 'Wed, 21 Oct 2015 07:28:00 GMT';
let tarball: Buffer;
let server: Server;
let base: string;
let requests = 0;

beforeAll(async () => {
  tarball = gzipSync(await tarOf([{ name: 'inside.txt', mode: 0o644, body: 'inside' }]));

  server = createServer((req, res) => {
    requests++;
    if (req.url === '/files/tool.sh') {
      res.writeHead(200, { 'Last-Modified': LAST_MODIFIED, 'Content-Type': 'text/plain' });
      res.end(TOOL);
    } else if (req.url === '/dist/app.tar.gz') {
      res.writeHead(200);
      res.end(tarball);
    } else if (req.url === '/') {
      res.writeHead(200);
      res.end('index');
    } else {
      res.writeHead(404, 'Not Found');
      res.end('nope');
    }
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  if (address === null || typeof address === 'string') throw new Error('server has no port');
  base = `http://127.0.0.1:${address.port}`;
});
afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

const { context, rootfs } = contextAndRootfsPerTest();

function add(request: Partial<CopyRequest> & Pick<CopyRequest, 'sources' | 'dest'>) {
  return copyFiles({ source: { kind: 'context', root: context.path }, workdir: '/', destRoot: rootfs.path, isAdd: true, ...request });
}

const sha256 = (data: string | Buffer): string => `sha256:${createHash('sha256').update(data).digest('hex')}`;

describe('ADD of a URL', () => {
  it('names the file after the URL path in a directory, 0600, mtime from Last-Modified', async () => {
    const result = await add({ sources: [`${base}/files/tool.sh`], dest: '/opt/' });
    const tree = readTree(rootfs.path);
    expect(tree['opt/tool.sh']).toMatchObject({ content: TOOL, mode: '0600', owner: '0:0' });
    expect(lstatSync(join(rootfs.path, 'opt/tool.sh')).mtimeMs).toBe(Date.parse(LAST_MODIFIED));
    expect(result.copied).toEqual([{ from: `${base}/files/tool.sh`, to: '/opt/tool.sh' }]);
  });

  it('writes to the destination path itself without a slash, with --chown and --chmod', async () => {
    await add({ sources: [`${base}/files/tool.sh`], dest: '/usr/local/bin/tool', chown: { uid: 5, gid: 6 }, chmod: '755' });
    expect(readTree(rootfs.path)['usr/local/bin/tool']).toMatchObject({ content: TOOL, mode: '0755', owner: '5:6' });
  });

  it('calls a file from a URL without a path __unnamed__', async () => {
    await add({ sources: [`${base}/`], dest: '/d/' });
    expect(shape(readTree(rootfs.path))).toEqual({ d: 'dir', 'd/__unnamed__': 'index' });
  });

  it('does not unpack a remote archive unless --unpack=true', async () => {
    await add({ sources: [`${base}/dist/app.tar.gz`], dest: '/kept/' });
    await add({ sources: [`${base}/dist/app.tar.gz`], dest: '/unpacked/', addOptions: { unpack: true } });
    expect(shape(readTree(rootfs.path))).toMatchObject({ 'kept/app.tar.gz': expect.any(String), 'unpacked/inside.txt': 'inside' });
    expect(readTree(rootfs.path)['unpacked/app.tar.gz']).toBeUndefined();
  });

  it('verifies --checksum before writing', async () => {
    await add({ sources: [`${base}/files/tool.sh`], dest: '/ok/', addOptions: { checksum: sha256(TOOL) } });
    expect(shape(readTree(rootfs.path))['ok/tool.sh']).toBe(TOOL);
    const wrong = sha256('something else');
    const failure = add({ sources: [`${base}/files/tool.sh`], dest: '/bad/', addOptions: { checksum: wrong } });
    await expect(failure).rejects.toThrow(RemoteSourceError);
    await expect(add({ sources: [`${base}/files/tool.sh`], dest: '/bad/', addOptions: { checksum: wrong } })).rejects.toThrow(
      `checksum mismatch for ${base}/files/tool.sh: expected ${wrong}, got ${sha256(TOOL)}`,
    );
    expect(readTree(rootfs.path)['bad']).toBeUndefined();
    await expect(add({ sources: [`${base}/files/tool.sh`], dest: '/x', addOptions: { checksum: 'md5:abc' } })).rejects.toThrow(
      /invalid checksum digest format/,
    );
  });

  it('refuses --checksum where BuildKit does', async () => {
    makeTree(context.path, { 'local.txt': 'l' });
    const checksum = sha256(TOOL);
    await expect(add({ sources: ['local.txt'], dest: '/x', addOptions: { checksum } })).rejects.toThrow('checksum requires HTTP(S) or Git sources');
    await expect(add({ sources: [`${base}/files/tool.sh`, 'local.txt'], dest: '/x/', addOptions: { checksum } })).rejects.toThrow(
      "checksum can't be specified for multiple sources",
    );
    await expect(add({ sources: [`${base}/files/tool.sh`], dest: '/x', isAdd: false, addOptions: { checksum } })).rejects.toThrow(CopyOptionError);
  });

  it('reports a failed download with its status', async () => {
    await expect(add({ sources: [`${base}/missing`], dest: '/x' })).rejects.toThrow(
      `ADD failed: failed to download ${base}/missing: invalid response status 404 Not Found`,
    );
    await expect(add({ sources: ['http://127.0.0.1:1/refused'], dest: '/x' })).rejects.toThrow(RemoteSourceError);
  });

  it('refuses URLs in COPY and git sources', async () => {
    await expect(add({ sources: [`${base}/files/tool.sh`], dest: '/x', isAdd: false })).rejects.toThrow("source can't be a URL for COPY");
    await expect(add({ sources: ['https://github.com/moby/buildkit.git'], dest: '/src' })).rejects.toThrow(UnsupportedSourceError);
    await expect(add({ sources: ['git@github.com:moby/buildkit.git'], dest: '/src' })).rejects.toThrow(/git sources are not supported yet/);
  });

  it('checksums a URL by its --checksum, or else by its content', async () => {
    const source = { kind: 'context' as const, root: context.path };
    const before = requests;
    const pinned = await checksumSources(source, [`${base}/files/tool.sh`], { isAdd: true, addOptions: { checksum: sha256(TOOL) } });
    expect(requests).toBe(before);
    const fetched = await checksumSources(source, [`${base}/files/tool.sh`], { isAdd: true });
    expect(requests).toBe(before + 1);
    expect(fetched).not.toBe(pinned);
    expect(await checksumSources(source, [`${base}/files/tool.sh`], { isAdd: true })).toBe(fetched);
    expect(await checksumSources(source, [`${base}/dist/app.tar.gz`], { isAdd: true })).not.toBe(fetched);
  });
});
