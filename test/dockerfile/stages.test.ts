import { describe, expect, it } from 'vitest';
import { InstructionError } from '../../src/dockerfile/errors.js';
import { parseDockerfile } from '../../src/dockerfile/parser.js';
import type { Platform } from '../../src/dockerfile/platform.js';
import { StageTargetError, findStage, parseStages, type ParseStagesOptions } from '../../src/dockerfile/stages.js';

const AMD64: Platform = { os: 'linux', architecture: 'amd64' };
const ARM64: Platform = { os: 'linux', architecture: 'arm64' };

function stagesOf(text: string, options: Partial<ParseStagesOptions> = {}) {
  return parseStages(parseDockerfile(text), { buildPlatform: AMD64, ...options });
}

function errorOf(fn: () => unknown): Error {
  try {
    fn();
  } catch (error) {
    return error as Error;
  }
  throw new Error('expected an error');
}

describe('stages', () => {
  it('numbers stages, lowercases names and names unnamed ones like BuildKit', () => {
    const { stages, target } = stagesOf('FROM alpine AS Base\nRUN true\nFROM base\nFROM scratch AS out\nCOPY --from=1 / /\n');
    expect(stages.map((s) => [s.index, s.name, s.displayName])).toEqual([
      [0, 'base', 'base'],
      [1, undefined, 'stage-1'],
      [2, 'out', 'out'],
    ]);
    expect(stages.map((s) => s.base)).toEqual([
      { kind: 'image', ref: 'alpine' },
      { kind: 'stage', index: 0 },
      { kind: 'scratch' },
    ]);
    expect(stages[0]!.instructions.map((i) => i.kind)).toEqual(['run']);
    expect(target.index).toBe(2);
  });

  it('keeps instructions unexpanded and in order', () => {
    const { stages } = stagesOf('FROM alpine\nARG V=1\nENV X=$V\nRUN echo $X\n');
    expect(stages[0]!.instructions).toMatchObject([
      { kind: 'arg', args: [{ key: 'V', defaultValue: '1' }] },
      { kind: 'env', pairs: [{ key: 'X', value: '$V' }] },
      { kind: 'run', args: ['echo $X'] },
    ]);
  });

  it('rejects instructions before the first FROM other than ARG, and files with no FROM', () => {
    const early = errorOf(() => stagesOf('ARG A\nRUN true\nFROM alpine\n'));
    expect(early).toBeInstanceOf(InstructionError);
    expect(early.message).toBe('Dockerfile:2: no build stage in current context');
    expect(errorOf(() => stagesOf('ARG A=1\n')).message).toMatch(/dockerfile contains no stages to build/);
  });

  it('warns about duplicate stage names; later references see the last one', () => {
    const result = stagesOf('FROM alpine AS a\nFROM busybox AS a\nFROM scratch\nCOPY --from=a / /\n');
    expect(result.warnings).toMatchObject([{ startLine: 2, message: expect.stringMatching(/Duplicate stage name "a"/) }]);
    expect(result.stages[2]!.dependencies).toMatchObject([{ via: 'copy', source: { kind: 'stage', index: 1 } }]);
  });
});

