/**
 * The build cache over real builds: a second build is fully cached and gives
 * the same image; a COPY re-runs when a source's content or mode changes but
 * not when only its mtime does; --no-cache runs everything; a miss says why.
 */
import { chmod, utimes, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BASE, build, createBuildEnv, expectOk, writeContext, type BuildEnv } from './build-harness.js';

let env: BuildEnv;
beforeAll(async () => {
  env = await createBuildEnv();
});
afterAll(async () => {
  await env?.cleanup();
});

const dockerfile = [
  `FROM ${BASE}`,
  'ARG FLAVOR=plain',
  'RUN echo $FLAVOR > /flavor',
  'COPY app/ /app/',
  'RUN ls -l /app > /listing',
  'ENV DONE=1',
  '',
].join('\n');

describe('build cache', () => {
  it('a second build is fully cached and makes the same image', async () => {
    const ctx = await env.tempDir('cache-ctx');
    writeContext(ctx, { 'app/main.sh': { file: 'echo main\n', mode: 0o755 }, 'app/data.txt': 'data\n' });
    const first = await build(env, { dockerfile, context: ctx });
    expectOk(first);
    expect(first.steps.map((s) => s.status)).toEqual(['done', 'config-only', 'done', 'done', 'done', 'config-only']);

    const second = await build(env, { dockerfile, context: ctx });
    expectOk(second);
    expect(second.steps.map((s) => s.status)).toEqual(['done', 'config-only', 'cached', 'cached', 'cached', 'config-only']);
    expect(second.image.diffIds).toEqual(first.image.diffIds);
    expect(second.history).toEqual(first.history);
    // The same config byte for byte: layer steps keep their first build's
    // time, config-only steps have none (BuildKit's exporter does the same).
    expect(second.image.id).toBe(first.image.id);
    const times = first.image.config.history!.slice(-5).map((h) => h.created);
    expect(times.map((t) => t === undefined)).toEqual([true, false, false, false, true]);
    expect(first.image.config.created).toBe(times[3]);
    // Cached steps still report what their layer holds.
    expect(second.changes[3]).toEqual(first.changes[3]);
    expect(second.events.filter((e) => e.type === 'step-done' && e.cached).map((e) => (e as { step: number }).step)).toEqual([2, 3, 4]);

    // mtime only: still cached.
    await utimes(join(ctx, 'app/data.txt'), new Date('2001-01-01'), new Date('2001-01-01'));
    const touched = await build(env, { dockerfile, context: ctx });
    expect(touched.steps.map((s) => s.status)).toEqual(['done', 'config-only', 'cached', 'cached', 'cached', 'config-only']);

    // Mode: the COPY and everything after it runs again.
    await chmod(join(ctx, 'app/data.txt'), 0o600);
    const moded = await build(env, { dockerfile, context: ctx });
    expectOk(moded);
    expect(moded.steps.map((s) => s.status)).toEqual(['done', 'config-only', 'cached', 'done', 'done', 'config-only']);
    expect(moded.steps[3]!.cacheMiss).toBe('the source files changed (content or metadata)');
    expect(moded.steps[4]!.cacheMiss).toBe('the layers below this step changed, so everything from here is rebuilt');
    expect(moded.changes[3]).toEqual(['A dir 0755 0:0 app', 'A file 0600 0:0 app/data.txt', 'A file 0755 0:0 app/main.sh']);

    // Content of the same size: runs again.
    await writeFile(join(ctx, 'app/data.txt'), 'DATA\n');
    const edited = await build(env, { dockerfile, context: ctx });
    expect(edited.steps.map((s) => s.status)).toEqual(['done', 'config-only', 'cached', 'done', 'done', 'config-only']);
    expect(edited.steps[3]!.cacheMiss).toBe('the source files changed (content or metadata)');
  });

  it('a changed build arg misses with the reason; --no-cache runs every step', async () => {
    const ctx = await env.tempDir('cache-args');
    writeContext(ctx, { 'app/x': 'x\n' });
    expectOk(await build(env, { dockerfile, context: ctx }));
    const other = await build(env, { dockerfile, context: ctx, buildArgs: { FLAVOR: 'spicy' } });
    expectOk(other);
    expect(other.steps[2]).toMatchObject({ status: 'done' });
    expect(other.steps[2]!.cacheMiss).toMatch(/build arg FLAVOR changed \(plain → spicy\)|instruction changed/);

    const cached = await build(env, { dockerfile, context: ctx });
    expectOk(cached);
    const noCache = await build(env, { dockerfile, context: ctx, noCache: true });
    expectOk(noCache);
    expect(noCache.steps.map((s) => s.status)).toEqual(['done', 'config-only', 'done', 'done', 'done', 'config-only']);
    expect(noCache.steps.every((s) => s.cacheMiss === undefined)).toBe(true);
    // Layers made anew carry the time they were made, not the cached one.
    const layerTimes = (r: typeof cached) => r.image.config.history!.filter((h) => !h.empty_layer).slice(-3).map((h) => Date.parse(h.created!));
    const before = layerTimes(cached);
    layerTimes(noCache).forEach((t, i) => expect(t).toBeGreaterThan(before[i]!));
  });

  it('an edited RUN line misses, saying the instruction changed', async () => {
    const first = await build(env, { dockerfile: `FROM ${BASE}\nRUN echo one > /n\n` });
    expectOk(first);
    const second = await build(env, { dockerfile: `FROM ${BASE}\nRUN echo two > /n\n` });
    expectOk(second);
    expect(second.steps[1]!.status).toBe('done');
    expect(second.steps[1]!.cacheMiss).toMatch(/^the instruction changed \(last built: RUN /);
  });
});
