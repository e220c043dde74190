/**
 * `layerlab shell REF [--layer N] [--shell PATH]`: an interactive shell in a
 * container of the image as it is after layer N (default: the whole image).
 * Changes go to a throwaway layer; the exit status is the shell's.
 */
import { getString, UsageError } from '../args.js';
import type { Command } from '../command.js';

export const shellCommand: Command = {
  name: 'shell',
  summary: 'open a shell inside an image, or inside it as it was at one layer',
  usage: 'shell REF [--layer N] [--shell PATH]',
  options: [
    { name: 'layer', kind: 'string', valueName: 'N', description: 'the image as it is after layer N (0 is the bottom layer)' },
    { name: 'shell', kind: 'string', valueName: 'PATH', description: 'the shell to run (default: $SHELL of the image, /bin/bash, /bin/sh)' },
  ],
  async run(args, globals, io) {
    if (args.positionals.length !== 1) throw new UsageError('shell takes exactly one REF (see layerlab shell --help)');
    const { Store } = await import('../../image/store.js');
    const { inspectImage } = await import('../../engine/image-inspect.js');
    const { openShell } = await import('../../engine/shell.js');
    const store = await Store.open(globals.root);
    const inspected = await inspectImage(store, args.positionals[0]!);
    const count = inspected.layers.length;
    const layerText = getString(args, 'layer');
    let upTo = count - 1;
    if (layerText !== undefined) {
      if (!/^\d+$/.test(layerText) || Number(layerText) >= count) {
        throw new UsageError(`--layer ${layerText}: the image has layers 0..${count - 1}`);
      }
      upTo = Number(layerText);
    }
    const lowerDirs = inspected.layers.slice(0, upTo + 1).map((l) => l.dir).reverse();
    const stdin = process.stdin;
    const stdout = process.stdout;
    const config = inspected.image.config;
    const opened = await openShell({
      store,
      lowerDirs,
      config,
      env: config.config?.Env ?? [],
      shell: getString(args, 'shell'),
      cols: stdout.columns ?? 80,
      rows: stdout.rows ?? 24,
      term: process.env.TERM,
    });
    opened.process.onData((data) => stdout.write(data));
    const onResize = () => opened.process.resize(stdout.columns ?? 80, stdout.rows ?? 24);
    const onInput = (data: Buffer) => opened.process.write(data.toString('binary'));
    stdout.on('resize', onResize);
    const wasRaw = stdin.isTTY ? stdin.isRaw : false;
    if (stdin.isTTY) stdin.setRawMode(true);
    stdin.on('data', onInput);
    stdin.resume();
    try {
      const code = await opened.exited;
      const changes = await opened.changes().catch(() => []);
      if (changes.length > 0) {
        io.stderr.write(`layerlab: the shell changed ${changes.length} path(s); they were thrown away with the container\n`);
      }
      return code;
    } finally {
      stdin.off('data', onInput);
      stdout.off('resize', onResize);
      if (stdin.isTTY) stdin.setRawMode(wasRaw);
      stdin.pause();
      await opened.discard();
    }
  },
};
