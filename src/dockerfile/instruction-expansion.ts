/**
 * Variable expansion of typed instructions, exactly where BuildKit expands
 * (instructions/commands.go `Expand` methods and dockerfile2llb dispatch):
 *
 * - expanded: ENV and LABEL keys and values; ADD/COPY sources, destination,
 *   --chown, --chmod, ADD --checksum and unquoted heredoc bodies; WORKDIR;
 *   USER; VOLUME; STOPSIGNAL; EXPOSE (with word splitting); the values of
 *   RUN --mount options;
 * - not expanded: RUN, CMD, ENTRYPOINT and SHELL command lines (the shell
 *   does that when it runs), HEALTHCHECK, ONBUILD, MAINTAINER, ADD/COPY
 *   --exclude, and COPY --from (a variable there is an error);
 * - ARG defaults and FROM are expanded by the stage logic (stage-scope.ts,
 *   stages.ts), because their environment is special.
 */
import { InstructionError, ShellLexError } from './errors.js';
import type {
  AddInstruction,
  CopyInstruction,
  ExposeInstruction,
  InlineSource,
  Instruction,
  KeyValue,
  RunInstruction,
  StopSignalInstruction,
} from './instructions.js';
import { splitUser } from './instructions.js';
import { MountError, parseMount } from './mounts.js';
import type { ShellEnv } from './shell-env.js';
import { ShellLex } from './shell-lexer.js';

export interface ExpansionResult<I extends Instruction = Instruction> {
  /** A copy of the instruction with variables filled in. */
  instruction: I;
  /** Variables the instruction referred to that were set. */
  matched: Set<string>;
  /** Variables the instruction referred to that were not set. */
  unmatched: Set<string>;
}

/** What expansion needs from the lexer; ShellLex provides it. */
export type WordLexer = Pick<ShellLex, 'processWordWithMatches' | 'processWords' | 'escapeToken'>;

/**
 * Expands one instruction against the current stage environment (ENV and ARG
 * values in scope). Instructions BuildKit does not expand come back as an
 * equal copy with no matches. Throws InstructionError (with the line) for
 * bad substitutions, `${v:?msg}`, and variables in COPY --from.
 */
export function expandInstruction<I extends Instruction>(instruction: I, env: ShellEnv, lex: WordLexer): ExpansionResult<I> {
  const expander = new Expander(env, lex);
  try {
    const expanded = expandByKind(instruction, expander);
    return { instruction: expanded as I, matched: expander.matched, unmatched: expander.unmatched };
  } catch (error) {
    if (error instanceof ShellLexError || error instanceof MountError || error instanceof ExpansionError) {
      throw new InstructionError(error.message, { startLine: instruction.startLine, endLine: instruction.endLine });
    }
    throw error;
  }
}

class ExpansionError extends Error {}

/** Collects matches across all the words of one instruction. */
class Expander {
  readonly matched = new Set<string>();
  readonly unmatched = new Set<string>();
  private rawLexer: ShellLex | undefined;

  constructor(
    private readonly env: ShellEnv,
    private readonly lex: WordLexer,
  ) {}

  get escapeToken(): string {
    return this.lex.escapeToken;
  }

  word(text: string): string {
    const result = this.lex.processWordWithMatches(text, this.env);
    this.record(result.matched, result.unmatched);
    return result.result;
  }

  optionalWord(text: string | undefined): string | undefined {
    return text === undefined ? undefined : this.word(text);
  }

  words(text: string): string[] {
    // processWords does not report matches; a second pass with matches records them.
    const words = this.lex.processWords(text, this.env);
    const { matched, unmatched } = this.lex.processWordWithMatches(text, this.env);
    this.record(matched, unmatched);
    return words;
  }

  /**
   * Heredoc bodies: BuildKit expands them with a fresh `\`-escaped lexer that
   * leaves quotes alone, so a body's quotes reach the file unchanged.
   */
  rawText(text: string): string {
    this.rawLexer ??= new ShellLex('\\', { skipProcessQuotes: true });
    const result = this.rawLexer.processWordWithMatches(text, this.env);
    this.record(result.matched, result.unmatched);
    return result.result;
  }

