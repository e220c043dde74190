/**
 * --build-context NAME=SRC (BuildKit's named contexts): a directory stands in
 * for a stage or image name in COPY --from, and docker-image://REF or
 * oci-layout://DIR stand in for a FROM name.
 */
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { resolveImage } from '../../src/image/image.js';
import { saveImage } from '../../src/image/save.js';
import { build, BASE, changesOf, createBuildEnv, expectOk, writeContext, type BuildEnv } from './build-harness.js';

let env: BuildEnv;

beforeAll(async () => {
  env = await createBuildEnv();
});

afterAll(async () => {
  await env?.cleanup();
});

describe('--build-context', () => {
  it('a directory feeds COPY --from=NAME', async () => {
    const extra = await env.tempDir('extra');
    writeContext(extra, { 'conf/app.ini': 'mode=named\n' });
    const r = await build(env, {
      dockerfile: `FROM ${BASE}\nCOPY --from=settings conf/app.ini /etc/app.ini\n`,
      buildContexts: { settings: extra },
    });
    expectOk(r);
    expect(changesOf(r, 'COPY')).toContain('A file 0644 0:0 etc/app.ini');
  });

  it('docker-image://REF stands in for the name a FROM uses', async () => {
    const r = await build(env, {
      dockerfile: 'FROM base-alias\nRUN echo aliased > /aliased\n',
      buildContexts: { 'base-alias': `docker-image://${BASE}` },
    });
    expectOk(r);
    expect(r.image.diffIds[0]).toBe((await resolveImage(env.store, BASE)).diffIds[0]);
  });

  it('oci-layout://DIR loads the layout and builds FROM it', async () => {
    const layout = join(await env.tempDir('layout'), 'oci');
    await saveImage(env.store, await resolveImage(env.store, BASE), layout, 'oci');
    const r = await build(env, {
      dockerfile: 'FROM from-layout\nRUN echo from-layout > /from-layout\n',
      buildContexts: { 'from-layout': `oci-layout://${layout}` },
    });
    expectOk(r);
    expect(changesOf(r, 'RUN')).toContain('A file 0644 0:0 from-layout');
  });

  it('an empty layout is a clear error', async () => {
    const empty = await env.tempDir('empty-layout');
    writeContext(empty, { 'oci-layout': '{"imageLayoutVersion":"1.0.0"}', 'index.json': '{"schemaVersion":2,"manifests":[]}' });
    const r = await build(env, {
      dockerfile: 'FROM nothing-here\n',
      buildContexts: { 'nothing-here': `oci-layout://${empty}` },
    });
    expect(r.ok).toBe(false);
    expect(r.steps[0]!.failure?.message).toMatch(/the layout holds no image/);
  });
});
