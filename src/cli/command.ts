import type { OptionSpec, ParsedArgs } from './args.js';

/** Options every subcommand accepts before or after its name. */
export interface GlobalOptions {
  root?: string;
  insecureRegistries: string[];
  registryMirrors: string[];
}

export interface CommandIo {
  stdout: NodeJS.WritableStream;
  stderr: NodeJS.WritableStream;
  stdin: NodeJS.ReadableStream;
}

export interface Command {
  name: string;
  /** One line for `layerlab --help`. */
  summary: string;
  /** Usage line(s) after "layerlab ", e.g. "parse [--format buildkit|json] [FILE|-]". */
  usage: string;
  options: OptionSpec[];
  /** Resolves to the exit status: 0 ok, 1 a build step failed, 2 bad usage or input. */
  run(args: ParsedArgs, globals: GlobalOptions, io: CommandIo): Promise<number>;
}