describe('global ARGs and FROM', () => {
  it('expands FROM with global ARGs, defaults and build-arg overrides', () => {
    const text = 'ARG REGISTRY=docker.io\nARG TAG=3.19\nARG IMAGE=$REGISTRY/library/alpine:$TAG\nFROM $IMAGE\n';
    expect(stagesOf(text).stages[0]!.baseName).toBe('docker.io/library/alpine:3.19');
    const overridden = stagesOf(text, { buildArgs: { TAG: 'edge' } });
    expect(overridden.stages[0]!.baseName).toBe('docker.io/library/alpine:edge');
    expect(overridden.stages[0]!.usedGlobalArgs).toEqual(['IMAGE']);
    expect(overridden.globalArgs.get('TAG')).toBe('edge');
  });

  it('a build arg overrides a global ARG even when its default uses other ARGs', () => {
    const result = stagesOf('ARG A=1\nARG B=$A-x\nFROM alpine:$B\n', { buildArgs: new Map([['B', 'fixed']]) });
    expect(result.stages[0]!.baseName).toBe('alpine:fixed');
  });

  it('FROM sees only global ARGs, not ARGs or ENV of earlier stages', () => {
    const result = stagesOf('ARG V=global\nFROM alpine AS one\nARG V=stage\nENV W=env\nFROM busybox:$V$W\n');
    expect(result.stages[1]!.baseName).toBe('busybox:global');
  });

  it('an ARG declared after the first FROM is not global', () => {
    const error = errorOf(() => stagesOf('FROM alpine\nARG IMG=busybox\nFROM $IMG\n'));
    expect(error).toBeInstanceOf(InstructionError);
    expect(error.message).toBe('Dockerfile:3: base name ($IMG) should not be blank');
  });

  it('expands and normalises --platform with the automatic platform ARGs', () => {
    const result = stagesOf(
      'FROM --platform=$BUILDPLATFORM golang AS build\nFROM --platform=${TARGETPLATFORM} alpine\nFROM --platform=linux/aarch64 alpine\n',
      { targetPlatform: { os: 'linux', architecture: 'arm', variant: 'v7' } },
    );
    expect(result.stages.map((s) => s.platform)).toEqual(['linux/amd64', 'linux/arm/v7', 'linux/arm64']);
    expect(result.stages[0]!.usedGlobalArgs).toEqual(['BUILDPLATFORM']);
    expect(result.globalArgs.get('TARGETARCH')).toBe('arm');
    expect(result.globalArgs.get('TARGETVARIANT')).toBe('v7');
    expect(result.globalArgs.get('BUILDOS')).toBe('linux');
  });

  it('rejects an empty or unparsable platform', () => {
    expect(errorOf(() => stagesOf('FROM --platform=$NOPE alpine\n')).message).toBe(
      'Dockerfile:1: empty platform value from expression $NOPE',
    );
    expect(errorOf(() => stagesOf('FROM --platform=linux/z80 alpine\n')).message).toMatch(
      /^Dockerfile:1: failed to parse platform linux\/z80: .*unknown architecture/,
    );
  });

  it('sets TARGETSTAGE to the target', () => {
    const result = stagesOf('FROM alpine AS a\nFROM alpine AS b\n', { target: 'A' });
    expect(result.globalArgs.get('TARGETSTAGE')).toBe('A');
    expect(stagesOf('FROM alpine AS a\nFROM alpine AS b\n').globalArgs.get('TARGETSTAGE')).toBe('b');
  });

  it('looks FROM <stage> up as written, as BuildKit does', () => {
    const result = stagesOf('FROM alpine AS build\nFROM build\nFROM Build\n');
    expect(result.stages[1]!.base).toEqual({ kind: 'stage', index: 0 });
    expect(result.stages[2]!.base).toEqual({ kind: 'image', ref: 'Build' });
  });
});

