/**
 * The destination side is a rootfs the image controls: its symlinks must
 * resolve inside destRoot as if chrooted, so that no COPY can write on the
 * host. Each test uses a unique name and checks the host path stays absent.
 */
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, symlinkSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { copyFiles, DestinationError, type CopyRequest } from '../../../src/engine/copy/index.js';
import { makeTree, readTree, shape, tempDir } from './tree-fixture.js';

let context: ReturnType<typeof tempDir>;
let rootfs: ReturnType<typeof tempDir>;
let unique: string;

beforeEach(() => {
  context = tempDir('ctx');
  rootfs = tempDir('rootfs');
  unique = `layerlab-escape-${randomBytes(6).toString('hex')}`;
  makeTree(context.path, { [unique]: 'payload', [`dir/${unique}`]: 'payload', 'dir/sub/inner': 'i' });
});
afterEach(() => {
  context.cleanup();
  rootfs.cleanup();
});

function copy(request: Partial<CopyRequest> & Pick<CopyRequest, 'sources' | 'dest'>) {
  return copyFiles({ source: { kind: 'context', root: context.path }, workdir: '/', destRoot: rootfs.path, ...request });
}

describe('symlinks in the image cannot lead a copy out of the rootfs', () => {
  it('an absolute directory link (/app -> /etc) resolves to <root>/etc', async () => {
    symlinkSync('/etc', join(rootfs.path, 'app'));
    await copy({ sources: [unique], dest: '/app/' });
    expect(existsSync(join('/etc', unique))).toBe(false);
    expect(shape(readTree(rootfs.path))).toEqual({ app: '-> /etc', etc: 'dir', [`etc/${unique}`]: 'payload' });
  });

  it('a relative link climbing above the root (../../..) stops at the root', async () => {
    symlinkSync('../../../../..', join(rootfs.path, 'up'));
    await copy({ sources: [unique], dest: '/up/tmp/' });
    expect(existsSync(join('/tmp', unique))).toBe(false);
    expect(shape(readTree(rootfs.path))[`tmp/${unique}`]).toBe('payload');
  });

  it('a destination file that is a link to a host path is replaced inside the root', async () => {
    mkdirSync(join(rootfs.path, 'app'));
    symlinkSync(`/tmp/${unique}.host`, join(rootfs.path, 'app/config'));
    await copy({ sources: [unique], dest: '/app/config' });
    expect(existsSync(`/tmp/${unique}.host`)).toBe(false);
    expect(shape(readTree(rootfs.path))[`tmp/${unique}.host`]).toBe('payload');
  });

  it('a relative workdir resolves through links inside the root', async () => {
    symlinkSync('../../../tmp', join(rootfs.path, 'work'));
    await copy({ sources: [unique], dest: 'x/', workdir: '/work' });
    expect(existsSync(join('/tmp/x', unique))).toBe(false);
    expect(shape(readTree(rootfs.path))[`tmp/x/${unique}`]).toBe('payload');
  });

  it('a link met inside a directory copy is replaced for a file, refused for a directory, never followed', async () => {
    mkdirSync(join(rootfs.path, 'd'));
    symlinkSync(`/tmp/${unique}.file`, join(rootfs.path, 'd', unique));
    await copy({ sources: ['dir'], dest: '/d', excludePatterns: ['sub'] });
    expect(existsSync(`/tmp/${unique}.file`)).toBe(false);
    expect(readTree(rootfs.path)[`d/${unique}`]).toMatchObject({ type: 'file', content: 'payload' });

    symlinkSync('/tmp', join(rootfs.path, 'd', 'sub'));
    await expect(copy({ sources: ['dir'], dest: '/d' })).rejects.toThrow(DestinationError);
    await expect(copy({ sources: ['dir'], dest: '/d' })).rejects.toThrow(/cannot copy to non-directory: \/d\/sub/);
    expect(existsSync('/tmp/inner')).toBe(false);
  });

  it('a link loop is an error, not a hang', async () => {
    symlinkSync('/b', join(rootfs.path, 'a'));
    symlinkSync('/a', join(rootfs.path, 'b'));
    await expect(copy({ sources: [unique], dest: '/a/' })).rejects.toThrow(/too many levels of symbolic links/);
  });
});
