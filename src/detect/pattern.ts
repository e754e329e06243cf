/**
 * Value patterns of filter rules and sink filters: a glob (`*` any run of characters, `?` one
 * character, everything else literal, matched against the whole value) or a regular expression
 * written `/re/` or `/re/i` (searched, so anchor it with ^…$ to match the whole value).
 * Globs are the common case and cannot go wrong; regexes are there for what globs cannot say.
 */
export type ValueMatcher = (value: string) => boolean;

export class PatternError extends Error {}

const REGEX_LITERAL = /^\/(.*)\/([a-z]*)$/s;

/** Compile one pattern; throws PatternError naming the problem. */
export function compilePattern(pattern: string): ValueMatcher {
  const re = REGEX_LITERAL.exec(pattern);
  if (re !== null && pattern.length >= 2) {
    const [, body, flags] = re;
    if (body === '') throw new PatternError(`empty regular expression ${pattern}`);
    // Only flags that keep a test() call stateless: g and y would make matches depend on lastIndex.
    if (/[^imsu]/.test(flags)) throw new PatternError(`regular expression ${pattern}: flags may only be i, m, s, u`);
    let compiled: RegExp;
    try {
      compiled = new RegExp(body, flags);
    } catch (err) {
      throw new PatternError(`invalid regular expression ${pattern}: ${(err as Error).message}`);
    }
    return (value) => compiled.test(value);
  }
  if (!/[*?]/.test(pattern)) return (value) => value === pattern;
  const source = pattern.replace(/[.+^${}()|[\]\\/]/g, '\\$&').replace(/\*/g, '.*').replace(/\?/g, '.');
  const glob = new RegExp(`^${source}$`, 's');
  return (value) => glob.test(value);
}

/** Any of several patterns (a rule field given as a list). */
export function compilePatterns(patterns: readonly string[]): ValueMatcher {
  const matchers = patterns.map(compilePattern);
  if (matchers.length === 1) return matchers[0];
  return (value) => matchers.some((m) => m(value));
}
