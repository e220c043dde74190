/**
 * Builds InstructionNode literals for unit tests of the typed-instruction
 * layer, so those tests do not depend on the parser's output details.
 */
import type { Heredoc, InstructionNode } from '../../src/dockerfile/ast.js';

export interface NodeOptions {
  flags?: string[];
  json?: boolean;
  heredocs?: Heredoc[];
  nested?: InstructionNode;
  line?: number;
  endLine?: number;
  original?: string;
}

export function node(keyword: string, args: string[], options: NodeOptions = {}): InstructionNode {
  const line = options.line ?? 1;
  const flags = options.flags ?? [];
  const built: InstructionNode = {
    keyword,
    flags,
    args,
    json: options.json ?? false,
    heredocs: options.heredocs ?? [],
    original:
      options.original ??
      [keyword.toUpperCase(), ...flags, ...(options.json ? [JSON.stringify(args)] : args)].join(' '),
    comments: [],
    startLine: line,
    endLine: options.endLine ?? line,
  };
  if (options.nested) built.nested = options.nested;
  return built;
}

export function heredoc(name: string, content: string, options: Partial<Heredoc> = {}): Heredoc {
  return { name, content, fileDescriptor: 0, expand: true, chomp: false, ...options };
}
