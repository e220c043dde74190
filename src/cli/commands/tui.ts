import { getList, UsageError } from '../args.js';
import type { Command } from '../command.js';
import { importEsm } from '../esm-import.js';

type RunTui = typeof import('../../tui/run-tui.js');

/**
 * The esbuild bundle of the workbench when the build made one (fast start),
 * else the tsc output. A bundle older than the tsc output is stale (tsc ran
 * without the bundler after it) and is not used.
 */
async function loadWorkbench(): Promise<RunTui> {
  const { statSync } = await import('node:fs');
  const mtime = (relative: string): number => {
    try {
      return statSync(new URL(relative, import.meta.url)).mtimeMs;
    } catch {
      return -1;
    }
  };
  const bundle = mtime('../../tui/run-tui.bundle.js');
  const fresh = bundle > 0 && bundle >= mtime('../../tui/run-tui.js');
  // The bundle is made by dist/tui/build-bundle.js after tsc and is absent from the sources.
  return importEsm<RunTui>(new URL(fresh ? '../../tui/run-tui.bundle.js' : '../../tui/run-tui.js', import.meta.url));
}

/**
 * `layerlab [-f Dockerfile] [CONTEXT]` and `layerlab tui`: the workbench. The
 * build session and Ink load lazily so that other commands start fast.
 */
export const tuiCommand: Command = {
  name: 'tui',
  summary: 'open the workbench: step through a Dockerfile and see every layer (the default command)',
  usage: 'tui [-f Dockerfile] [--target STAGE] [--build-arg K=V]... [-t REF]... [--no-cache] [CONTEXT]',
  options: [
    { name: 'file', short: 'f', kind: 'string', valueName: 'PATH', description: 'the Dockerfile (default CONTEXT/Dockerfile)' },
    { name: 'target', kind: 'string', valueName: 'STAGE', description: 'build up to this stage' },
    { name: 'build-arg', kind: 'list', valueName: 'K=V', description: 'set a build argument' },
    { name: 'tag', short: 't', kind: 'list', valueName: 'REF', description: 'name the image when it is finished' },
    { name: 'no-cache', kind: 'boolean', description: 'do not use the build cache' },
  ],
  async run(args, globals, io) {
    if (args.positionals.length > 1) throw new UsageError('the workbench takes one build context directory (see layerlab --help)');
    const stdout = io.stdout as NodeJS.WriteStream;
    const stdin = io.stdin as NodeJS.ReadStream;
    if (!stdout.isTTY || !stdin.isTTY) {
      throw new UsageError('the workbench needs a terminal; for a build without one use `layerlab build`');
    }
    const { resolve, join } = await import('node:path');
    const { stat } = await import('node:fs/promises');
    const contextDir = resolve(args.positionals[0] ?? '.');
    const contextInfo = await stat(contextDir).catch(() => undefined);
    if (!contextInfo?.isDirectory()) throw new UsageError(`build context ${contextDir} is not a directory`);
    const fileOption = args.options.get('file') as string | undefined;
    const dockerfilePath = fileOption ? resolve(fileOption) : join(contextDir, 'Dockerfile');
    const fileInfo = await stat(dockerfilePath).catch(() => undefined);
    if (!fileInfo?.isFile()) throw new UsageError(`Dockerfile ${dockerfilePath} not found (use -f to name it)`);
    const buildArgs: Record<string, string> = {};
    for (const pair of getList(args, 'build-arg')) {
      const eq = pair.indexOf('=');
      if (eq <= 0) throw new UsageError(`--build-arg ${pair}: expected KEY=VALUE`);
      buildArgs[pair.slice(0, eq)] = pair.slice(eq + 1);
    }
    const [{ Store }, { BuildSession }, { runTui }] = await Promise.all([
      import('../../image/store.js'),
      import('../../engine/session.js'),
      loadWorkbench(),
    ]);
    const session = await BuildSession.open({
      store: await Store.open(globals.root),
      dockerfilePath,
      contextDir,
      buildArgs,
      target: args.options.get('target') as string | undefined,
      noCache: args.options.get('no-cache') === true,
      tags: getList(args, 'tag'),
      insecureRegistries: globals.insecureRegistries,
      registryMirrors: globals.registryMirrors,
    });
    await runTui({ session, stdin, stdout });
    return 0;
  },
};
