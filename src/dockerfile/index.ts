/** The public API of the Dockerfile front end. Re-exports only. */
export type { DockerfileAst, Heredoc, InstructionNode, ParseWarning, ParserDirectives } from './ast.js';
export { DockerfileError, InstructionError, ParseError, ShellLexError, type SourceRange } from './errors.js';
export { parseDockerfile, parseDockerfileBytes, chompHeredocContent, parseHeredoc, INSTRUCTION_KEYWORDS } from './parser.js';
export { dumpBuildkitAst, dumpInstruction } from './ast-dump.js';
export { ShellLex, type ShellLexOptions } from './shell-lexer.js';
export type { ShellEnv, WordResult } from './shell-env.js';
export {
  DockerignoreError,
  DockerignoreMatcher,
  IgnorePattern,
  dockerignoreCandidates,
  parseDockerignore,
  type DockerignoreEntry,
  type IgnoreMatchState,
  type WalkAction,
} from './dockerignore.js';
export { IgnorePatternSyntaxError } from './dockerignore-pattern.js';
export {
  INSTRUCTION_KINDS,
  parseInstruction,
  splitUser,
  type AddInstruction,
  type ArgDeclaration,
  type ArgInstruction,
  type CmdInstruction,
  type CommandForm,
  type CopyInstruction,
  type EntrypointInstruction,
  type EnvInstruction,
  type ExposeInstruction,
  type FromInstruction,
  type HealthcheckInstruction,
  type InlineFile,
  type InlineSource,
  type Instruction,
  type InstructionKind,
  type KeyValue,
  type LabelInstruction,
  type MaintainerInstruction,
  type NetworkMode,
  type OnbuildInstruction,
  type RunInstruction,
  type SecurityMode,
  type ShellInstruction,
  type StopSignalInstruction,
  type UserInstruction,
  type VolumeInstruction,
  type WorkdirInstruction,
} from './instructions.js';
export { mountWithDefaults, parseMount, type CacheSharing, type MountType, type RunMount } from './mounts.js';
export { formatGoDuration, parseGoDuration } from './go-duration.js';
export {
  expandInstruction,
  exposedPortKeys,
  parseExposedPort,
  parseSignal,
  type ExpansionResult,
  type ExposedPort,
} from './instruction-expansion.js';
export { DEFAULT_PATH, StageScope, proxyEnv, type ScopedStep, type StageScopeOptions } from './stage-scope.js';
export { runCommandPlan, summarizeHeredoc, type RunCommandPlan, type RunScriptFile } from './run-command.js';
export {
  StageTargetError,
  findStage,
  parseStages,
  type DockerfileStages,
  type ParseStagesOptions,
  type Stage,
  type StageBase,
  type StageDependency,
  type StageWarning,
} from './stages.js';
export {
  PLATFORM_ARG_NAMES,
  formatPlatform,
  normalizePlatform,
  parsePlatform,
  platformArgs,
  platformFromNode,
  type Platform,
} from './platform.js';
export { instructionsToJson, type InstructionsJson } from './instructions-json.js';
export { parseOnbuildTriggers } from './onbuild-triggers.js';
