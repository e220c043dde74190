/**
 * Typed instructions: one discriminated union `Instruction` and a `parseX` per
 * keyword, turning the parser's InstructionNode into checked, typed fields
 * with BuildKit's rules (frontend/dockerfile/instructions/parse.go).
 *
 * Values are kept as written (quotes and `$vars` included, as BuildKit's AST
 * holds them); instruction-expansion.ts fills variables in later, for the
 * instructions and flags BuildKit expands.
 */
import type { Heredoc, InstructionNode } from './ast.js';
import { InstructionError, type SourceRange } from './errors.js';
import { FlagError, InstructionFlags } from './flags.js';
import { DurationError, parseGoDuration } from './go-duration.js';
import { MountError, parseMount, type RunMount } from './mounts.js';

export type { RunMount } from './mounts.js';

interface InstructionBase extends SourceRange {
  /** The instruction's text as written (continuations joined, trimmed). */
  original: string;
}

/** RUN/CMD/ENTRYPOINT command: exec form runs argv as is, shell form goes through SHELL. */
export type CommandForm = 'shell' | 'exec';

/** A heredoc attached to RUN: its body is the script (or a file the script uses). */
export interface InlineFile {
  name: string;
  /** Body with `<<-` tab stripping already applied. */
  data: string;
  chomp: boolean;
  /** False when the delimiter was quoted; BuildKit ignores it for RUN. */
  expand: boolean;
}

/** `COPY <<EOF /dest`: a file whose content is the heredoc body. */
export interface InlineSource {
  /** The heredoc's name, also the file name created under the destination. */
  path: string;
  data: string;
  /** Whether `$vars` in the body are expanded (unquoted delimiter). */
  expand: boolean;
}

export interface KeyValue {
  key: string;
  value: string;
  /** False for the legacy `ENV key value` form (no `=`). */
  hasDelimiter: boolean;
}

export interface ArgDeclaration {
  key: string;
  /** The default as written; absent for `ARG NAME`. */
  defaultValue?: string;
}

export interface FromInstruction extends InstructionBase {
  kind: 'from';
  /** Image reference or earlier stage name, variables not yet expanded. */
  baseName: string;
  /** `AS name`, lowercased (stage names are case-insensitive). */
  stageName?: string;
  /** `--platform`, variables not yet expanded. */
  platform?: string;
}

export type NetworkMode = 'default' | 'none' | 'host';
export type SecurityMode = 'sandbox' | 'insecure';

export interface RunInstruction extends InstructionBase {
  kind: 'run';
  form: CommandForm;
  /** Exec form: argv. Shell form: one string, the script. */
  args: string[];
  /** Heredoc bodies referenced by the command line. */
  files: InlineFile[];
  mounts: RunMount[];
  /** The raw --mount values: expansion re-parses them with variables filled in. */
  mountSpecs: string[];
  network: NetworkMode;
  security: SecurityMode;
  /** Flags given, e.g. ["mount", "network"]. */
  flagsUsed: string[];
}

export interface CmdInstruction extends InstructionBase {
  kind: 'cmd';
  form: CommandForm;
  args: string[];
}

export interface EntrypointInstruction extends InstructionBase {
  kind: 'entrypoint';
  form: CommandForm;
  /** Empty for `ENTRYPOINT []`, which clears the entrypoint. */
  args: string[];
}

interface CopyLike extends InstructionBase {
  /** Paths, globs or (ADD) URLs, as written. */
  sources: string[];
  /** Heredoc sources (`COPY <<EOF /dest`). */
  inlineSources: InlineSource[];
  dest: string;
  chown?: string;
  chmod?: string;
  link: boolean;
  /** `--exclude` patterns, in order. */
  excludes: string[];
}

export interface CopyInstruction extends CopyLike {
  kind: 'copy';
  /** Stage name, stage index or image; never expanded. */
  from?: string;
  parents: boolean;
}

export interface AddInstruction extends CopyLike {
  kind: 'add';
  keepGitDir: boolean;
  checksum?: string;
  /** `--unpack`: undefined means ADD's default (unpack local archives, not URLs). */
  unpack?: boolean;
}