  private record(matched: Iterable<string>, unmatched: Iterable<string>): void {
    for (const name of matched) this.matched.add(name);
    for (const name of unmatched) this.unmatched.add(name);
  }
}

function expandByKind(instruction: Instruction, x: Expander): Instruction {
  switch (instruction.kind) {
    case 'env':
    case 'label':
      return { ...instruction, pairs: instruction.pairs.map((pair) => expandPair(pair, x)) };
    case 'add':
      return expandAdd(instruction, x);
    case 'copy':
      return expandCopy(instruction, x);
    case 'run':
      return expandRun(instruction, x);
    case 'workdir':
      return { ...instruction, path: x.word(instruction.path) };
    case 'user':
      return { ...instruction, ...splitUser(x.word(instruction.user)) };
    case 'volume':
      return expandVolume(instruction.volumes, x, instruction);
    case 'stopsignal':
      return expandStopSignal(instruction, x);
    case 'expose':
      return expandExpose(instruction, x);
    case 'from':
    case 'arg':
    case 'cmd':
    case 'entrypoint':
    case 'shell':
    case 'healthcheck':
    case 'onbuild':
    case 'maintainer':
      return structuredClone(instruction);
  }
}

function expandPair(pair: KeyValue, x: Expander): KeyValue {
  // Every pair sees the environment from before the instruction, as in
  // BuildKit: `ENV A=1 B=$A` gives B the old A.
  return { key: x.word(pair.key), value: x.word(pair.value), hasDelimiter: pair.hasDelimiter };
}

function expandInlineSources(sources: InlineSource[], x: Expander): InlineSource[] {
  return sources.map((source) => (source.expand ? { ...source, data: x.rawText(source.data) } : { ...source }));
}

function expandAdd(add: AddInstruction, x: Expander): AddInstruction {
  const out: AddInstruction = {
    ...add,
    sources: add.sources.map((source) => x.word(source)),
    inlineSources: expandInlineSources(add.inlineSources, x),
    dest: x.word(add.dest),
    excludes: [...add.excludes],
  };
  assignExpanded(out, 'chown', x.optionalWord(add.chown));
  assignExpanded(out, 'chmod', x.optionalWord(add.chmod));
  assignExpanded(out, 'checksum', x.optionalWord(add.checksum));
  return out;
}

function expandCopy(copy: CopyInstruction, x: Expander): CopyInstruction {
  assertNoVariableInCopyFrom(copy, x.escapeToken);
  const out: CopyInstruction = {
    ...copy,
    sources: copy.sources.map((source) => x.word(source)),
    inlineSources: expandInlineSources(copy.inlineSources, x),
    dest: x.word(copy.dest),
    excludes: [...copy.excludes],
  };
  assignExpanded(out, 'chown', x.optionalWord(copy.chown));
  assignExpanded(out, 'chmod', x.optionalWord(copy.chmod));
  return out;
}

function assignExpanded<T extends object, K extends keyof T>(target: T, key: K, value: T[K] | undefined): void {
  if (value !== undefined) target[key] = value;
}

const EMPTY_ENV: ShellEnv = { get: () => undefined, keys: () => [] };

/**
 * BuildKit checks COPY --from against an empty environment: if anything would
 * change, the value used a variable, which it does not support.
 */
export function assertNoVariableInCopyFrom(copy: CopyInstruction, escapeToken = '\\'): void {
  if (copy.from === undefined) return;
  let processed: string;
  try {
    processed = new ShellLex(escapeToken).processWord(copy.from, EMPTY_ENV);
  } catch (error) {
    if (!(error instanceof ShellLexError)) throw error;
    processed = '';
  }
  if (processed !== copy.from) {
    throw new InstructionError(
      'variable expansion is not supported for --from, define a new stage with FROM using ARG from global scope as a workaround',
      { startLine: copy.startLine, endLine: copy.endLine },
    );
  }
}

function expandRun(run: RunInstruction, x: Expander): RunInstruction {
  return {
    ...structuredClone(run),
    mounts: run.mountSpecs.map((spec) => parseMount(spec, (value) => x.word(value))),
  };
}

function expandVolume<I extends Extract<Instruction, { kind: 'volume' }>>(volumes: string[], x: Expander, volume: I): I {
  const expanded = volumes.map((path) => x.word(path));
  if (expanded.some((path) => path === '')) throw new ExpansionError('VOLUME specified can not be an empty string');
  return { ...volume, volumes: expanded };
}

