/**
 * BuildKit's AST dump (parser.Node.Dump), the format of the conformance
 * `result` files: one line per instruction,
 *   (keyword ["--flag" ...] "arg" ...)
 * with the flag list printed by Go's %q and each argument by strconv.Quote;
 * ONBUILD nests its instruction: (onbuild (run "echo")).
 */
import type { DockerfileAst, InstructionNode } from './ast.js';
import { goQuote, goQuoteList } from './go-quote.js';

export function dumpInstruction(node: InstructionNode): string {
  let out = node.keyword;
  if (node.flags.length > 0) out += ' ' + goQuoteList(node.flags);
  if (node.nested) out += ' (' + dumpInstruction(node.nested) + ')';
  for (const arg of node.args) out += ' ' + goQuote(arg);
  // Go trims the dump with strings.TrimSpace; only an empty keyword can leave a blank.
  return out.replace(/^ +/, '');
}

/** The dump of the whole file, with the trailing newline the result files have. */
export function dumpBuildkitAst(ast: DockerfileAst): string {
  return ast.children.map((child) => `(${dumpInstruction(child)})\n`).join('');
}
