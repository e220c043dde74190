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
  // ONBUILD chains can be thousands deep; build the text inside out without recursion.
  const chain: InstructionNode[] = [];
  for (let n: InstructionNode | undefined = node; n; n = n.nested) chain.push(n);
  let inner = '';
  for (let i = chain.length - 1; i >= 0; i--) {
    const n = chain[i]!;
    let out = n.keyword;
    if (n.flags.length > 0) out += ' ' + goQuoteList(n.flags);
    if (i < chain.length - 1) out += ' (' + inner + ')';
    for (const arg of n.args) out += ' ' + goQuote(arg);
    // Go trims each dump with strings.TrimSpace; only an empty keyword can leave a blank.
    inner = out.replace(/^ +/, '');
  }
  return inner;
}

/** The dump of the whole file, with the trailing newline the result files have. */
export function dumpBuildkitAst(ast: DockerfileAst): string {
  return ast.children.map((child) => `(${dumpInstruction(child)})\n`).join('');
}