export interface EnvInstruction extends InstructionBase {
  kind: 'env';
  pairs: KeyValue[];
}

export interface ArgInstruction extends InstructionBase {
  kind: 'arg';
  args: ArgDeclaration[];
}

export interface LabelInstruction extends InstructionBase {
  kind: 'label';
  pairs: KeyValue[];
}

export interface ExposeInstruction extends InstructionBase {
  kind: 'expose';
  /** As written, sorted as BuildKit sorts them; e.g. ["80/tcp", "8080"]. */
  ports: string[];
}

export interface UserInstruction extends InstructionBase {
  kind: 'user';
  /** `user[:group]` as written. */
  user: string;
  /** The part before `:`. */
  name: string;
  group?: string;
}

export interface WorkdirInstruction extends InstructionBase {
  kind: 'workdir';
  path: string;
}

export interface VolumeInstruction extends InstructionBase {
  kind: 'volume';
  volumes: string[];
}

export interface StopSignalInstruction extends InstructionBase {
  kind: 'stopsignal';
  signal: string;
}

export interface HealthcheckInstruction extends InstructionBase {
  kind: 'healthcheck';
  /**
   * As in an image config: ["NONE"] disables the base image's check,
   * ["CMD", ...argv] runs argv, ["CMD-SHELL", script] runs through the shell.
   */
  test: string[];
  /** Nanoseconds; 0 means "inherit the default". */
  intervalNs: number;
  timeoutNs: number;
  startPeriodNs: number;
  startIntervalNs: number;
  /** 0 means "inherit the default". */
  retries: number;
}

export interface ShellInstruction extends InstructionBase {
  kind: 'shell';
  shell: string[];
}

export interface OnbuildInstruction extends InstructionBase {
  kind: 'onbuild';
  /** The trigger's text as stored in the image config (heredocs appended). */
  expression: string;
  /**
   * The trigger parsed, when it parses. BuildKit only checks a trigger when
   * an image built FROM this one runs it, so a bad trigger is not an error here.
   */
  trigger?: Instruction;
}

export interface MaintainerInstruction extends InstructionBase {
  kind: 'maintainer';
  maintainer: string;
}

export type Instruction =
  | FromInstruction
  | RunInstruction
  | CmdInstruction
  | EntrypointInstruction
  | CopyInstruction
  | AddInstruction
  | EnvInstruction
  | ArgInstruction
  | LabelInstruction
  | ExposeInstruction
  | UserInstruction
  | WorkdirInstruction
  | VolumeInstruction
  | StopSignalInstruction
  | HealthcheckInstruction
  | ShellInstruction
  | OnbuildInstruction
  | MaintainerInstruction;

export type InstructionKind = Instruction['kind'];

export const INSTRUCTION_KINDS: readonly InstructionKind[] = [
  'from', 'run', 'cmd', 'entrypoint', 'copy', 'add', 'env', 'arg', 'label', 'expose', 'user',
  'workdir', 'volume', 'stopsignal', 'healthcheck', 'shell', 'onbuild', 'maintainer',
];

/** Docker's minimum for a non-zero HEALTHCHECK duration (container.MinimumDuration). */
const MINIMUM_HEALTHCHECK_DURATION_NS = 1e6;

/** BuildKit's rule for `FROM ... AS name`, applied to the lowercased name. */
const VALID_STAGE_NAME = /^[a-z][a-z0-9-_.]*$/;

/** A heredoc word in the arguments, as BuildKit's parser.MustParseHeredoc sees it. */
const HEREDOC_WORD = /^(\d*)<<(-?)([^<]*)$/;

/**
 * Parses one instruction node. Throws InstructionError carrying the node's
 * line range for wrong arguments, unknown flags and bad flag values.
 */
export function parseInstruction(node: InstructionNode): Instruction {
  try {
    return parseByKeyword(node);
  } catch (error) {
    if (error instanceof FlagError || error instanceof MountError || error instanceof DurationError || error instanceof ArgumentError) {
      throw new InstructionError(error.message, rangeOf(node));
    }
    throw error;
  }
}

/** Arguments of the instruction are wrong; becomes an InstructionError with the line. */
class ArgumentError extends Error {}

