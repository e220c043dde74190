import { describe, expect, it } from 'vitest';
import { InstructionError } from '../../src/dockerfile/errors.js';
import type { Instruction } from '../../src/dockerfile/instructions.js';
import { parseDockerfile } from '../../src/dockerfile/parser.js';
import { DEFAULT_PATH, StageScope, type ScopedStep } from '../../src/dockerfile/stage-scope.js';
import { parseStages, type DockerfileStages, type Stage } from '../../src/dockerfile/stages.js';

interface Built {
  stages: DockerfileStages;
  /** Steps of every built stage, by stage display name. */
  steps: Map<string, ScopedStep[]>;
  scopes: Map<string, StageScope>;
}

/**
 * Runs the variable side of a build the way the engine does: one scope per
 * built stage, from the base image's Env or the parent stage's scope.
 */
function build(text: string, options: { buildArgs?: Record<string, string>; target?: string; imageEnv?: string[] } = {}): Built {
  const stages = parseStages(parseDockerfile(text), {
    buildPlatform: { os: 'linux', architecture: 'amd64' },
    ...(options.buildArgs ? { buildArgs: options.buildArgs } : {}),
    ...(options.target ? { target: options.target } : {}),
  });
  const scopeOptions = { globalArgs: stages.globalArgs, buildArgs: stages.buildArgs, escapeToken: stages.escapeToken };
  const steps = new Map<string, ScopedStep[]>();
  const scopes = new Map<string, StageScope>();
  const byIndex = new Map<number, StageScope>();
  for (const stage of stages.buildOrder) {
    const scope =
      stage.base.kind === 'stage'
        ? StageScope.fromStage(byIndex.get(stage.base.index)!)
        : StageScope.fromImageEnv(options.imageEnv ?? [], scopeOptions);
    steps.set(stage.displayName, stage.instructions.map((instruction) => scope.dispatch(instruction)));
    scopes.set(stage.displayName, scope);
    byIndex.set(stage.index, scope);
  }
  return { stages, steps, scopes };
}

function stepsOf(built: Built, stage?: Stage | string): ScopedStep[] {
  const name = typeof stage === 'string' ? stage : (stage ?? built.stages.target).displayName;
  return built.steps.get(name)!;
}

function instructionsOf(built: Built, stage?: string): Instruction[] {
  return stepsOf(built, stage).map((step) => step.instruction);
}

describe('global ARGs inside a stage', () => {
  it('are invisible until the stage declares them', () => {
    const built = build('ARG VERSION=1.0\nFROM alpine\nWORKDIR /v$VERSION\nARG VERSION\nWORKDIR /v$VERSION\n');
    expect(instructionsOf(built)).toMatchObject([
      { kind: 'workdir', path: '/v' },
      { kind: 'arg', args: [{ key: 'VERSION', defaultValue: '1.0' }] },
      { kind: 'workdir', path: '/v1.0' },
    ]);
    expect(stepsOf(built)[0]!.unmatched).toEqual(['VERSION']);
    expect(stepsOf(built)[2]!.usedArgs).toEqual({ VERSION: '1.0' });
  });

  it('take the build-arg override when re-declared', () => {
    const built = build('ARG VERSION=1.0\nFROM alpine\nARG VERSION\nLABEL v=$VERSION\n', { buildArgs: { VERSION: '2.0' } });
    expect(instructionsOf(built)[1]).toMatchObject({ pairs: [{ key: 'v', value: '2.0' }] });
  });

  it('are replaced by a stage default when re-declared with one', () => {
    const built = build('ARG VERSION=1.0\nFROM alpine\nARG VERSION=3.0\nLABEL v=$VERSION\n');
    expect(instructionsOf(built)[1]).toMatchObject({ pairs: [{ value: '3.0' }] });
  });

  it('include the automatic platform ARGs, also only once declared', () => {
    const built = build('FROM alpine\nLABEL before=$TARGETARCH\nARG TARGETARCH TARGETPLATFORM\nLABEL after=$TARGETARCH on=$TARGETPLATFORM\n');
    expect(instructionsOf(built)).toMatchObject([
      { pairs: [{ value: '' }] },
      { args: [{ key: 'TARGETARCH', defaultValue: 'amd64' }, { key: 'TARGETPLATFORM', defaultValue: 'linux/amd64' }] },
      { pairs: [{ value: 'amd64' }, { value: 'linux/amd64' }] },
    ]);
  });
});

