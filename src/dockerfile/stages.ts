/**
 * From a parsed Dockerfile to build stages, as BuildKit's instructions.Parse
 * and dockerfile2llb.toDispatchState see them:
 *
 * - ARGs before the first FROM form the global scope, together with the
 *   automatic platform ARGs; --build-arg overrides both;
 * - each FROM starts a stage (index, optional case-insensitive name); its base
 *   name and --platform expand with the global scope only;
 * - stages depend on stages through FROM <stage>, COPY --from=<stage|index>
 *   and RUN --mount=from=<stage>; `--target` builds the target and what it
 *   needs, in file order, which is a dependency order because a stage can
 *   only use earlier stages.
 *
 * Instructions inside stages stay as written; StageScope expands them when
 * the engine runs them, because the base image's Env is only known then.
 */
import type { DockerfileAst, InstructionNode } from './ast.js';
import { InstructionError, ShellLexError, type SourceRange } from './errors.js';
import { assertNoVariableInCopyFrom } from './instruction-expansion.js';
import { parseInstruction, type ArgInstruction, type FromInstruction, type Instruction } from './instructions.js';
import { PLATFORM_ARG_NAMES, PlatformError, formatPlatform, parsePlatform, platformArgs, type Platform } from './platform.js';
import type { ShellEnv } from './shell-env.js';
import { ShellLex } from './shell-lexer.js';

export interface ParseStagesOptions {
  /** --build-arg values. */
  buildArgs?: ReadonlyMap<string, string> | Readonly<Record<string, string>>;
  /** Stage name (case-insensitive) to build; the last stage when absent. */
  target?: string;
  /** The platform the build runs on (BUILDPLATFORM); the host's. */
  buildPlatform: Platform;
  /** The platform built for (TARGETPLATFORM); defaults to buildPlatform. */
  targetPlatform?: Platform;
}

export type StageBase =
  | { kind: 'scratch' }
  | { kind: 'image'; ref: string }
  | { kind: 'stage'; index: number };

export interface StageDependency extends SourceRange {
  /** What makes the stage need it. */
  via: 'from' | 'copy' | 'mount';
  /** The reference as written: base name, --from value or mount from=. */
  reference: string;
  source: { kind: 'stage'; index: number } | { kind: 'image'; ref: string };
}

export interface Stage {
  index: number;
  /** The `AS` name, lowercased; absent for unnamed stages. */
  name?: string;
  /** The name, or "stage-N" as BuildKit calls unnamed stages. */
  displayName: string;
  from: FromInstruction;
  /** FROM's base after expansion with the global ARGs. */
  baseName: string;
  /** FROM --platform after expansion, normalised ("linux/arm64"). */
  platform?: string;
  base: StageBase;
  /** The stage's instructions after FROM, not yet expanded. */
  instructions: Instruction[];
  dependencies: StageDependency[];
  /** Global ARGs the FROM line used. */
  usedGlobalArgs: string[];
}

export interface StageWarning extends SourceRange {
  message: string;
}

export interface DockerfileStages {
  escapeToken: string;
  /** The ARG instructions before the first FROM. */
  metaArgs: ArgInstruction[];
  /**
   * The global scope: automatic platform ARGs and global ARGs with their
   * values after build-arg overrides. Pass it to StageScope.
   */
  globalArgs: Map<string, string>;
  buildArgs: Map<string, string>;
  stages: Stage[];
  target: Stage;
  /** The stages the target needs, the target last, each after the stages it uses. */
  buildOrder: Stage[];
  /** Build args no ARG in the global scope or in a built stage declares (BuildKit warns about them). */
  unusedBuildArgs: string[];
  warnings: StageWarning[];
}

/** Build args BuildKit accepts without an ARG (proxies) or reads itself. */
const PREDEFINED_BUILD_ARGS = new Set([
  'HTTP_PROXY', 'http_proxy', 'HTTPS_PROXY', 'https_proxy', 'FTP_PROXY', 'ftp_proxy', 'NO_PROXY', 'no_proxy',
  'ALL_PROXY', 'all_proxy', 'SOURCE_DATE_EPOCH', ...PLATFORM_ARG_NAMES,
]);

