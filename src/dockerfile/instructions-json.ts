/**
 * The typed instructions of a Dockerfile as plain JSON data with their line
 * ranges, for `layerlab parse --format json` and other tools.
 */
import type { DockerfileAst, ParseWarning, ParserDirectives } from './ast.js';
import { parseInstruction, type Instruction } from './instructions.js';

export interface InstructionsJson {
  directives: ParserDirectives;
  escapeToken: string;
  /**
   * One entry per instruction, in file order. Each has `kind`, `startLine`,
   * `endLine`, `original` and its typed fields, values as written (not expanded).
   */
  instructions: Instruction[];
  warnings: ParseWarning[];
}

/** Throws InstructionError (with the line) for the first instruction that does not check out. */
export function instructionsToJson(ast: DockerfileAst): InstructionsJson {
  return {
    directives: { ...ast.directives },
    escapeToken: ast.escapeToken,
    instructions: ast.children.map((node) => parseInstruction(node)),
    warnings: ast.warnings.map((warning) => ({ ...warning })),
  };
}
