import { describe, expect, it } from 'vitest';
import { InstructionError } from '../../src/dockerfile/errors.js';
import { parseInstruction, type RunInstruction } from '../../src/dockerfile/instructions.js';
import { parseDockerfile } from '../../src/dockerfile/parser.js';
import { runCommandPlan, summarizeHeredoc } from '../../src/dockerfile/run-command.js';
import { proxyEnv } from '../../src/dockerfile/stage-scope.js';

function run(text: string): RunInstruction {
  const instruction = parseInstruction(parseDockerfile(`FROM scratch\n${text}`).children[1]!);
  if (instruction.kind !== 'run') throw new Error('not a RUN');
  return instruction;
}

describe('runCommandPlan', () => {
  it('passes plain commands through', () => {
    expect(runCommandPlan(run('RUN echo hi\n'))).toEqual({ args: ['echo hi'], prependShell: true, scriptFiles: [] });
    expect(runCommandPlan(run('RUN ["echo", "hi"]\n'))).toEqual({ args: ['echo', 'hi'], prependShell: false, scriptFiles: [] });
  });

  it('runs a lone heredoc body as the script', () => {
    expect(runCommandPlan(run('RUN <<EOF\necho one\necho two\nEOF\n'))).toEqual({
      args: ['echo one\necho two\n'],
      prependShell: true,
      scriptFiles: [],
      heredocSummary: 'echo one...',
    });
  });

  it('runs a shebang heredoc as an executable file under /dev/pipes', () => {
    const plan = runCommandPlan(run('RUN <<-EOT\n\t#!/usr/bin/env python3\n\tprint("hi")\nEOT\n'));
    expect(plan).toEqual({
      args: ['/dev/pipes/EOT'],
      prependShell: true,
      scriptFiles: [{ path: '/dev/pipes/EOT', data: '#!/usr/bin/env python3\nprint("hi")\n', mode: 0o755 }],
      heredocSummary: '#!/usr/bin/env python3...',
    });
  });

  it('joins heredocs inside a longer command line back into one script', () => {
    const plan = runCommandPlan(run('RUN cat <<A > /a && cat <<B > /b\nfirst\nA\nsecond\nB\n'));
    expect(plan.args).toEqual(['cat <<A > /a && cat <<B > /b\nfirst\nA\nsecond\nB']);
  });

  it('rejects heredocs with an exec-form command', () => {
    const exec: RunInstruction = { ...run('RUN ["sh"]\n'), files: [{ name: 'EOF', data: 'x\n', chomp: false, expand: true }] };
    expect(() => runCommandPlan(exec)).toThrow(InstructionError);
  });

  it('summarizes heredocs like BuildKit', () => {
    expect(summarizeHeredoc('\n  only line  \n')).toBe('only line');
  });
});

describe('proxyEnv', () => {
  it('passes proxy build args in any case, and nothing else', () => {
    const args = new Map([
      ['HTTP_PROXY', 'http://proxy:3128'],
      ['no_proxy', 'localhost'],
      ['VERSION', '1'],
    ]);
    expect(proxyEnv(args)).toEqual(['HTTP_PROXY=http://proxy:3128', 'no_proxy=localhost']);
  });
});
