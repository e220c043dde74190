/**
 * Instruction flags (`--from=build`, `--link`, `--mount=...`) parsed the way
 * BuildKit's BFlags does: every flag must be declared by the instruction
 * before parsing, a bare `--` ends the flags, booleans take an optional
 * `=true|false`, strings need `=`, and only list flags may repeat.
 */

/** A flag problem; the instruction parser turns it into an InstructionError with the line. */
export class FlagError extends Error {
  override name = 'FlagError';
}

type FlagKind = 'bool' | 'string' | 'strings';

interface FlagSlot {
  kind: FlagKind;
  value: string;
  values: string[];
  used: boolean;
}

export class InstructionFlags {
  private readonly declared = new Map<string, FlagSlot>();
  private parsed = false;

  constructor(private readonly raw: readonly string[]) {}

  /** Declares a boolean flag; read it with bool(name) after parse(). */
  declareBool(name: string, defaultValue = false): this {
    return this.declare(name, 'bool', defaultValue ? 'true' : 'false');
  }

  /** Declares a single-valued string flag. */
  declareString(name: string, defaultValue = ''): this {
    return this.declare(name, 'string', defaultValue);
  }

  /** Declares a flag that may be given several times (`--mount`, `--exclude`). */
  declareStrings(name: string): this {
    return this.declare(name, 'strings', '');
  }

  parse(): this {
    for (const arg of this.raw) {
      if (!arg.startsWith('--')) throw new FlagError(`Arg should start with -- : ${arg}`);
      if (arg === '--') break;
      const body = arg.slice(2);
      const eq = body.indexOf('=');
      const name = eq >= 0 ? body.slice(0, eq) : body;
      const value = eq >= 0 ? body.slice(eq + 1) : '';
      const slot = this.declared.get(name);
      if (!slot) throw new FlagError(`Unknown flag: ${name}`);
      if (slot.used && slot.kind !== 'strings') throw new FlagError(`Duplicate flag specified: ${name}`);
      slot.used = true;
      switch (slot.kind) {
        case 'bool': {
          if (eq >= 0 && value === '') throw new FlagError(`Missing a value on flag: ${name}`);
          const lower = value.toLowerCase();
          if (lower === '') slot.value = 'true';
          else if (lower === 'true' || lower === 'false') slot.value = lower;
          else throw new FlagError(`Expecting boolean value for flag ${name}, not: ${value}`);
          break;
        }
        case 'string':
          if (eq < 0) throw new FlagError(`Missing a value on flag: ${name}`);
          slot.value = value;
          break;
        case 'strings':
          if (eq < 0) throw new FlagError(`Missing a value on flag: ${name}`);
          slot.values.push(value);
          break;
      }
    }
    this.parsed = true;
    return this;
  }

  bool(name: string): boolean {
    return this.slot(name, 'bool').value === 'true';
  }

  /** The flag's value, or undefined when it was not given and has no default. */
  string(name: string): string | undefined {
    const slot = this.slot(name, 'string');
    return slot.used || slot.value !== '' ? slot.value : undefined;
  }

  strings(name: string): string[] {
    return [...this.slot(name, 'strings').values];
  }

  isUsed(name: string): boolean {
    return this.declared.get(name)?.used ?? false;
  }

  /** Names of the flags that were given, in declaration order. */
  used(): string[] {
    return [...this.declared].filter(([, slot]) => slot.used).map(([name]) => name);
  }

  private declare(name: string, kind: FlagKind, value: string): this {
    // A programming error, not a user error: two parsers declared the same flag.
    if (this.declared.has(name)) throw new Error(`flag declared twice: ${name}`);
    this.declared.set(name, { kind, value, values: [], used: false });
    return this;
  }

  private slot(name: string, kind: FlagKind): FlagSlot {
    const slot = this.declared.get(name);
    if (!slot || slot.kind !== kind) throw new Error(`flag ${name} was not declared as ${kind}`);
    if (!this.parsed) throw new Error(`flags read before parse(): ${name}`);
    return slot;
  }
}
