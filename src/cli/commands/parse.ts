/**
 * `layerlab parse [--format buildkit|json] [FILE|-]`: read a Dockerfile the
 * way BuildKit does and print it, either as BuildKit's own AST dump (the
 * format of its parser test results) or as typed instructions in JSON.
 */
import { getString, UsageError } from '../args.js';
import type { Command, CommandIo } from '../command.js';

const FORMATS = ['buildkit', 'json'] as const;
type Format = (typeof FORMATS)[number];

async function readAll(stream: NodeJS.ReadableStream): Promise<Uint8Array> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(typeof chunk === 'string' ? Buffer.from(chunk) : chunk);
  return Buffer.concat(chunks);
}

async function readDockerfile(path: string, io: CommandIo): Promise<Uint8Array> {
  if (path === '-') return readAll(io.stdin);
  const { readFile } = await import('node:fs/promises');
  try {
    return await readFile(path);
  } catch (err) {
    const { DockerfileReadError } = await import('../../dockerfile/errors.js');
    throw new DockerfileReadError(path, err);
  }
}

export const parseCommand: Command = {
  name: 'parse',
  summary: "print a Dockerfile as BuildKit's parser reads it",
  usage: 'parse [--format buildkit|json] [FILE|-]',
  options: [
    {
      name: 'format',
      kind: 'string',
      valueName: 'FORMAT',
      description: "buildkit: BuildKit's AST dump (default); json: typed instructions with line ranges",
    },
  ],
  async run(args, _globals, io) {
    const format = (getString(args, 'format') ?? 'buildkit') as Format;
    if (!FORMATS.includes(format)) throw new UsageError(`--format must be buildkit or json, not "${format}"`);
    if (args.positionals.length > 1) throw new UsageError('parse takes one FILE (or - for stdin)');
    const path = args.positionals[0] ?? 'Dockerfile';
    const shownName = path === '-' ? '<stdin>' : path;
    const bytes = await readDockerfile(path, io);

    const { DockerfileError } = await import('../../dockerfile/errors.js');
    try {
      const { parseDockerfileBytes } = await import('../../dockerfile/parser.js');
      const ast = parseDockerfileBytes(bytes);
      if (format === 'buildkit') {
        const { dumpBuildkitAst } = await import('../../dockerfile/ast-dump.js');
        io.stdout.write(dumpBuildkitAst(ast));
      } else {
        // The typed instructions' own JSON view (src/dockerfile/instructions-json.ts).
        const { instructionsToJson } = await import('../../dockerfile/instructions-json.js');
        const report = instructionsToJson(ast);
        io.stdout.write(JSON.stringify(report, null, 2) + '\n');
      }
      return 0;
    } catch (err) {
      if (err instanceof DockerfileError) throw err.withFile(shownName);
      throw err;
    }
  },
};
