import { formatOptions, parseArgs, UsageError, type OptionSpec } from './args.js';
import type { Command, CommandIo, GlobalOptions } from './command.js';
import { renderError } from './errors.js';
import { commands } from './commands/index.js';

export const globalOptionSpecs: OptionSpec[] = [
  { name: 'root', kind: 'string', valueName: 'DIR', description: 'store directory (default $LAYERLAB_ROOT or $XDG_DATA_HOME/layerlab)' },
  { name: 'insecure-registry', kind: 'list', valueName: 'HOST[:PORT]', description: 'talk plain HTTP to this registry' },
  { name: 'registry-mirror', kind: 'list', valueName: 'URL', description: 'mirror to try first for Docker Hub' },
];

const globalNames = new Set(globalOptionSpecs.map((s) => s.name));

/**
 * Global options may stand before or after the subcommand name, as with docker.
 * Pull them out first so each command only sees its own flags.
 */
function splitGlobals(argv: readonly string[]): { globals: GlobalOptions; rest: string[] } {
  const globals: GlobalOptions = { insecureRegistries: [], registryMirrors: [] };
  const rest: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (arg === '--') {
      rest.push(...argv.slice(i));
      break;
    }
    const m = /^--([a-z-]+)(?:=(.*))?$/s.exec(arg);
    if (m && globalNames.has(m[1]!)) {
      const value = m[2] ?? argv[++i];
      if (value === undefined) throw new UsageError(`option --${m[1]} needs a value`);
      if (m[1] === 'root') globals.root = value;
      else if (m[1] === 'insecure-registry') globals.insecureRegistries.push(value);
      else globals.registryMirrors.push(value);
      continue;
    }
    rest.push(arg);
  }
  if (!globals.root && process.env.LAYERLAB_ROOT) globals.root = process.env.LAYERLAB_ROOT;
  return { globals, rest };
}

function topHelp(): string {
  const width = Math.max(...commands.map((c) => c.name.length));
  return [
    'layerlab: a terminal workbench for Dockerfiles',
    '',
    'Usage:',
    '  layerlab [-f Dockerfile] [CONTEXT]      open the workbench (same as `layerlab tui`)',
    '  layerlab COMMAND [OPTIONS]',
    '',
    'Commands:',
    ...commands.map((c) => `  ${c.name.padEnd(width)}  ${c.summary}`),
    '',
    'Global options:',
    formatOptions(globalOptionSpecs),
    '',
    'Run `layerlab COMMAND --help` for a command\'s options.',
    '',
  ].join('\n');
}

export function commandHelp(cmd: Command): string {
  // A usage line that starts with blanks continues the one above it.
  const usage = cmd.usage.split('\n').map((u, i) => (i === 0 ? `Usage: layerlab ${u}` : /^\s/.test(u) ? `       ${u}` : `       layerlab ${u}`));
  const options = formatOptions([...cmd.options, { name: 'help', short: 'h', kind: 'boolean', description: 'show this help' }]);
  return [...usage, '', cmd.summary, '', 'Options:', options, ''].join('\n');
}

export async function main(argv: readonly string[], io: CommandIo = process): Promise<number> {
  try {
    const { globals, rest } = splitGlobals(argv);
    if (rest[0] === '--help' || rest[0] === '-h' || rest[0] === 'help') {
      const named = rest[1] ? commands.find((c) => c.name === rest[1]) : undefined;
      io.stdout.write(named ? commandHelp(named) : topHelp());
      return 0;
    }
    if (rest[0] === '--version') {
      io.stdout.write('layerlab 0.1.0\n');
      return 0;
    }
    let cmd = commands.find((c) => c.name === rest[0]);
    let cmdArgs = rest.slice(1);
    if (!cmd) {
      // No subcommand name: `layerlab [-f F] [CONTEXT]` opens the TUI, but a
      // bare word that is not a directory is more likely a typo of a command.
      const tui = commands.find((c) => c.name === 'tui');
      const first = rest[0];
      if (first !== undefined && !first.startsWith('-') && /^[a-z]+$/.test(first) && !(await isDirectory(first))) {
        throw new UsageError(`unknown command "${first}" (see layerlab --help)`);
      }
      if (!tui) throw new UsageError('the workbench TUI is not available in this build (see layerlab --help)');
      cmd = tui;
      cmdArgs = rest;
    }
    if (cmdArgs.includes('--help') || cmdArgs.includes('-h')) {
      io.stdout.write(commandHelp(cmd));
      return 0;
    }
    const parsed = parseArgs(cmdArgs, cmd.options);
    return await cmd.run(parsed, globals, io);
  } catch (err) {
    return renderError(err, io.stderr);
  }
}

async function isDirectory(p: string): Promise<boolean> {
  const { stat } = await import('node:fs/promises');
  try {
    return (await stat(p)).isDirectory();
  } catch {
    return false;
  }
}
