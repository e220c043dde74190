/**
 * The CLI contract of DESIGN.md around a build, run as a user runs it:
 * `build --progress json` events, exit statuses 0/1/2 with their messages,
 * then `history`, `diff` and `analyze` on the image it made.
 */
import { execFile } from 'node:child_process';
import { cp, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { importRootfs } from '../../src/image/import-rootfs.js';
import { Store } from '../../src/image/store.js';
import { buildBusyboxImage } from '../helpers/busybox-image.js';
import { ensureBuilt, layerlabBin } from '../helpers/built-cli.js';

const bin = layerlabBin;
let root: string;
let context: string;

function layerlab(args: string[], input?: string): Promise<{ stdout: string; stderr: string; code: number }> {
  return new Promise((resolve) => {
    const child = execFile(
      process.execPath,
      [bin, '--root', join(root, 'store'), ...args],
      { maxBuffer: 64 << 20 },
      (err, stdout, stderr) => resolve({ stdout, stderr, code: err ? ((err as { code?: number }).code ?? 1) : 0 }),
    );
    if (input !== undefined) child.stdin!.end(input);
  });
}

beforeAll(async () => {
  ensureBuilt();
  root = await mkdtemp(join(tmpdir(), 'll-cli-build-'));
  const store = await Store.open(join(root, 'store'));
  await importRootfs(store, (await buildBusyboxImage()).rootfsTar, 'layerlab/busybox:latest');
  // The bundled example, with its deliberate failure fixed.
  context = join(root, 'example');
  await cp(join(process.cwd(), 'examples'), context, { recursive: true });
  const text = await readFile(join(context, 'Dockerfile'), 'utf8');
  await writeFile(join(context, 'Dockerfile.fixed'), text.replace("RUN grep '^mode=' config.ini", "RUN echo mode=demo > config.ini && grep '^mode=' config.ini"));
});

afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});

describe('layerlab build', () => {
  it('prints one JSON event a line and names the image', async () => {
    const r = await layerlab(['build', '-f', join(context, 'Dockerfile.fixed'), '-t', 'example:fixed', '--progress', 'json', context]);
    expect(r.code).toBe(0);
    const events = r.stdout.trim().split('\n').map((l) => JSON.parse(l));
    const types = new Set(events.map((e) => e.type));
    expect([...types].sort()).toEqual(['done', 'log', 'plan', 'step-done', 'step-start']);
    const done = events.filter((e) => e.type === 'step-done');
    expect(done).toHaveLength(12);
    const run = done[4];
    expect(run).toMatchObject({ cached: false, configOnly: false, added: 3, modified: 0, deleted: 0 });
    expect(run.layer.digest).toMatch(/^sha256:[0-9a-f]{64}$/);
    expect(run.layer.diffId).toMatch(/^sha256:[0-9a-f]{64}$/);
    expect(done[6]).toMatchObject({ deleted: 1 });
    expect(done[1]).toMatchObject({ configOnly: true });
    expect(events.at(-1)).toMatchObject({ type: 'done', tags: ['docker.io/library/example:fixed'] });
    expect(events.at(-1).imageId).toMatch(/^sha256:/);
  });

  it('is fully cached the second time', async () => {
    const r = await layerlab(['build', '-f', join(context, 'Dockerfile.fixed'), '--progress', 'json', context]);
    expect(r.code).toBe(0);
    const done = r.stdout.trim().split('\n').map((l) => JSON.parse(l)).filter((e) => e.type === 'step-done');
    const layered = done.filter((e) => !e.configOnly && e.step > 0);
    expect(layered.every((e) => e.cached)).toBe(true);
  });

  it('exits 1 naming the step, the line and the exit code when a RUN fails', async () => {
    const r = await layerlab(['build', '--progress', 'plain', context]);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/error: step 9\/12 \(RUN, .*Dockerfile:34, exit code 2\) failed/);
    expect(r.stderr).toMatch(/config\.ini: No such file or directory/);
  });

  it('exits 1 with a step-failed event in JSON mode', async () => {
    const r = await layerlab(['build', '--progress', 'json', context]);
    expect(r.code).toBe(1);
    const failed = r.stdout.trim().split('\n').map((l) => JSON.parse(l)).find((e) => e.type === 'step-failed');
    expect(failed).toMatchObject({ step: 8, line: 34, exitCode: 2 });
  });

  it('exits 2 with FILE:LINE for a Dockerfile that does not parse', async () => {
    await writeFile(join(root, 'Bad.Dockerfile'), 'FROM layerlab/busybox\nCOPY --nope=1 a b\n');
    const r = await layerlab(['build', '-f', join(root, 'Bad.Dockerfile'), context]);
    expect(r.code).toBe(2);
    expect(r.stderr.trim()).toMatch(/Bad\.Dockerfile:2: .*nope/);
    expect(r.stderr).not.toMatch(/\bat .*\.js:\d+/);
  });

  it('reads the Dockerfile from stdin with -f -', async () => {
    const r = await layerlab(['build', '-f', '-', '--progress', 'plain', context], 'FROM layerlab/busybox\nRUN echo hi > /hi\n');
    expect(r.code).toBe(0);
    expect(r.stdout.trim()).toMatch(/^sha256:[0-9a-f]{64}$/);
  });
});

describe('inspecting the image', () => {
  it('history lists every instruction with BuildKit wording', async () => {
    const r = await layerlab(['history', '--json', 'example:fixed']);
    expect(r.code).toBe(0);
    const { history } = JSON.parse(r.stdout);
    const createdBy = history.map((h: { createdBy: string }) => h.createdBy);
    expect(createdBy).toContain('ENV APP_HOME=/app GREETING=hello');
    expect(createdBy).toContain('WORKDIR /app');
    expect(createdBy).toContain('COPY app/ ./ # buildkit');
    expect(createdBy).toContain('EXPOSE [8080/tcp]');
    expect(createdBy.at(-1)).toBe('CMD ["sh" "/app/run.sh"]');
    expect(history.filter((h: { emptyLayer: boolean }) => !h.emptyLayer)).toHaveLength(7);
  });

  it('diff shows one layer, and a range nets out what a later layer deleted', async () => {
    const one = await layerlab(['diff', 'example:fixed', '--layer', '4']);
    expect(one.code).toBe(0);
    expect(one.stdout).toMatch(/- \/app\/data\/numbers\.txt/);
    const range = await layerlab(['diff', 'example:fixed', '--range', '2..4', '--json']);
    const paths = JSON.parse(range.stdout).sections[0].rows.map((r: { path: string }) => r.path);
    expect(paths).toContain('/app/data/greeting.txt');
    expect(paths).not.toContain('/app/data/numbers.txt');
    const bad = await layerlab(['diff', 'example:fixed', '--range', '5..2']);
    expect(bad.code).toBe(2);
  });

  it('analyze attributes the wasted bytes and fails --ci below the threshold', async () => {
    const r = await layerlab(['analyze', '--json', 'example:fixed']);
    const report = JSON.parse(r.stdout);
    const numbers = report.paths.find((p: { path: string }) => p.path === 'app/data/numbers.txt');
    expect(numbers.versions).toEqual([{ writtenBy: 2, hiddenBy: 4, size: numbers.wastedBytes }]);
    expect((await layerlab(['analyze', '--ci', '--lowest-efficiency', '0.5', 'example:fixed'])).code).toBe(0);
    expect((await layerlab(['analyze', '--ci', '--lowest-efficiency', '0.9999', 'example:fixed'])).code).toBe(1);
  });
});