export function parseStages(ast: DockerfileAst, options: ParseStagesOptions): DockerfileStages {
  const buildArgs = toMap(options.buildArgs);
  const lex = new ShellLex(ast.escapeToken);
  const warnings: StageWarning[] = [];

  const metaArgs: ArgInstruction[] = [];
  const rawStages: { from: FromInstruction; instructions: Instruction[] }[] = [];
  for (const node of ast.children) {
    const instruction = parseInstruction(node);
    if (instruction.kind === 'from') {
      rawStages.push({ from: instruction, instructions: [] });
    } else if (rawStages.length === 0) {
      if (instruction.kind !== 'arg') throw noStageError(node);
      metaArgs.push(instruction);
    } else {
      rawStages[rawStages.length - 1]!.instructions.push(instruction);
    }
  }
  if (rawStages.length === 0) {
    throw new InstructionError('dockerfile contains no stages to build', undefined);
  }

  const targetName = options.target ?? rawStages[rawStages.length - 1]!.from.stageName ?? '';
  const buildPlatform = options.buildPlatform;
  const targetPlatform = options.targetPlatform ?? buildPlatform;
  const globalArgs = platformArgs(buildPlatform, targetPlatform, targetName, buildArgs);
  for (const meta of metaArgs) applyMetaArg(meta, globalArgs, buildArgs, lex);

  // Stage names resolve like BuildKit's statesByName: FROM sees the names
  // defined so far; --from and mounts see the final table (last one wins).
  const byName = new Map<string, number>();
  const stages: Stage[] = rawStages.map(({ from, instructions }, index) => {
    const stage = resolveFrom(from, instructions, index, globalArgs, lex, byName, buildPlatform);
    if (stage.name !== undefined) {
      if (byName.has(stage.name)) {
        warnings.push({ ...rangeOf(from), message: `Duplicate stage name "${stage.name}", stage names should be unique` });
      }
      byName.set(stage.name, index);
    }
    return stage;
  });
  for (const stage of stages) stage.dependencies.push(...stageUses(stage, byName, stages.length, lex.escapeToken));

  const target = resolveTarget(options.target, stages, byName);
  const buildOrder = reachableStages(target, stages);
  const unusedBuildArgs = findUnusedBuildArgs(buildArgs, metaArgs, buildOrder);
  return { escapeToken: ast.escapeToken, metaArgs, globalArgs, buildArgs, stages, target, buildOrder, unusedBuildArgs, warnings };
}

function toMap(args: ParseStagesOptions['buildArgs']): Map<string, string> {
  if (!args) return new Map();
  if (args instanceof Map) return new Map(args);
  return new Map(Object.entries(args as Record<string, string>));
}

function rangeOf(range: SourceRange): SourceRange {
  return { startLine: range.startLine, endLine: range.endLine };
}

function noStageError(node: InstructionNode): InstructionError {
  return new InstructionError('no build stage in current context', rangeOf(node));
}

/** BuildKit's buildMetaArgs: a build arg wins, else the default expands with what is defined so far. */
function applyMetaArg(meta: ArgInstruction, globalArgs: Map<string, string>, buildArgs: Map<string, string>, lex: ShellLex): void {
  for (const { key, defaultValue } of meta.args) {
    let value = buildArgs.get(key);
    if (value === undefined && defaultValue !== undefined) value = expandWord(lex, defaultValue, globalArgs, meta).result;
    if (value !== undefined) globalArgs.set(key, value);
  }
}

function expandWord(lex: ShellLex, word: string, env: ReadonlyMap<string, string>, where: SourceRange) {
  const shellEnv: ShellEnv = { get: (name) => env.get(name), keys: () => env.keys() };
  try {
    return lex.processWordWithMatches(word, shellEnv);
  } catch (error) {
    if (error instanceof ShellLexError) throw new InstructionError(error.message, rangeOf(where));
    throw error;
  }
}

function resolveFrom(
  from: FromInstruction,
  instructions: Instruction[],
  index: number,
  globalArgs: Map<string, string>,
  lex: ShellLex,
  byName: Map<string, number>,
  buildPlatform: Platform,
): Stage {
  const used = new Set<string>();
  const base = expandWord(lex, from.baseName, globalArgs, from);
  for (const name of base.matched) used.add(name);
  if (base.result === '') {
    throw new InstructionError(`base name (${from.baseName}) should not be blank`, rangeOf(from));
  }

  let platform: string | undefined;
  if (from.platform !== undefined) {
    const expanded = expandWord(lex, from.platform, globalArgs, from);
    for (const name of expanded.matched) used.add(name);
    if (expanded.result === '') {
      throw new InstructionError(`empty platform value from expression ${from.platform}`, rangeOf(from));
    }
    try {
      platform = formatPlatform(parsePlatform(expanded.result, buildPlatform));
    } catch (error) {
      if (!(error instanceof PlatformError)) throw error;
      throw new InstructionError(`failed to parse platform ${from.platform}: ${error.message}`, rangeOf(from));
    }
  }

  // BuildKit looks the expanded base up as written (its table holds lowercased
  // names), so `FROM Build` does not find stage "build".
  const baseStage = byName.get(base.result);
  const stageBase: StageBase =
    baseStage !== undefined
      ? { kind: 'stage', index: baseStage }
      : base.result === 'scratch'
        ? { kind: 'scratch' }
        : { kind: 'image', ref: base.result };

  const stage: Stage = {
    index,
    displayName: from.stageName ?? `stage-${index}`,
    from,
    baseName: base.result,
    base: stageBase,
    instructions,
    dependencies: [],
    usedGlobalArgs: [...used].sort(),
  };
  if (from.stageName !== undefined) stage.name = from.stageName;
  if (platform !== undefined) stage.platform = platform;
  if (stageBase.kind !== 'scratch') {
    stage.dependencies.push({ ...rangeOf(from), via: 'from', reference: base.result, source: stageBase });
  }
  return stage;
}

