/**
 * ONBUILD triggers stored in a base image's config run first in a stage built
 * FROM that image. BuildKit parses each trigger as a one-instruction
 * Dockerfile and reports its errors at the FROM line (initOnBuildTriggers).
 */
import { DockerfileError, InstructionError, type SourceRange } from './errors.js';
import { parseInstruction, type Instruction } from './instructions.js';
import { parseDockerfile } from './parser.js';

/** Parses a base image's `OnBuild` strings into instructions placed at `from`'s lines. */
export function parseOnbuildTriggers(triggers: readonly string[], from: SourceRange): Instruction[] {
  const at = { startLine: from.startLine, endLine: from.endLine };
  return triggers.map((trigger) => {
    let ast;
    try {
      ast = parseDockerfile(trigger);
    } catch (error) {
      if (error instanceof DockerfileError) throw new InstructionError(`ONBUILD trigger: ${error.detail}`, at);
      throw error;
    }
    if (ast.children.length !== 1) throw new InstructionError('onbuild trigger should be a single expression', at);
    const node = { ...ast.children[0]!, ...at };
    const instruction = parseInstruction(node);
    if (instruction.kind === 'from' || instruction.kind === 'onbuild' || instruction.kind === 'maintainer') {
      throw new InstructionError(`${instruction.kind.toUpperCase()} isn't allowed as an ONBUILD trigger`, at);
    }
    return instruction;
  });
}
