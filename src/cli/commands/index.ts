import type { Command } from '../command.js';

/**
 * Every subcommand, in the order `layerlab --help` lists them. Each lives in
 * its own file and is added here with one line.
 */
export const commands: Command[] = [];
