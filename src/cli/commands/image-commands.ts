import type { Command } from '../command.js';
import { imagesCommand } from './images.js';
import { importCommand } from './import.js';
import { loadCommand } from './load.js';
import { pruneCommand } from './prune.js';
import { rmiCommand } from './rmi.js';
import { saveCommand } from './save.js';

/** The store commands (images, load, import, save, rmi, prune), registered together in index.ts. */
export const imageCommands: Command[] = [imagesCommand, loadCommand, importCommand, saveCommand, rmiCommand, pruneCommand];