/** COPY --from and RUN --mount=from= sources of one stage (BuildKit's toCommand / detectRunMount). */
function stageUses(stage: Stage, byName: Map<string, number>, stageCount: number, escapeToken: string): StageDependency[] {
  const uses: StageDependency[] = [];
  for (const instruction of stage.instructions) {
    if (instruction.kind === 'copy' && instruction.from !== undefined) {
      assertNoVariableInCopyFrom(instruction, escapeToken);
      const from = instruction.from;
      let source: StageDependency['source'];
      if (/^[+-]?\d+$/.test(from)) {
        const index = Number(from);
        if (index < 0 || index >= stageCount) {
          throw new InstructionError(`invalid stage index ${index}`, rangeOf(instruction));
        }
        source = { kind: 'stage', index };
      } else {
        const index = byName.get(from.toLowerCase());
        source = index !== undefined ? { kind: 'stage', index } : { kind: 'image', ref: from };
      }
      uses.push({ ...rangeOf(instruction), via: 'copy', reference: from, source });
    }
    if (instruction.kind === 'run') {
      for (const mount of instruction.mounts) {
        if (mount.from === undefined || mount.from === '') continue;
        const index = byName.get(mount.from.toLowerCase());
        const source: StageDependency['source'] = index !== undefined ? { kind: 'stage', index } : { kind: 'image', ref: mount.from };
        uses.push({ ...rangeOf(instruction), via: 'mount', reference: mount.from, source });
      }
    }
  }
  return uses;
}

function resolveTarget(target: string | undefined, stages: Stage[], byName: Map<string, number>): Stage {
  if (target === undefined || target === '') return stages[stages.length - 1]!;
  const index = byName.get(target.toLowerCase());
  if (index === undefined) {
    const names = [...byName.keys()];
    const known = names.length > 0 ? ` (stages: ${names.join(', ')})` : ' (the Dockerfile names no stages)';
    throw new StageTargetError(`target stage "${target}" could not be found${known}`);
  }
  return stages[index]!;
}

/** `--target` names no stage. A user error without a line: it is about the command line. */
export class StageTargetError extends Error {
  readonly isUserError = true;
  readonly exitCode = 2;
  override name = 'StageTargetError';
}

/**
 * The target and every stage it needs, in file order. Using a stage that is
 * defined later is an error, as BuildKit reports it when it dispatches.
 */
function reachableStages(target: Stage, stages: Stage[]): Stage[] {
  const needed = new Set<number>();
  const visit = (stage: Stage): void => {
    if (needed.has(stage.index)) return;
    needed.add(stage.index);
    for (const dependency of stage.dependencies) {
      if (dependency.source.kind !== 'stage') continue;
      const used = stages[dependency.source.index]!;
      if (used.index >= stage.index) {
        const message =
          dependency.via === 'mount'
            ? `cannot mount from stage "${dependency.reference}" to "${stage.displayName}", stage needs to be defined before current command`
            : `cannot copy from stage "${dependency.reference}", it needs to be defined before current stage "${stage.displayName}"`;
        throw new InstructionError(message, rangeOf(dependency));
      }
      visit(used);
    }
  };
  visit(target);
  return stages.filter((stage) => needed.has(stage.index));
}

function findUnusedBuildArgs(buildArgs: Map<string, string>, metaArgs: ArgInstruction[], built: Stage[]): string[] {
  const declared = new Set<string>();
  for (const meta of metaArgs) for (const arg of meta.args) declared.add(arg.key);
  for (const stage of built) {
    for (const instruction of stage.instructions) {
      if (instruction.kind === 'arg') for (const arg of instruction.args) declared.add(arg.key);
    }
  }
  return [...buildArgs.keys()].filter((key) => !declared.has(key) && !PREDEFINED_BUILD_ARGS.has(key)).sort();
}

/** Looks a stage up by name (case-insensitive) or index, as COPY --from does. */
export function findStage(stages: readonly Stage[], nameOrIndex: string): Stage | undefined {
  if (/^\d+$/.test(nameOrIndex)) return stages[Number(nameOrIndex)];
  const lower = nameOrIndex.toLowerCase();
  let found: Stage | undefined;
  for (const stage of stages) if (stage.name === lower) found = stage;
  return found;
}
