/**
 * Multi-stage builds and failing steps, as real builds on the busybox base:
 * --target builds only what it needs, a stage FROM an earlier stage starts
 * from its state, and a failing RUN reports its exit code (in the event, the
 * step state and the exit status of `layerlab build`) and keeps its partial
 * writes visible through session.changes().
 */
import { readdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BASE, build, createBuildEnv, expectOk, type BuildEnv } from './build-harness.js';
import { layerlab } from '../image/cli-runner.js';

let env: BuildEnv;
beforeAll(async () => {
  env = await createBuildEnv();
});
afterAll(async () => {
  await env?.cleanup();
});

const multiStage = [
  `FROM ${BASE} AS base`,
  'ENV STAGE=base',
  'RUN echo base > /base',
  'FROM base AS middle',
  'RUN echo middle-$STAGE > /middle',
  `FROM ${BASE} AS unrelated`,
  'RUN echo unrelated > /unrelated',
  'FROM middle AS final',
  'COPY --from=unrelated /unrelated /copied',
  'CMD ["cat", "/middle"]',
  '',
].join('\n');

describe('multi-stage', () => {
  it('a stage FROM an earlier one continues from its layers and config', async () => {
    let middle: string | undefined;
    const r = await build(env, {
      dockerfile: multiStage,
      inspect: async (session) => {
        middle = session.readFile(8, '/middle')?.toString();
      },
    });
    expectOk(r);
    expect(r.steps.map((s) => `${s.stageName}:${s.keyword}:${s.status}`)).toEqual([
      'base:FROM:done',
      'base:ENV:config-only',
      'base:RUN:done',
      'middle:FROM:done',
      'middle:RUN:done',
      'unrelated:FROM:done',
      'unrelated:RUN:done',
      'final:FROM:done',
      'final:COPY:done',
      'final:CMD:config-only',
    ]);
    expect(middle).toBe('middle-base\n');
    expect(r.changes[8]).toEqual(['A file 0644 0:0 copied']);
    // base's layer + the three RUN/COPY layers of the chain base → middle → final.
    expect(r.image.diffIds).toHaveLength(4);
    expect(r.image.config.config?.Env).toContain('STAGE=base');
    expect(r.history).toEqual([
      'ENV STAGE=base (no layer)',
      'RUN /bin/sh -c echo base > /base # buildkit',
      'RUN /bin/sh -c echo middle-$STAGE > /middle # buildkit',
      'COPY /unrelated /copied # buildkit',
      'CMD ["cat" "/middle"] (no layer)',
    ]);
  });

  it('--target builds only the stages the target needs', async () => {
    const r = await build(env, { dockerfile: multiStage, target: 'middle' });
    expectOk(r);
    // The first test built base and middle: their RUNs come from the cache.
    expect(r.steps.map((s) => s.status)).toEqual([
      'done',
      'config-only',
      'cached',
      'done',
      'cached',
      'skipped',
      'skipped',
      'skipped',
      'skipped',
      'skipped',
    ]);
    expect(r.image.diffIds).toHaveLength(3);
    expect(r.image.config.config?.Cmd).toEqual(['sh']);
  });

  it('an unknown --target is bad input', async () => {
    await expect(build(env, { dockerfile: multiStage, target: 'nope' })).rejects.toThrow(/nope/);
  });
});

describe('a failing step', () => {
  const failing = `FROM ${BASE}\nRUN echo ok > /ok\nRUN echo partial > /partial && mkdir /pd && rm /bin/ls && echo to-stderr >&2 && exit 3\nRUN echo never > /never\n`;

  it('reports the exit code and keeps the partial writes until the session closes', async () => {
    let partialFile: string | undefined;
    const r = await build(env, {
      dockerfile: failing,
      inspect: async (session) => {
        partialFile = session.readFile(2, '/partial')?.toString();
      },
    });
    expect(r.ok).toBe(false);
    expect(r.steps.map((s) => s.status)).toEqual(['done', 'done', 'failed', 'pending']);
    expect(r.steps[2]!.failure).toMatchObject({ exitCode: 3, tail: ['to-stderr'] });
    expect(r.steps[2]!.failure?.message).toMatch(/Dockerfile:3: RUN \/bin\/sh -c echo partial .* exited with code 3/);
    const failed = r.events.find((e) => e.type === 'step-failed');
    expect(failed).toMatchObject({ type: 'step-failed', step: 2, line: 3, exitCode: 3 });
    expect(r.events.some((e) => e.type === 'done')).toBe(false);
    // From session.changes(2): the failed step's upper dir, kept until close().
    expect(r.changes[2]).toEqual(['D symlink bin/ls', 'A file 0644 0:0 partial', 'A dir 0755 0:0 pd']);
    expect(partialFile).toBe('partial\n');
    // close() removed the kept upper dir.
    expect((await readdir(env.store.tmpDir)).filter((n) => n.startsWith('run-'))).toEqual([]);
  });

  it('`layerlab build` exits 1 and names the step, the line and the exit code', async () => {
    const ctx = await env.tempDir('cli-ctx');
    await writeFile(join(ctx, 'Dockerfile'), failing);
    const result = await layerlab(['--root', env.store.root, 'build', '--progress', 'plain', ctx]);
    expect(result.code).toBe(1);
    expect(result.stderr).toContain(`error: step 3/4 (RUN, ${join(ctx, 'Dockerfile')}:3, exit code 3) failed`);
    const json = await layerlab(['--root', env.store.root, 'build', '--progress', 'json', ctx]);
    expect(json.code).toBe(1);
    const events = json.stdout.trim().split('\n').map((l) => JSON.parse(l) as { type: string; exitCode?: number });
    expect(events.filter((e) => e.type === 'step-failed')).toMatchObject([{ type: 'step-failed', exitCode: 3 }]);
  });

  it('a bad instruction is exit status 2', async () => {
    const ctx = await env.tempDir('cli-bad');
    await writeFile(join(ctx, 'Dockerfile'), `FROM ${BASE}\nCOPY missing.txt /x\n`);
    const result = await layerlab(['--root', env.store.root, 'build', '--progress', 'plain', ctx]);
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/missing\.txt/);
  });
});
