/**
 * Heredocs in the parser beyond BuildKit's tables: where they are allowed,
 * how bodies are read, and the lines they occupy.
 */
import { describe, expect, it } from 'vitest';
import { dumpBuildkitAst } from '../../src/dockerfile/ast-dump.js';
import { ParseError } from '../../src/dockerfile/errors.js';
import { parseDockerfile, parseHeredoc } from '../../src/dockerfile/parser.js';

describe('heredocs in the parser', () => {
  it('reads bodies raw: comments, continuations and directives inside stay text', () => {
    const ast = parseDockerfile('FROM a\nRUN <<EOF\n# escape=`\nfoo \\\n\n  bar\nEOF\nRUN next\n');
    expect(ast.children[1]!.heredocs[0]!.content).toBe('# escape=`\nfoo \\\n\n  bar\n');
    expect(ast.children[1]!.startLine).toBe(2);
    expect(ast.children[1]!.endLine).toBe(7);
    expect(ast.children[2]!.startLine).toBe(8);
    expect(ast.escapeToken).toBe('\\');
  });

  it('keeps CRLF in bodies and still finds the terminator', () => {
    const ast = parseDockerfile('FROM a\r\nCOPY <<EOF /x\r\nline\r\nEOF\r\n');
    expect(ast.children[1]!.heredocs[0]!.content).toBe('line\r\n');
  });

  it('matches a <<- terminator after leading tabs only', () => {
    const ast = parseDockerfile('FROM a\nRUN <<-END\n\tx\n  END\n\t\tEND\n');
    expect(ast.children[1]!.heredocs[0]!.content).toBe('\tx\n  END\n');
  });

  it('is only for RUN, COPY and ADD in shell form, also behind ONBUILD', () => {
    const ast = parseDockerfile('FROM a\nUSER <<EOF\nCMD <<EOF\nONBUILD ADD <<EOF /x\nbody\nEOF\n');
    expect(ast.children.map((c) => [c.keyword, c.heredocs.length])).toEqual([
      ['from', 0],
      ['user', 0],
      ['cmd', 0],
      ['onbuild', 1],
    ]);
    // BuildKit keeps the heredoc on the ONBUILD node, not the instruction it wraps.
    expect(ast.children[3]!.nested!.heredocs).toEqual([]);
    expect(dumpBuildkitAst(ast)).toBe('(from "a")\n(user "<<EOF")\n(cmd "<<EOF")\n(onbuild (add "<<EOF" "/x"))\n');
  });

  it('finds heredocs on a continued line, after flags', () => {
    const ast = parseDockerfile('FROM a\nRUN --mount=type=cache,target=/c \\\n  3<<"A" <<-B cat\nbody a\nA\n\tbody b\n\tB\n');
    const [a, b] = ast.children[1]!.heredocs;
    expect(a).toEqual({ name: 'A', fileDescriptor: 3, expand: false, chomp: false, content: 'body a\n' });
    expect(b).toEqual({ name: 'B', fileDescriptor: 0, expand: true, chomp: true, content: '\tbody b\n' });
    expect(ast.children[1]!.endLine).toBe(7);
  });

  it('ignores heredoc words on a line the lexer rejects, as BuildKit does', () => {
    const ast = parseDockerfile('FROM a\nRUN <<EOF echo "open\nEOF\n');
    expect(ast.children[1]!.heredocs).toEqual([]);
    expect(ast.children).toHaveLength(3);
  });

  it('fails on an unterminated heredoc with the instruction through the end of file', () => {
    expect(() => parseDockerfile('FROM a\nRUN <<EOF\nnever\nclosed\n')).toThrow('Dockerfile:2: unterminated heredoc');
    let caught: unknown;
    try {
      parseDockerfile('FROM a\nRUN <<A <<B\nA\nonly one\n');
    } catch (err) {
      caught = err;
    }
    expect(caught).toBeInstanceOf(ParseError);
    expect((caught as ParseError).range).toEqual({ startLine: 2, endLine: 4 });
  });

  it('keeps unset variables and quotes out of the delimiter name as BuildKit does', () => {
    expect(parseHeredoc('<<${X:-y}')).toMatchObject({ name: '${X:-y}', expand: true });
    expect(parseHeredoc('<<"$X"')).toMatchObject({ name: '$X', expand: false });
    expect(parseHeredoc('12<<-E')).toMatchObject({ name: 'E', fileDescriptor: 12, chomp: true });
  });
});