describe('the dependency graph and --target', () => {
  const text = [
    'FROM golang AS deps', // 0
    'RUN go mod download',
    'FROM deps AS build', // 1
    'RUN --mount=type=cache,target=/root/.cache,from=cachebase go build',
    'FROM alpine AS cachebase', // 2
    'FROM alpine AS docs', // 3
    'RUN make docs',
    'FROM alpine AS tools', // 4
    'FROM scratch AS final', // 5
    'COPY --from=build /out/app /app',
    'COPY --from=4 /bin/tool /tool',
    'COPY --from=nginx:1.25 /etc/nginx /etc/nginx',
    '',
  ].join('\n');

  it('records FROM, COPY --from (name, index, image) and RUN --mount from=', () => {
    const { stages } = stagesOf(text, { target: 'docs' });
    expect(stages[1]!.dependencies).toEqual([
      { startLine: 3, endLine: 3, via: 'from', reference: 'deps', source: { kind: 'stage', index: 0 } },
      { startLine: 4, endLine: 4, via: 'mount', reference: 'cachebase', source: { kind: 'stage', index: 2 } },
    ]);
    expect(stages[5]!.dependencies).toEqual([
      { startLine: 10, endLine: 10, via: 'copy', reference: 'build', source: { kind: 'stage', index: 1 } },
      { startLine: 11, endLine: 11, via: 'copy', reference: '4', source: { kind: 'stage', index: 4 } },
      { startLine: 12, endLine: 12, via: 'copy', reference: 'nginx:1.25', source: { kind: 'image', ref: 'nginx:1.25' } },
    ]);
  });

  it('builds only what the target needs, in file order', () => {
    expect(stagesOf(text, { target: 'docs' }).buildOrder.map((s) => s.displayName)).toEqual(['docs']);
    expect(stagesOf(text, { target: 'DEPS' }).buildOrder.map((s) => s.displayName)).toEqual(['deps']);
  });

  it('a stage that mounts a later stage cannot be built', () => {
    const error = errorOf(() => stagesOf(text, { target: 'build' }));
    expect(error).toBeInstanceOf(InstructionError);
    expect(error.message).toBe(
      'Dockerfile:4: cannot mount from stage "cachebase" to "build", stage needs to be defined before current command',
    );
  });

  it('a stage cannot copy from itself or a later stage', () => {
    expect(errorOf(() => stagesOf('FROM alpine\nCOPY --from=0 / /\n')).message).toBe(
      'Dockerfile:2: cannot copy from stage "0", it needs to be defined before current stage "stage-0"',
    );
    expect(errorOf(() => stagesOf('FROM alpine AS a\nCOPY --from=B / /\nFROM alpine AS b\nFROM a\n')).message).toBe(
      'Dockerfile:2: cannot copy from stage "B", it needs to be defined before current stage "a"',
    );
  });

  it('defaults to the last stage and follows the chain', () => {
    const fixed = text.replace('from=cachebase', 'from=deps');
    expect(stagesOf(fixed).buildOrder.map((s) => s.displayName)).toEqual(['deps', 'build', 'tools', 'final']);
  });

  it('reports an unknown target', () => {
    const error = errorOf(() => stagesOf(text, { target: 'nope' }));
    expect(error).toBeInstanceOf(StageTargetError);
    expect(error.message).toMatch(/^target stage "nope" could not be found \(stages: deps, build, cachebase, docs, tools, final\)$/);
  });

  it('rejects a stage index out of range and a variable in COPY --from', () => {
    expect(errorOf(() => stagesOf('FROM alpine\nCOPY --from=3 / /\n')).message).toBe('Dockerfile:2: invalid stage index 3');
    expect(errorOf(() => stagesOf('ARG S=a\nFROM alpine AS a\nFROM alpine\nCOPY --from=$S / /\n')).message).toBe(
      'Dockerfile:4: variable expansion is not supported for --from, define a new stage with FROM using ARG from global scope as a workaround',
    );
  });

  it('allows a later stage reference in a stage that is not built', () => {
    const result = stagesOf('FROM alpine AS early\nCOPY --from=late / /\nFROM alpine AS late\n');
    expect(result.buildOrder.map((s) => s.displayName)).toEqual(['late']);
  });

  it('findStage looks up by name or index', () => {
    const { stages } = stagesOf(text, { target: 'docs' });
    expect(findStage(stages, 'Tools')?.index).toBe(4);
    expect(findStage(stages, '5')?.name).toBe('final');
    expect(findStage(stages, 'missing')).toBeUndefined();
  });
});

describe('unused build args', () => {
  it('lists build args no built ARG declares, ignoring proxies and platform args', () => {
    const text = 'ARG GLOBAL\nFROM alpine AS other\nARG ONLY_OTHER\nFROM alpine\nARG USED=1\n';
    const result = stagesOf(text, {
      buildArgs: { GLOBAL: '1', USED: '2', ONLY_OTHER: '3', TYPO: '4', HTTP_PROXY: 'http://p', TARGETARCH: 'arm64' },
    });
    expect(result.unusedBuildArgs).toEqual(['ONLY_OTHER', 'TYPO']);
    expect(result.globalArgs.get('TARGETARCH')).toBe('arm64');
  });

  it('uses the build platform as the default target platform', () => {
    const result = stagesOf('FROM alpine\n', { buildPlatform: ARM64 });
    expect(result.globalArgs.get('TARGETPLATFORM')).toBe('linux/arm64');
    expect(result.globalArgs.get('BUILDARCH')).toBe('arm64');
  });
});