function expandExpose(expose: ExposeInstruction, x: Expander): ExposeInstruction {
  const ports = expose.ports.flatMap((port) => x.words(port));
  for (const port of ports) parseExposedPort(port);
  return { ...expose, ports };
}

export interface ExposedPort {
  /** First port of the range. */
  port: number;
  /** Last port of the range; equals `port` for a single port. */
  endPort: number;
  /** tcp, udp or sctp as written (BuildKit keeps the case). */
  protocol: string;
}

/**
 * One EXPOSE word after expansion: `80`, `80/tcp`, `8000-8010/udp`. Throws
 * for what Docker's nat.ParsePortSpecs rejects.
 */
export function parseExposedPort(spec: string): ExposedPort {
  const slash = spec.lastIndexOf('/');
  const portText = slash >= 0 ? spec.slice(0, slash) : spec;
  const protocol = slash >= 0 ? spec.slice(slash + 1) : 'tcp';
  if (!['tcp', 'udp', 'sctp'].includes(protocol.toLowerCase())) {
    throw new ExpansionError(`invalid proto: ${protocol}`);
  }
  // A host part (`ip:hostPort:containerPort`) is meaningless in an image; take the container port.
  const containerPart = portText.slice(portText.lastIndexOf(':') + 1);
  const range = /^(\d+)(?:-(\d+))?$/.exec(containerPart);
  if (!range) throw new ExpansionError(`invalid containerPort: ${containerPart}`);
  const port = Number(range[1]);
  const endPort = range[2] === undefined ? port : Number(range[2]);
  if (port > 65535 || endPort > 65535) throw new ExpansionError(`invalid containerPort: ${containerPart}`);
  if (endPort < port) throw new ExpansionError(`invalid range specified for container port: ${containerPart}`);
  return { port, endPort, protocol };
}

/** The keys an image config's ExposedPorts gets from one EXPOSE: "80/tcp", one per port of a range. */
export function exposedPortKeys(expose: ExposeInstruction): string[] {
  return expose.ports.flatMap((spec) => {
    const { port, endPort, protocol } = parseExposedPort(spec);
    const keys: string[] = [];
    for (let p = port; p <= endPort; p++) keys.push(`${p}/${protocol}`);
    return keys;
  });
}

function expandStopSignal(stop: StopSignalInstruction, x: Expander): StopSignalInstruction {
  const signal = x.word(stop.signal);
  parseSignal(signal);
  return { ...stop, signal };
}

const SIGNAL_NUMBERS: Record<string, number> = {
  ABRT: 6, ALRM: 14, BUS: 7, CHLD: 17, CLD: 17, CONT: 18, FPE: 8, HUP: 1, ILL: 4, INT: 2, IO: 29, IOT: 6,
  KILL: 9, PIPE: 13, POLL: 29, PROF: 27, PWR: 30, QUIT: 3, SEGV: 11, STKFLT: 16, STOP: 19, SYS: 31,
  TERM: 15, TRAP: 5, TSTP: 20, TTIN: 21, TTOU: 22, URG: 23, USR1: 10, USR2: 12, VTALRM: 26, WINCH: 28,
  XCPU: 24, XFSZ: 25,
};

/** moby/sys/signal.ParseSignal for Linux: "SIGTERM", "TERM", "15", "SIGRTMIN+3". */
export function parseSignal(signal: string): number {
  if (/^\d+$/.test(signal)) {
    const number = Number(signal);
    if (number === 0 || number > 64) throw new ExpansionError(`invalid signal: ${signal}`);
    return number;
  }
  const name = signal.toUpperCase().replace(/^SIG/, '');
  const known = SIGNAL_NUMBERS[name];
  if (known !== undefined) return known;
  const realtime = /^RTMIN(?:\+(\d+))?$|^RTMAX(?:-(\d+))?$/.exec(name);
  if (realtime) {
    const number = realtime[0].startsWith('RTMIN') ? 34 + Number(realtime[1] ?? 0) : 64 - Number(realtime[2] ?? 0);
    if (number >= 34 && number <= 64) return number;
  }
  throw new ExpansionError(`invalid signal: ${signal}`);
}
