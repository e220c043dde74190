import { describe, expect, it } from 'vitest';
import { InstructionError } from '../../src/dockerfile/errors.js';
import { parseInstruction } from '../../src/dockerfile/instructions.js';
import { parseOnbuildTriggers } from '../../src/dockerfile/onbuild-triggers.js';
import { parseDockerfile } from '../../src/dockerfile/parser.js';

describe('ONBUILD triggers of a base image', () => {
  it('round-trip: the expression an ONBUILD stores parses back to its trigger', () => {
    const ast = parseDockerfile('FROM alpine\nONBUILD COPY --chown=app . /src\nONBUILD RUN <<EOF\necho hi\nEOF\n');
    const expressions = ast.children.slice(1).map((node) => {
      const onbuild = parseInstruction(node);
      if (onbuild.kind !== 'onbuild') throw new Error('not ONBUILD');
      return onbuild.expression;
    });
    const triggers = parseOnbuildTriggers(expressions, { startLine: 7, endLine: 7 });
    expect(triggers).toMatchObject([
      { kind: 'copy', chown: 'app', sources: ['.'], dest: '/src', startLine: 7, endLine: 7 },
      { kind: 'run', args: ['<<EOF'], files: [{ name: 'EOF', data: 'echo hi\n' }], startLine: 7 },
    ]);
  });

  it('reports bad triggers at the FROM line', () => {
    const bad = (triggers: string[]): InstructionError => {
      try {
        parseOnbuildTriggers(triggers, { startLine: 3, endLine: 3 });
      } catch (error) {
        expect(error).toBeInstanceOf(InstructionError);
        return error as InstructionError;
      }
      throw new Error('expected an error');
    };
    expect(bad(['COPY --bogus a b']).message).toBe('Dockerfile:3: Unknown flag: bogus');
    expect(bad(['RUN a\nRUN b']).message).toBe('Dockerfile:3: onbuild trigger should be a single expression');
    expect(bad(['FROM alpine']).message).toBe("Dockerfile:3: FROM isn't allowed as an ONBUILD trigger");
  });
});