describe('stage ARGs', () => {
  it('a build arg beats the default; an undeclared build arg changes nothing', () => {
    const built = build('FROM alpine\nARG MODE=debug\nENV MODE_ENV=$MODE OTHER=$EXTRA\n', { buildArgs: { MODE: 'release', EXTRA: 'x' } });
    expect(instructionsOf(built)[1]).toMatchObject({ pairs: [{ value: 'release' }, { value: '' }] });
    expect(built.stages.unusedBuildArgs).toEqual(['EXTRA']);
  });

  it('a default may refer to earlier variables, ENV included', () => {
    const built = build('FROM alpine\nENV BASE=/opt\nARG A=one\nARG B=${A}-two DIR=$BASE/$A\nWORKDIR $DIR/$B\n');
    expect(instructionsOf(built)).toMatchObject([
      {},
      {},
      { args: [{ key: 'B', defaultValue: 'one-two' }, { key: 'DIR', defaultValue: '/opt/one' }] },
      { path: '/opt/one/one-two' },
    ]);
  });

  it('an ARG without default or build arg has no value', () => {
    const built = build('FROM alpine\nARG UNSET\nWORKDIR /x$UNSET\n');
    expect(instructionsOf(built)).toMatchObject([{ args: [{ key: 'UNSET' }] }, { path: '/x' }]);
    expect(instructionsOf(built)[0]).not.toHaveProperty('args.0.defaultValue');
  });

  it('a bad default is an error with the line, unless a build arg replaces it', () => {
    const text = 'FROM alpine\nARG X=${NOPE:?required}\n';
    let error: unknown;
    try {
      build(text);
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(InstructionError);
    expect((error as InstructionError).message).toMatch(/^Dockerfile:2: .*NOPE: required/);
    expect(instructionsOf(build(text, { buildArgs: { X: 'given' } }))[0]).toMatchObject({ args: [{ defaultValue: 'given' }] });
  });

  it('do not cross into another stage, but carry into a stage built FROM it', () => {
    const text = 'FROM alpine AS base\nARG V=1\nENV E=2\nFROM alpine AS sibling\nLABEL v=$V e=$E\nFROM base AS child\nLABEL v=$V e=$E\n';
    const built = build(text, { target: 'child' });
    expect([...built.steps.keys()]).toEqual(['base', 'child']);
    expect(instructionsOf(built, 'child')[0]).toMatchObject({ pairs: [{ value: '1' }, { value: '2' }] });
    const sibling = build(text, { target: 'sibling' });
    expect(instructionsOf(sibling, 'sibling')[0]).toMatchObject({ pairs: [{ value: '' }, { value: '' }] });
  });
});

describe('ENV and ARG together', () => {
  it('ENV overrides an earlier ARG of the same name, even with a build arg', () => {
    const built = build('FROM alpine\nARG VER\nENV VER=v1.0.0\nLABEL ver=$VER\n', { buildArgs: { VER: 'v2' } });
    expect(instructionsOf(built)[2]).toMatchObject({ pairs: [{ value: 'v1.0.0' }] });
  });

  it('ENV can use an ARG and the ARG stays out of the image Env', () => {
    const built = build('FROM alpine\nARG VER=1\nENV APP_VER=v$VER\n', { imageEnv: ['HOME=/root'] });
    const scope = built.scopes.get('stage-0')!;
    expect(scope.imageEnv()).toEqual(['HOME=/root', `PATH=${DEFAULT_PATH}`, 'APP_VER=v1']);
    expect(scope.processEnv()).toEqual(['HOME=/root', `PATH=${DEFAULT_PATH}`, 'VER=1', 'APP_VER=v1']);
  });

  it('pairs in one ENV see the environment from before it', () => {
    const built = build('FROM alpine\nENV A=1\nENV A=2 B=$A\nLABEL b=$B a=$A\n');
    expect(instructionsOf(built)[2]).toMatchObject({ pairs: [{ value: '1' }, { value: '2' }] });
  });

  it('the base image Env is visible and its PATH kept', () => {
    const built = build('FROM alpine\nENV PATH=/app/bin:$PATH\n', { imageEnv: ['PATH=/usr/bin', 'LANG=C.UTF-8'] });
    expect(instructionsOf(built)[0]).toMatchObject({ pairs: [{ key: 'PATH', value: '/app/bin:/usr/bin' }] });
    expect(built.scopes.get('stage-0')!.imageEnv()).toEqual(['PATH=/app/bin:/usr/bin', 'LANG=C.UTF-8']);
  });
});

describe('what the shell expands, not BuildKit', () => {
  const text = [
    'FROM alpine AS files',
    'FROM alpine',
    'ARG NAME=app',
    'ENV DIR=/srv',
    'RUN echo $NAME $DIR',
    'RUN ["sh", "-c", "echo $NAME"]',
    'CMD echo $NAME',
    'ENTRYPOINT ["/bin/$NAME"]',
    'SHELL ["/bin/$NAME", "-c"]',
    'COPY --from=0 /$NAME /$DIR/',
    '',
  ].join('\n');

  it('RUN, CMD, ENTRYPOINT and SHELL keep $vars; COPY expands all but --from', () => {
    const steps = stepsOf(build(text));
    expect(steps.map((step) => step.instruction)).toMatchObject([
      {},
      {},
      { kind: 'run', args: ['echo $NAME $DIR'] },
      { kind: 'run', args: ['sh', '-c', 'echo $NAME'] },
      { kind: 'cmd', args: ['echo $NAME'] },
      { kind: 'entrypoint', args: ['/bin/$NAME'] },
      { kind: 'shell', shell: ['/bin/$NAME', '-c'] },
      { kind: 'copy', from: '0', sources: ['/app'], dest: '//srv/' },
    ]);
  });

  it('RUN depends on every ARG in scope (they are in its environment)', () => {
    const steps = stepsOf(build(text, { buildArgs: { NAME: 'other' } }), 'stage-1');
    expect(steps[2]!.usedArgs).toEqual({ NAME: 'other' });
    expect(steps[4]!.usedArgs).toEqual({});
    expect(steps[7]!.usedArgs).toEqual({ NAME: 'other' });
  });
});

describe('StageScope', () => {
  it('refuses FROM, which belongs to stage parsing', () => {
    const stages = parseStages(parseDockerfile('FROM alpine\n'), { buildPlatform: { os: 'linux', architecture: 'amd64' } });
    const scope = StageScope.fromImageEnv([], { globalArgs: stages.globalArgs, buildArgs: stages.buildArgs });
    expect(() => scope.dispatch(stages.stages[0]!.from)).toThrow(TypeError);
  });

  it('keeps SBOM scan args out of the environment', () => {
    const built = build('FROM alpine\nARG BUILDKIT_SBOM_SCAN_STAGE=true\n');
    expect(built.scopes.get('stage-0')!.get('BUILDKIT_SBOM_SCAN_STAGE')).toBeUndefined();
    expect(built.scopes.get('stage-0')!.declaredArgs()).toEqual([{ key: 'BUILDKIT_SBOM_SCAN_STAGE', defaultValue: 'true' }]);
  });
});
