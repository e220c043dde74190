import type { Command } from '../command.js';
import { imageCommands } from './image-commands.js';
import { pullCommand } from './pull.js';
import { pushCommand } from './push.js';
import { parseCommand } from './parse.js';
import { buildCommand } from './build.js';
import { diffCommand } from './diff.js';
import { historyCommand } from './history.js';
import { shellCommand } from './shell.js';
import { analyzeCommand } from './analyze.js';
import { tuiCommand } from './tui.js';

/**
 * Every subcommand, in the order `layerlab --help` lists them. Each lives in
 * its own file and is added here with one line.
 */
export const commands: Command[] = [tuiCommand, buildCommand, parseCommand, diffCommand, historyCommand, shellCommand, analyzeCommand, pullCommand, pushCommand, ...imageCommands];