function parseByKeyword(node: InstructionNode): Instruction {
  switch (node.keyword.toLowerCase()) {
    case 'from':
      return parseFrom(node);
    case 'run':
      return parseRun(node);
    case 'cmd':
      return parseCmd(node);
    case 'entrypoint':
      return parseEntrypoint(node);
    case 'copy':
      return parseCopy(node);
    case 'add':
      return parseAdd(node);
    case 'env':
      return parseEnv(node);
    case 'arg':
      return parseArg(node);
    case 'label':
      return parseLabel(node);
    case 'expose':
      return parseExpose(node);
    case 'user':
      return parseUser(node);
    case 'workdir':
      return parseWorkdir(node);
    case 'volume':
      return parseVolume(node);
    case 'stopsignal':
      return parseStopSignal(node);
    case 'healthcheck':
      return parseHealthcheck(node);
    case 'shell':
      return parseShell(node);
    case 'onbuild':
      return parseOnbuild(node);
    case 'maintainer':
      return parseMaintainer(node);
    default:
      throw new ArgumentError(`unknown instruction: ${node.keyword.toUpperCase()}`);
  }
}

function base(node: InstructionNode): InstructionBase {
  return { startLine: node.startLine, endLine: node.endLine, original: node.original.trim() };
}

function rangeOf(node: InstructionNode): SourceRange {
  return { startLine: node.startLine, endLine: node.endLine };
}

function flagsOf(node: InstructionNode): InstructionFlags {
  return new InstructionFlags(node.flags);
}

/** BuildKit's handleJSONArgs: JSON form keeps the list, shell form is one string. */
function commandArgs(node: InstructionNode): string[] {
  if (node.args.length === 0) return [];
  return node.json ? [...node.args] : [node.args.join(' ')];
}

export function parseFrom(node: InstructionNode): FromInstruction {
  const { args } = node;
  let stageName: string | undefined;
  if (args.length === 3 && args[1]!.toLowerCase() === 'as') {
    stageName = args[2]!.toLowerCase();
    if (!VALID_STAGE_NAME.test(stageName)) {
      throw new ArgumentError(
        `invalid name for build stage: ${JSON.stringify(args[2])}, name can't start with a number or contain symbols`,
      );
    }
  } else if (args.length !== 1) {
    throw new ArgumentError('FROM requires either one or three arguments');
  }
  const flags = flagsOf(node).declareString('platform').parse();
  const instruction: FromInstruction = { kind: 'from', ...base(node), baseName: args[0]! };
  if (stageName !== undefined) instruction.stageName = stageName;
  const platform = flags.string('platform');
  if (platform !== undefined) instruction.platform = platform;
  return instruction;
}

export function parseRun(node: InstructionNode): RunInstruction {
  const flags = flagsOf(node)
    .declareStrings('mount')
    .declareString('network', 'default')
    .declareString('security', 'sandbox')
    .parse();
  const network = flags.string('network')!;
  if (network !== 'default' && network !== 'none' && network !== 'host') {
    throw new ArgumentError(`unsupported network mode ${JSON.stringify(network)}`);
  }
  const security = flags.string('security')!;
  if (security !== 'sandbox' && security !== 'insecure') {
    throw new ArgumentError(`security ${JSON.stringify(security)} is not valid`);
  }
  const mountSpecs = flags.strings('mount');
  return {
    kind: 'run',
    ...base(node),
    form: node.json ? 'exec' : 'shell',
    args: commandArgs(node),
    files: node.heredocs.map(inlineFile),
    mounts: mountSpecs.map((spec) => parseMount(spec)),
    mountSpecs,
    network,
    security,
    flagsUsed: flags.used(),
  };
}

function inlineFile(heredoc: Heredoc): InlineFile {
  return {
    name: heredoc.name,
    data: heredoc.chomp ? chompHeredocContent(heredoc.content) : heredoc.content,
    chomp: heredoc.chomp,
    expand: heredoc.expand,
  };
}

/** `<<-`: strip leading tabs from every line of the body. */
function chompHeredocContent(content: string): string {
  return content.replace(/^\t+/gm, '');
}

