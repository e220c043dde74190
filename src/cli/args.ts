/**
 * A small, strict argument parser shared by every subcommand. Each command
 * declares its options; anything undeclared is a usage error (exit 2), the way
 * docker and buildah refuse unknown flags instead of guessing.
 */
export interface OptionSpec {
  /** Long name without dashes, e.g. "file". */
  name: string;
  short?: string;
  /** "string" takes a value, "boolean" does not, "list" may repeat. */
  kind: 'string' | 'boolean' | 'list';
  valueName?: string;
  description: string;
}

export interface ParsedArgs {
  options: Map<string, string | boolean | string[]>;
  positionals: string[];
}

export class UsageError extends Error {
  readonly exitCode = 2;
  readonly isUserError = true;
  constructor(message: string) {
    super(message);
    this.name = 'UsageError';
  }
}

export function parseArgs(argv: readonly string[], specs: readonly OptionSpec[]): ParsedArgs {
  const byLong = new Map(specs.map((s) => [s.name, s]));
  const byShort = new Map(specs.filter((s) => s.short).map((s) => [s.short as string, s]));
  const options = new Map<string, string | boolean | string[]>();
  const positionals: string[] = [];

  const set = (spec: OptionSpec, value: string | undefined, shown: string): void => {
    if (spec.kind === 'boolean') {
      if (value !== undefined && value !== 'true' && value !== 'false') {
        throw new UsageError(`option ${shown} takes no value (got "${value}")`);
      }
      options.set(spec.name, value !== 'false');
      return;
    }
    if (value === undefined) throw new UsageError(`option ${shown} needs a value`);
    if (spec.kind === 'list') {
      const list = (options.get(spec.name) as string[] | undefined) ?? [];
      list.push(value);
      options.set(spec.name, list);
    } else {
      options.set(spec.name, value);
    }
  };

  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (arg === '--') {
      positionals.push(...argv.slice(i + 1));
      break;
    }
    if (arg.startsWith('--')) {
      const eq = arg.indexOf('=');
      const name = eq >= 0 ? arg.slice(2, eq) : arg.slice(2);
      const spec = byLong.get(name);
      if (!spec) throw new UsageError(`unknown option --${name}`);
      let value: string | undefined = eq >= 0 ? arg.slice(eq + 1) : undefined;
      if (value === undefined && spec.kind !== 'boolean') value = argv[++i];
      set(spec, value, `--${name}`);
    } else if (arg.startsWith('-') && arg.length > 1) {
      const letter = arg.slice(1, 2);
      const spec = byShort.get(letter);
      if (!spec) throw new UsageError(`unknown option -${letter}`);
      let value: string | undefined = arg.length > 2 ? arg.slice(2).replace(/^=/, '') : undefined;
      if (value === undefined && spec.kind !== 'boolean') value = argv[++i];
      set(spec, value, `-${letter}`);
    } else {
      positionals.push(arg);
    }
  }
  return { options, positionals };
}

export function getString(args: ParsedArgs, name: string): string | undefined {
  const v = args.options.get(name);
  return typeof v === 'string' ? v : undefined;
}

export function getBool(args: ParsedArgs, name: string): boolean {
  return args.options.get(name) === true;
}

export function getList(args: ParsedArgs, name: string): string[] {
  const v = args.options.get(name);
  return Array.isArray(v) ? v : [];
}

export function formatOptions(specs: readonly OptionSpec[]): string {
  const rows = specs.map((s) => {
    const flag = `${s.short ? `-${s.short}, ` : '    '}--${s.name}${s.kind === 'boolean' ? '' : ` ${s.valueName ?? 'VALUE'}`}`;
    return [flag, s.description + (s.kind === 'list' ? ' (repeatable)' : '')] as const;
  });
  const width = Math.max(0, ...rows.map(([f]) => f.length));
  return rows.map(([f, d]) => `  ${f.padEnd(width)}  ${d}`).join('\n');
}
