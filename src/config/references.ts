/** One problem found by a cross-block check, with its config path (`agents.probe.model`). */
export interface ReferenceIssue {
  path: (string | number)[];
  message: string;
}

/** The declared names of a block for an error message: `"a", "b"`, or `none`. */
export function declaredNames(block: Record<string, unknown>): string {
  const names = Object.keys(block);
  return names.length > 0 ? names.map(name => `"${name}"`).join(', ') : 'none';
}

/**
 * Agents, workflows, orchestrators and routers are each a catalog tool named by their key: an issue at `path`
 * for each of `others` (`['a workflow', workflows]`) that has a key `name` too.
 */
export function toolNameClashes(
  path: (string | number)[],
  name: string,
  others: ReadonlyArray<readonly [kind: string, block: Record<string, unknown>]>
): ReferenceIssue[] {
  return others
    .filter(([, block]) => name in block)
    .map(([kind]) => ({
      path,
      message: `${kind} is named "${name}" too, and both would be the tool "${name}"; rename one of them`
    }));
}

/** An issue at `path` when `model` is not a key of `models:`; none when it is. */
export function unknownModel(
  path: (string | number)[],
  model: string,
  models: Record<string, unknown>
): ReferenceIssue[] {
  return model in models
    ? []
    : [{ path, message: `unknown model "${model}"; declared models: ${declaredNames(models)} (add it under models:)` }];
}