export function parseCmd(node: InstructionNode): CmdInstruction {
  flagsOf(node).parse();
  return { kind: 'cmd', ...base(node), form: node.json ? 'exec' : 'shell', args: commandArgs(node) };
}

export function parseEntrypoint(node: InstructionNode): EntrypointInstruction {
  flagsOf(node).parse();
  return { kind: 'entrypoint', ...base(node), form: node.json ? 'exec' : 'shell', args: commandArgs(node) };
}

function sourcesAndDest(node: InstructionNode, command: string): Pick<CopyLike, 'sources' | 'inlineSources' | 'dest'> {
  const dest = node.args[node.args.length - 1]!;
  if (heredocWord(dest)) throw new ArgumentError(`${command} cannot accept a heredoc as a destination`);
  const pending = [...node.heredocs];
  const sources: string[] = [];
  const inlineSources: InlineSource[] = [];
  for (const source of node.args.slice(0, -1)) {
    const word = heredocWord(source);
    if (!word) {
      sources.push(source);
      continue;
    }
    // The parser attached the bodies in the order their words appear; match
    // by name first in case a word did not produce a body.
    const at = pending.findIndex((heredoc) => heredoc.name === word.name);
    const heredoc = at >= 0 ? pending.splice(at, 1)[0]! : pending.shift();
    const content = heredoc?.content ?? '';
    inlineSources.push({
      path: heredoc?.name ?? word.name,
      data: word.chomp || heredoc?.chomp ? chompHeredocContent(content) : content,
      expand: heredoc?.expand ?? true,
    });
  }
  return { sources, inlineSources, dest };
}

