/** Compiles a glob (`*` any run, `?` one character; `**` is the same as `*`) to an anchored RegExp. */
export function globToRegExp(glob: string): RegExp {
  let source = '';
  for (const char of glob) {
    if (char === '*') source += source.endsWith('.*') ? '' : '.*';
    else if (char === '?') source += '.';
    else source += char.replace(/[.+^${}()|[\]\\]/g, '\\$&');
  }
  return new RegExp(`^${source}$`);
}

/** True when `name` matches any of the globs. */
export function matchesAny(name: string, globs: readonly string[]): boolean {
  return globs.some(glob => globToRegExp(glob).test(name));
}

/** A predicate for include/exclude lists: included (or no include list) and not excluded. */
export function createNameFilter(include: readonly string[] | undefined, exclude: readonly string[] | undefined): (name: string) => boolean {
  const includes = include?.map(globToRegExp);
  const excludes = (exclude ?? []).map(globToRegExp);
  return name => (includes === undefined || includes.some(regex => regex.test(name))) && !excludes.some(regex => regex.test(name));
}
