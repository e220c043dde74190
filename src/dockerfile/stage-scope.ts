/**
 * The variables one build stage sees while its instructions run, kept the way
 * BuildKit keeps them (dockerfile2llb dispatchArg / dispatchEnv):
 *
 * - one environment holds the base image's Env, then every ENV and every ARG
 *   that has a value, in order; a later entry replaces an earlier one, which
 *   is why `ENV X=1` after `ARG X` wins and an `ARG X=2` after it wins again;
 * - a global ARG (before the first FROM) is visible only after the stage
 *   declares it with `ARG X` (no default); a --build-arg beats a default;
 * - ARG values reach RUN's environment but not the image config; ENV reaches both.
 *
 * The engine creates one scope per stage once it knows the base image's Env,
 * then calls `dispatch` for each instruction in order.
 */
import { InstructionError, ShellLexError } from './errors.js';
import { expandInstruction } from './instruction-expansion.js';
import type { ArgDeclaration, ArgInstruction, Instruction } from './instructions.js';
import type { ShellEnv } from './shell-env.js';
import { ShellLex } from './shell-lexer.js';

/** What BuildKit puts in PATH when the base image has none (Linux). */
export const DEFAULT_PATH = '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';

/** Build args BuildKit reads itself and never turns into environment variables. */
const NON_ENV_ARGS = new Set(['BUILDKIT_SBOM_SCAN_CONTEXT', 'BUILDKIT_SBOM_SCAN_STAGE']);

export interface StageScopeOptions {
  /** Automatic platform ARGs and global ARGs after build-arg overrides (see parseStages). */
  globalArgs: ReadonlyMap<string, string>;
  /** The user's --build-arg values. */
  buildArgs: ReadonlyMap<string, string>;
  /** The Dockerfile's escape token. */
  escapeToken?: string;
}

/** One instruction after expansion in its stage's scope. */
export interface ScopedStep<I extends Instruction = Instruction> {
  /**
   * The instruction with variables filled in where BuildKit fills them in.
   * For ARG, each declaration's `defaultValue` holds the value it resolved
   * to (build arg, default or global value), or is absent when it has none.
   */
  instruction: I;
  /**
   * The build args (declared ARGs) this step depends on, with their values,
   * for the cache key. RUN depends on every ARG in scope, since they are in
   * its environment; other instructions on the ones they refer to.
   */
  usedArgs: Record<string, string>;
  /** Variables referred to but not set (BuildKit's UndefinedVar check). */
  unmatched: string[];
}

export class StageScope implements ShellEnv {
  /** The environment expansion and RUN see: image Env, ENV and ARG values. */
  private readonly vars: Map<string, string>;
  /** The image config's Env: base image Env and ENV only. */
  private readonly configEnv: Map<string, string>;
  private readonly args: ArgDeclaration[];
  private readonly lex: ShellLex;

  private constructor(
    private readonly options: StageScopeOptions,
    vars: Map<string, string>,
    configEnv: Map<string, string>,
    args: ArgDeclaration[],
  ) {
    this.vars = vars;
    this.configEnv = configEnv;
    this.args = args;
    this.lex = new ShellLex(options.escapeToken ?? '\\');
  }

  /**
   * A stage whose FROM is an image (or scratch): starts from the image
   * config's Env ("KEY=value" strings), adding PATH when it is missing.
   */
  static fromImageEnv(imageEnv: readonly string[], options: StageScopeOptions): StageScope {
    const env = new Map<string, string>();
    for (const entry of imageEnv) {
      const eq = entry.indexOf('=');
      env.set(eq < 0 ? entry : entry.slice(0, eq), eq < 0 ? '' : entry.slice(eq + 1));
    }
    if (!env.has('PATH')) env.set('PATH', DEFAULT_PATH);
    return new StageScope(options, new Map(env), env, []);
  }

  /** A stage whose FROM names an earlier stage: it continues that stage's scope, ARGs included. */
  static fromStage(parent: StageScope): StageScope {
    return new StageScope(parent.options, new Map(parent.vars), new Map(parent.configEnv), parent.args.map((arg) => ({ ...arg })));
  }

  get(name: string): string | undefined {
    return this.vars.get(name);
  }

  keys(): Iterable<string> {
    return this.vars.keys();
  }

