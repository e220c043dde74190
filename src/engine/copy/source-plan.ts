/**
 * From the sources of one COPY/ADD to what each of them takes: URLs stay
 * URLs, paths become their matches with the walk filters that apply. The copy,
 * the cache checksum and the TUI's context view all start here, so they agree
 * on what a step takes. Every path source is resolved before anything is
 * written, so a missing source fails the step with the image untouched.
 */
import { DockerignoreMatcher } from '../../dockerfile/dockerignore.js';
import { toContextFilter, type ContextFilter } from './context-filter.js';
import { CopyOptionError, UnsupportedSourceError, type CopyCommandName } from './errors.js';
import { containsWildcards } from './go-glob.js';
import { resolveMatches, type MatchContext, type SourceMatch } from './source-matches.js';
import { isGitSource, isUrlSource, parseSource } from './source-spec.js';
import type { WalkFilters } from './tree-walk.js';
import type { CopySource, SourceSelection } from './types.js';

export interface PlannedMatch {
  match: SourceMatch;
  filters: WalkFilters;
}

export type PlannedSource =
  | { kind: 'url'; written: string; url: URL }
  | { kind: 'path'; written: string; matches: PlannedMatch[] };

export function commandOf(selection: { isAdd?: boolean }): CopyCommandName {
  return selection.isAdd ? 'ADD' : 'COPY';
}

/** BuildKit's checks on --checksum (dispatchCopy, in its order): ADD only, one source, a URL. */
function checkChecksumUse(sources: string[], selection: SourceSelection, command: CopyCommandName): void {
  if (selection.addOptions?.checksum === undefined) return;
  if (command === 'COPY') throw new CopyOptionError(command, "checksum can't be specified for COPY");
  if (sources.length !== 1) throw new CopyOptionError(command, "checksum can't be specified for multiple sources");
  if (!isUrlSource(sources[0]!) && !isGitSource(sources[0]!)) {
    throw new CopyOptionError(command, 'checksum requires HTTP(S) or Git sources');
  }
}

export function planSources(source: CopySource, sources: string[], selection: SourceSelection): PlannedSource[] {
  const command = commandOf(selection);
  const inContext = source.kind === 'context';
  const filter: ContextFilter | undefined = inContext ? toContextFilter(source.exclude) : undefined;
  const ctx: MatchContext = { command, root: source.root, kind: source.kind, filter };
  const exclude =
    selection.excludePatterns && selection.excludePatterns.length > 0
      ? new DockerignoreMatcher(selection.excludePatterns, `${command} --exclude`)
      : undefined;

  checkChecksumUse(sources, selection, command);
  const specs = sources.map((written) => parseSource(written, command, inContext));

  return specs.map((spec): PlannedSource => {
    if (spec.kind === 'git') {
      throw new UnsupportedSourceError(command, `git sources are not supported yet: ${spec.written}`, spec.written);
    }
    if (spec.kind === 'url') return { kind: 'url', written: spec.written, url: spec.url };

    const filtersFor = (match: SourceMatch): WalkFilters => ({
      ...(filter ? { context: { filter, matchRootRel: match.rootRel } } : {}),
      ...(exclude ? { exclude } : {}),
    });

    if (selection.parents) return planParents(ctx, spec.written, filtersFor);

    const matches = resolveMatches(ctx, spec.written, spec.elements)
      // Like the docs' `ADD --exclude=*.txt hom* /mydir/`: a glob's matches are filtered too.
      .filter((match) => !(exclude && match.wildcardRel !== undefined && exclude.matches(match.wildcardRel)))
      .map((match) => ({ match, filters: filtersFor(match) }));
    return { kind: 'path', written: spec.written, matches };
  });
}

/**
 * COPY --parents: the source splits at its first `/./` into a pivot
 * directory and a pattern below it (no `/./`: the pivot is the root). The
 * pivot's contents are copied with the pattern as include filter, so the
 * path below the pivot is kept. A pattern without wildcards must exist.
 */
function planParents(ctx: MatchContext, written: string, filtersFor: (match: SourceMatch) => WalkFilters): PlannedSource {
  const cut = written.indexOf('/./');
  const pivot = cut < 0 ? '/' : written.slice(0, cut);
  const pattern = (cut < 0 ? written : written.slice(cut + 3))
    .split('/')
    .filter((part) => part !== '' && part !== '.')
    .join('/');
  const pivotSpec = parseSource(pivot, ctx.command, ctx.kind === 'context');
  const patternSpec = parseSource(pattern, ctx.command, ctx.kind === 'context');
  if (pivotSpec.kind !== 'path' || patternSpec.kind !== 'path') {
    throw new CopyOptionError(ctx.command, `--parents needs a path source: ${written}`, written);
  }
  const include = patternSpec.elements.join('/');
  if (![...pivotSpec.elements, ...patternSpec.elements].some(containsWildcards)) {
    // Fails with "not found" when the required path is missing.
    resolveMatches(ctx, written, [...pivotSpec.elements, ...patternSpec.elements]);
  }
  const matches = resolveMatches(ctx, written, pivotSpec.elements)
    .filter((match) => match.stat.isDirectory() || include === '')
    .map((match) => ({
      match,
      filters: {
        ...filtersFor(match),
        ...(include === ''
          ? {}
          : { include: { matcher: new DockerignoreMatcher([include], `${ctx.command} --parents`), patterns: [include] } }),
      },
    }));
  return { kind: 'path', written, matches };
}