function heredocWord(word: string): { name: string; chomp: boolean } | undefined {
  const match = HEREDOC_WORD.exec(word);
  if (!match || match[3] === '') return undefined;
  // Quotes and backslashes only switch expansion off; the name is what is left.
  const name = match[3]!.trim().replace(/["'\\]/g, '');
  if (name === '' || /\s/.test(name)) return undefined;
  return { name, chomp: match[2] === '-' };
}

function errNoDestination(command: string): ArgumentError {
  return new ArgumentError(
    `${command} requires at least two arguments, but only one was provided. Destination could not be determined`,
  );
}

export function parseCopy(node: InstructionNode): CopyInstruction {
  if (node.args.length < 2) throw errNoDestination('COPY');
  const flags = flagsOf(node)
    .declareStrings('exclude')
    .declareBool('parents')
    .declareString('chown')
    .declareString('from')
    .declareString('chmod')
    .declareBool('link')
    .parse();
  const instruction: CopyInstruction = {
    kind: 'copy',
    ...base(node),
    ...sourcesAndDest(node, 'COPY'),
    link: flags.bool('link'),
    parents: flags.bool('parents'),
    excludes: flags.strings('exclude'),
  };
  assignDefined(instruction, 'from', flags.string('from'));
  assignDefined(instruction, 'chown', flags.string('chown'));
  assignDefined(instruction, 'chmod', flags.string('chmod'));
  return instruction;
}

export function parseAdd(node: InstructionNode): AddInstruction {
  if (node.args.length < 2) throw errNoDestination('ADD');
  const flags = flagsOf(node)
    .declareStrings('exclude')
    .declareString('chown')
    .declareString('chmod')
    .declareBool('link')
    .declareBool('keep-git-dir')
    .declareString('checksum')
    .declareBool('unpack')
    .parse();
  const instruction: AddInstruction = {
    kind: 'add',
    ...base(node),
    ...sourcesAndDest(node, 'ADD'),
    link: flags.bool('link'),
    keepGitDir: flags.bool('keep-git-dir'),
    excludes: flags.strings('exclude'),
  };
  assignDefined(instruction, 'chown', flags.string('chown'));
  assignDefined(instruction, 'chmod', flags.string('chmod'));
  assignDefined(instruction, 'checksum', flags.string('checksum'));
  if (flags.isUsed('unpack')) instruction.unpack = flags.bool('unpack');
  return instruction;
}

function assignDefined<T extends object, K extends keyof T>(target: T, key: K, value: T[K] | undefined): void {
  if (value !== undefined) target[key] = value;
}

/** ENV and LABEL arguments come as (key, value, separator) triples. */
function keyValues(node: InstructionNode, command: string): KeyValue[] {
  const { args } = node;
  if (args.length === 0) throw new ArgumentError(`${command} requires at least one argument`);
  if (args.length % 3 !== 0) throw new ArgumentError(`Bad input to ${command}, too many arguments`);
  const pairs: KeyValue[] = [];
  for (let i = 0; i < args.length; i += 3) {
    if (args[i] === '') throw new ArgumentError(`${command} names can not be blank`);
    pairs.push({ key: args[i]!, value: args[i + 1]!, hasDelimiter: args[i + 2] !== '' });
  }
  return pairs;
}

export function parseEnv(node: InstructionNode): EnvInstruction {
  flagsOf(node).parse();
  return { kind: 'env', ...base(node), pairs: keyValues(node, 'ENV') };
}

export function parseLabel(node: InstructionNode): LabelInstruction {
  flagsOf(node).parse();
  return { kind: 'label', ...base(node), pairs: keyValues(node, 'LABEL') };
}

export function parseArg(node: InstructionNode): ArgInstruction {
  // BuildKit's parseArg declares no flags and does not parse them.
  if (node.args.length < 1) throw new ArgumentError('ARG requires at least one argument');
  const args = node.args.map((arg): ArgDeclaration => {
    const eq = arg.indexOf('=');
    if (eq < 0) return { key: arg };
    if (eq === 0) throw new ArgumentError('ARG names can not be blank');
    return { key: arg.slice(0, eq), defaultValue: arg.slice(eq + 1) };
  });
  return { kind: 'arg', ...base(node), args };
}

export function parseExpose(node: InstructionNode): ExposeInstruction {
  if (node.args.length === 0) throw new ArgumentError('EXPOSE requires at least one argument');
  flagsOf(node).parse();
  // Go's sort.Strings: byte order, which is what the default JS sort does for these ASCII strings.
  return { kind: 'expose', ...base(node), ports: [...node.args].sort() };
}

export function parseUser(node: InstructionNode): UserInstruction {
  if (node.args.length !== 1) throw new ArgumentError('USER requires exactly one argument');
  flagsOf(node).parse();
  return { kind: 'user', ...base(node), ...splitUser(node.args[0]!) };
}

/** `user[:group]` into its parts (after expansion, call again on the expanded text). */
export function splitUser(user: string): Pick<UserInstruction, 'user' | 'name' | 'group'> {
  const colon = user.indexOf(':');
  if (colon < 0) return { user, name: user };
  return { user, name: user.slice(0, colon), group: user.slice(colon + 1) };
}

export function parseWorkdir(node: InstructionNode): WorkdirInstruction {
  if (node.args.length !== 1) throw new ArgumentError('WORKDIR requires exactly one argument');
  flagsOf(node).parse();
  return { kind: 'workdir', ...base(node), path: node.args[0]! };
}

export function parseVolume(node: InstructionNode): VolumeInstruction {
  if (node.args.length === 0) throw new ArgumentError('VOLUME requires at least one argument');
  flagsOf(node).parse();
  const volumes = node.args.map((volume) => {
    const trimmed = volume.trim();
    if (trimmed === '') throw new ArgumentError('VOLUME specified can not be an empty string');
    return trimmed;
  });
  return { kind: 'volume', ...base(node), volumes };
}

export function parseStopSignal(node: InstructionNode): StopSignalInstruction {
  // Like BuildKit, flags on STOPSIGNAL are not parsed.
  if (node.args.length !== 1) throw new ArgumentError('STOPSIGNAL requires exactly one argument');
  return { kind: 'stopsignal', ...base(node), signal: node.args[0]! };
}

export function parseHealthcheck(node: InstructionNode): HealthcheckInstruction {
  if (node.args.length === 0) throw new ArgumentError('HEALTHCHECK requires at least one argument');
  const type = node.args[0]!.toUpperCase();
  const rest = node.args.slice(1);
  const disabled = { intervalNs: 0, timeoutNs: 0, startPeriodNs: 0, startIntervalNs: 0, retries: 0 };
  if (type === 'NONE') {
    // BuildKit parses no flags for HEALTHCHECK NONE.
    if (rest.length !== 0) throw new ArgumentError('HEALTHCHECK NONE takes no arguments');
    return { kind: 'healthcheck', ...base(node), test: ['NONE'], ...disabled };
  }
  const flags = flagsOf(node)
    .declareString('interval')
    .declareString('timeout')
    .declareString('start-period')
    .declareString('start-interval')
    .declareString('retries')
    .parse();
  if (type !== 'CMD') throw new ArgumentError(`Unknown type ${JSON.stringify(type)} in HEALTHCHECK (try CMD)`);
  const command = rest.length === 0 ? [] : node.json ? rest : [rest.join(' ')];
  if (command.length === 0) throw new ArgumentError('Missing command after HEALTHCHECK CMD');
  return {
    kind: 'healthcheck',
    ...base(node),
    test: [node.json ? 'CMD' : 'CMD-SHELL', ...command],
    intervalNs: healthcheckDuration(flags, 'interval'),
    timeoutNs: healthcheckDuration(flags, 'timeout'),
    startPeriodNs: healthcheckDuration(flags, 'start-period'),
    startIntervalNs: healthcheckDuration(flags, 'start-interval'),
    retries: healthcheckRetries(flags.string('retries')),
  };
}

function healthcheckDuration(flags: InstructionFlags, name: string): number {
  const text = flags.string(name);
  if (text === undefined || text === '') return 0;
  const nanos = parseGoDuration(text);
  if (nanos === 0) return 0;
  if (nanos < MINIMUM_HEALTHCHECK_DURATION_NS) {
    throw new ArgumentError(`Interval ${JSON.stringify(name)} cannot be less than 1ms`);
  }
  return nanos;
}

function healthcheckRetries(text: string | undefined): number {
  if (text === undefined || text === '') return 0;
  // strconv.ParseInt(text, 10, 32)
  if (!/^[+-]?\d+$/.test(text)) {
    throw new ArgumentError(`strconv.ParseInt: parsing ${JSON.stringify(text)}: invalid syntax`);
  }
  const retries = Number(text);
  if (retries > 2 ** 31 - 1 || retries < -(2 ** 31)) {
    throw new ArgumentError(`strconv.ParseInt: parsing ${JSON.stringify(text)}: value out of range`);
  }
  if (retries < 0) throw new ArgumentError(`--retries cannot be negative (${retries})`);
  return retries;
}

export function parseShell(node: InstructionNode): ShellInstruction {
  flagsOf(node).parse();
  const shell = commandArgs(node);
  if (shell.length === 0) throw new ArgumentError('SHELL requires at least one argument');
  if (!node.json) throw new ArgumentError('SHELL requires the arguments to be in JSON form');
  return { kind: 'shell', ...base(node), shell };
}

export function parseOnbuild(node: InstructionNode): OnbuildInstruction {
  const nested = node.nested;
  if (!nested) throw new ArgumentError('ONBUILD requires at least one argument');
  flagsOf(node).parse();
  const trigger = nested.keyword.toUpperCase();
  if (trigger === 'ONBUILD') throw new ArgumentError("Chaining ONBUILD via `ONBUILD ONBUILD` isn't allowed");
  if (trigger === 'MAINTAINER' || trigger === 'FROM') {
    throw new ArgumentError(`${trigger} isn't allowed as an ONBUILD trigger`);
  }
  let expression = node.original.replace(/^\s*ONBUILD\s*/i, '');
  for (const heredoc of node.heredocs.length > 0 ? node.heredocs : nested.heredocs) {
    expression += `\n${heredoc.content}${heredoc.name}`;
  }
  const instruction: OnbuildInstruction = { kind: 'onbuild', ...base(node), expression };
  try {
    instruction.trigger = parseInstruction(nested);
  } catch (error) {
    if (!(error instanceof InstructionError)) throw error;
  }
  return instruction;
}

export function parseMaintainer(node: InstructionNode): MaintainerInstruction {
  if (node.args.length !== 1) throw new ArgumentError('MAINTAINER requires exactly one argument');
  flagsOf(node).parse();
  return { kind: 'maintainer', ...base(node), maintainer: node.args[0]! };
}