  /** "KEY=value" for the image config's Env. */
  imageEnv(): string[] {
    return [...this.configEnv].map(([key, value]) => `${key}=${value}`);
  }

  /** "KEY=value" for a RUN process: the image Env plus ARG values in scope. */
  processEnv(): string[] {
    return [...this.vars].map(([key, value]) => `${key}=${value}`);
  }

  /** The ARGs declared so far in this stage (and its parent stages), with their values. */
  declaredArgs(): ArgDeclaration[] {
    return this.args.map((arg) => ({ ...arg }));
  }

  /**
   * Expands `instruction` in the current scope and applies what it changes
   * (ENV, ARG). Throws InstructionError with the line on expansion errors.
   */
  dispatch<I extends Instruction>(instruction: I): ScopedStep<I> {
    if (instruction.kind === 'arg') return this.dispatchArg(instruction) as ScopedStep<I>;
    if (instruction.kind === 'from') {
      throw new TypeError('FROM starts a new stage; expand it with the global ARGs (parseStages)');
    }
    const expansion = expandInstruction(instruction, this, this.lex);
    const expanded = expansion.instruction;
    if (expanded.kind === 'env') {
      for (const { key, value } of expanded.pairs) {
        this.vars.set(key, value);
        this.configEnv.set(key, value);
      }
    }
    const usedArgs = instruction.kind === 'run' ? this.argsInScope() : this.argValues(expansion.matched);
    return { instruction: expanded, usedArgs, unmatched: [...expansion.unmatched] };
  }

  private dispatchArg(arg: ArgInstruction): ScopedStep<ArgInstruction> {
    const { globalArgs, buildArgs } = this.options;
    const matched = new Set<string>();
    const unmatched = new Set<string>();
    const resolved: ArgDeclaration[] = [];
    for (const declaration of arg.args) {
      const { key, defaultValue } = declaration;
      let value: string | undefined;
      if (buildArgs.has(key)) value = buildArgs.get(key);
      else if (defaultValue !== undefined) value = this.expandDefault(arg, defaultValue, matched, unmatched);
      else value = globalArgs.get(key);
      if (value !== undefined && !NON_ENV_ARGS.has(key)) this.vars.set(key, value);
      const declared: ArgDeclaration = value === undefined ? { key } : { key, defaultValue: value };
      this.args.push(declared);
      resolved.push({ ...declared });
    }
    return {
      instruction: { ...arg, args: resolved },
      usedArgs: this.argValues(matched),
      unmatched: [...unmatched],
    };
  }

  private expandDefault(arg: ArgInstruction, text: string, matched: Set<string>, unmatched: Set<string>): string {
    try {
      const result = this.lex.processWordWithMatches(text, this);
      for (const name of result.matched) matched.add(name);
      for (const name of result.unmatched) unmatched.add(name);
      return result.result;
    } catch (error) {
      if (error instanceof ShellLexError) {
        throw new InstructionError(error.message, { startLine: arg.startLine, endLine: arg.endLine });
      }
      throw error;
    }
  }

  /** Every declared ARG with its current value (an ENV of the same name wins, as in BuildKit). */
  private argsInScope(): Record<string, string> {
    const out: Record<string, string> = {};
    for (const arg of this.args) {
      const value = this.vars.get(arg.key) ?? arg.defaultValue;
      if (value !== undefined) out[arg.key] = value;
    }
    return out;
  }

  private argValues(names: Iterable<string>): Record<string, string> {
    const declared = new Set(this.args.map((arg) => arg.key));
    const out: Record<string, string> = {};
    for (const name of [...names].sort()) {
      const value = this.vars.get(name);
      if (declared.has(name) && value !== undefined) out[name] = value;
    }
    return out;
  }
}

const PROXY_ARGS = ['http_proxy', 'https_proxy', 'ftp_proxy', 'no_proxy', 'all_proxy'];

/**
 * Proxy build args (HTTP_PROXY, https_proxy, ...) reach every RUN's
 * environment without an ARG and stay out of history and the cache key, as
 * BuildKit's llb.WithProxy does. Returns "KEY=value" in a stable order.
 */
export function proxyEnv(buildArgs: ReadonlyMap<string, string>): string[] {
  return [...buildArgs]
    .filter(([key]) => PROXY_ARGS.includes(key.toLowerCase()))
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([key, value]) => `${key}=${value}`);
}
