/**
 * `layerlab build`: the whole Dockerfile in one go, with plain or JSON
 * progress, like `docker build`. Exit 1 when a step fails (naming the step,
 * the Dockerfile line and the exit code), 2 for bad input.
 */
import { getBool, getList, getString, UsageError } from '../args.js';
import type { Command } from '../command.js';

function parseKeyValues(values: string[], flag: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const v of values) {
    const eq = v.indexOf('=');
    if (eq <= 0) {
      // `--build-arg NAME` takes the value from the environment, as docker does.
      if (flag === '--build-arg' && eq < 0 && v !== '') {
        const fromEnv = process.env[v];
        if (fromEnv !== undefined) out[v] = fromEnv;
        continue;
      }
      throw new UsageError(`${flag} ${v}: expected NAME=VALUE`);
    }
    out[v.slice(0, eq)] = v.slice(eq + 1);
  }
  return out;
}

export interface OutputSpec {
  type: 'oci' | 'docker';
  dest: string;
}

export function parseOutput(spec: string): OutputSpec {
  const fields = Object.fromEntries(
    spec.split(',').map((f) => {
      const eq = f.indexOf('=');
      return eq < 0 ? [f, ''] : [f.slice(0, eq), f.slice(eq + 1)];
    }),
  );
  const type = fields.type;
  if (type !== 'oci' && type !== 'docker') throw new UsageError(`--output ${spec}: type must be oci or docker`);
  if (!fields.dest) throw new UsageError(`--output ${spec}: dest=PATH is required`);
  return { type, dest: fields.dest };
}

export const buildCommand: Command = {
  name: 'build',
  summary: 'build an image from a Dockerfile, one OCI layer per step',
  usage:
    'build [-f F] [-t REF]... [--target S] [--build-arg K=V]... [--build-context NAME=SRC]...\n' +
    '      [--no-cache] [--progress auto|plain|json] [--output type=oci|docker,dest=P] [CONTEXT]',
  options: [
    { name: 'file', short: 'f', kind: 'string', valueName: 'FILE', description: 'the Dockerfile (default CONTEXT/Dockerfile; - for stdin)' },
    { name: 'tag', short: 't', kind: 'list', valueName: 'REF', description: 'name the image' },
    { name: 'target', kind: 'string', valueName: 'STAGE', description: 'build only up to this stage' },
    { name: 'build-arg', kind: 'list', valueName: 'K=V', description: 'set a build-time variable' },
    { name: 'build-context', kind: 'list', valueName: 'NAME=SRC', description: 'extra context: a directory, docker-image://REF or oci-layout://DIR' },
    { name: 'no-cache', kind: 'boolean', description: 'do not use the build cache' },
    { name: 'progress', kind: 'string', valueName: 'MODE', description: 'auto, plain or json (one event per line)' },
    { name: 'output', short: 'o', kind: 'string', valueName: 'SPEC', description: 'also write the image: type=oci|docker,dest=PATH' },
  ],
  async run(args, globals, io) {
    const { resolve, join } = await import('node:path');
    const positionals = args.positionals;
    if (positionals.length > 1) throw new UsageError(`build takes one CONTEXT, got ${positionals.length}`);
    const contextDir = resolve(positionals[0] ?? '.');
    const file = getString(args, 'file');
    const progress = getString(args, 'progress') ?? 'auto';
    if (!['auto', 'plain', 'json'].includes(progress)) throw new UsageError(`--progress ${progress}: expected auto, plain or json`);
    const output = getString(args, 'output');
    const outputSpec = output ? parseOutput(output) : undefined;

    let dockerfileText: string | undefined;
    let dockerfilePath = file ? resolve(file) : join(contextDir, 'Dockerfile');
    if (file === '-') {
      const chunks: Buffer[] = [];
      for await (const chunk of io.stdin) chunks.push(typeof chunk === 'string' ? Buffer.from(chunk) : chunk);
      dockerfileText = Buffer.concat(chunks).toString('utf8');
      dockerfilePath = 'Dockerfile';
    }

    const { BuildSession } = await import('../../engine/session.js');
    const { createProgressRenderer } = await import('../progress.js');
    const { Store } = await import('../../image/store.js');
    const store = await Store.open(globals.root);
    const session = await BuildSession.open({
      store,
      dockerfilePath,
      dockerfileText,
      contextDir,
      buildArgs: parseKeyValues(getList(args, 'build-arg'), '--build-arg'),
      target: getString(args, 'target'),
      noCache: getBool(args, 'no-cache'),
      tags: getList(args, 'tag'),
      buildContexts: parseKeyValues(getList(args, 'build-context'), '--build-context'),
      insecureRegistries: globals.insecureRegistries,
      registryMirrors: globals.registryMirrors,
    });
    const render = createProgressRenderer(progress as 'auto' | 'plain' | 'json', progress === 'json' ? io.stdout : io.stderr);
    render({ type: 'plan', steps: [...session.steps] });
    session.subscribe((e) => {
      if (e.type !== 'state') render(e);
    });
    // Ctrl-C: stop the running step (its sandbox dies with it) and clean up.
    let interrupted = false;
    const onSignal = () => {
      interrupted = true;
      session.cancel();
    };
    process.once('SIGINT', onSignal);
    process.once('SIGTERM', onSignal);
    try {
      const ok = await session.runAll();
      if (!ok) {
        const failed = session.steps.find((s) => s.status === 'failed');
        if (failed && progress !== 'json') {
          const code = failed.failure?.exitCode !== undefined ? `, exit code ${failed.failure.exitCode}` : '';
          io.stderr.write(
            `error: step ${failed.index + 1}/${session.steps.length} (${failed.keyword}, ${dockerfilePath}:${failed.startLine}${code}) failed\n`,
          );
        }
        // Ctrl-C ends with the shell's convention for SIGINT; bad input is a usage problem.
        if (interrupted || failed?.failure?.cause === 'cancelled') return 130;
        return failed?.failure?.cause === 'input' ? 2 : 1;
      }
      const done = await session.finish();
      if (outputSpec) {
        const { saveImage } = await import('../../image/save.js');
        const { readImage } = await import('../../image/image.js');
        const image = await readImage(store, done.manifestDigest, undefined, done.tags[0]);
        await saveImage(store, image, resolve(outputSpec.dest), outputSpec.type);
      }
      if (progress !== 'json') io.stdout.write(`${done.imageId}\n`);
      return 0;
    } finally {
      process.removeListener('SIGINT', onSignal);
      process.removeListener('SIGTERM', onSignal);
      await session.close();
    }
  },
};
