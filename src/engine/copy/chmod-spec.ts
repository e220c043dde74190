/**
 * COPY/ADD `--chmod`: an octal mode (`755`, `4755`, at most 07777) or, as
 * BuildKit accepts since dockerfile 1.14, a symbolic one in chmod(1) syntax
 * (`u+x`, `g-w,o=r`, `a=rX`, `+x`). Octal replaces the permission and special
 * bits; symbolic edits the source's mode. With no `who`, `a` is meant and no
 * umask applies.
 */
import { CopyOptionError, type CopyCommandName } from './errors.js';

export type ChmodSpec =
  | { kind: 'octal'; mode: number }
  | { kind: 'symbolic'; clauses: SymbolicClause[] };

interface SymbolicClause {
  who: string;
  actions: Array<{ op: '+' | '-' | '='; perms: string }>;
}

const CLAUSE = /^([ugoa]*)((?:[-+=](?:[ugo]|[rwxXst]*))+)$/;
const ACTION = /([-+=])([ugo]|[rwxXst]*)/g;

export function parseChmod(text: string, command: CopyCommandName): ChmodSpec {
  const nonOctal = new CopyOptionError(
    command,
    `invalid chmod parameter: '${text}'. it should be octal string and between 0 and 07777`,
  );
  if (/^[0-9]+$/.test(text)) {
    if (!/^[0-7]+$/.test(text)) throw nonOctal;
    const mode = parseInt(text, 8);
    if (mode > 0o7777) throw nonOctal;
    return { kind: 'octal', mode };
  }
  const clauses: SymbolicClause[] = [];
  for (const part of text.split(',')) {
    const match = CLAUSE.exec(part);
    if (!match) throw new CopyOptionError(command, `invalid chmod parameter: '${text}': bad symbolic mode "${part}"`);
    const actions = [...match[2]!.matchAll(ACTION)].map((m) => ({ op: m[1] as '+' | '-' | '=', perms: m[2]! }));
    clauses.push({ who: match[1]!, actions });
  }
  return { kind: 'symbolic', clauses };
}

const CLASS_SHIFT: Record<'u' | 'g' | 'o', number> = { u: 6, g: 3, o: 0 };

/** The mode (permission and special bits, 0o7777) a copied entry gets. */
export function applyChmod(spec: ChmodSpec, mode: number, isDir: boolean): number {
  if (spec.kind === 'octal') return spec.mode;
  let result = mode & 0o7777;
  for (const clause of spec.clauses) {
    const who = clause.who === '' || clause.who.includes('a') ? 'ugo' : clause.who;
    const classes = (['u', 'g', 'o'] as const).filter((c) => who.includes(c));
    for (const action of clause.actions) {
      let bits = 0;
      if (/^[ugo]$/.test(action.perms)) {
        // Copy another class's current rwx to each class named.
        const from = (result >> CLASS_SHIFT[action.perms as 'u' | 'g' | 'o']) & 0o7;
        for (const c of classes) bits |= from << CLASS_SHIFT[c];
      } else {
        let rwx = 0;
        if (action.perms.includes('r')) rwx |= 4;
        if (action.perms.includes('w')) rwx |= 2;
        if (action.perms.includes('x')) rwx |= 1;
        if (action.perms.includes('X') && (isDir || (result & 0o111) !== 0)) rwx |= 1;
        for (const c of classes) bits |= rwx << CLASS_SHIFT[c];
        if (action.perms.includes('s')) {
          if (classes.includes('u')) bits |= 0o4000;
          if (classes.includes('g')) bits |= 0o2000;
        }
        if (action.perms.includes('t') && classes.includes('o')) bits |= 0o1000;
      }
      if (action.op === '+') result |= bits;
      else if (action.op === '-') result &= ~bits;
      else {
        let clear = 0;
        for (const c of classes) clear |= 0o7 << CLASS_SHIFT[c];
        if (classes.includes('u')) clear |= 0o4000;
        if (classes.includes('g')) clear |= 0o2000;
        if (classes.includes('o')) clear |= 0o1000;
        result = (result & ~clear) | bits;
      }
    }
  }
  return result & 0o7777;
}
