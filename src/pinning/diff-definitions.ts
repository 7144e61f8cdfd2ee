/** One difference between two definitions, at a path such as `inputSchema.properties.path.description`. */
export interface DefinitionChange {
  path: string;
  kind: 'added' | 'removed' | 'changed';
  old?: unknown;
  new?: unknown;
}

const isRecord = (value: unknown): value is Record<string, unknown> => typeof value === 'object' && value !== null && !Array.isArray(value);

/**
 * The differences between two tool definitions (JSON values), leaf by leaf: a member only one side has is one
 * change (its whole value), a value that differs is one change. Paths use `.` and `[i]`.
 */
export function diffDefinitions(before: unknown, after: unknown): DefinitionChange[] {
  const changes: DefinitionChange[] = [];
  const walk = (a: unknown, b: unknown, path: string): void => {
    if (a === undefined && b === undefined) return;
    if (a === undefined) return void changes.push({ path, kind: 'added', new: b });
    if (b === undefined) return void changes.push({ path, kind: 'removed', old: a });
    if (isRecord(a) && isRecord(b)) {
      const keys = [...new Set([...Object.keys(a), ...Object.keys(b)])].sort();
      for (const key of keys) walk(a[key], b[key], path === '' ? key : `${path}.${key}`);
      return;
    }
    if (Array.isArray(a) && Array.isArray(b)) {
      for (let index = 0; index < Math.max(a.length, b.length); index++) walk(a[index], b[index], `${path}[${index}]`);
      return;
    }
    if (JSON.stringify(a) !== JSON.stringify(b)) changes.push({ path, kind: 'changed', old: a, new: b });
  };
  walk(before, after, '');
  return changes;
}

/** The changes as text for a terminal: each path, then `- old` and `+ new` (multi-line strings kept readable). */
export function formatChanges(changes: readonly DefinitionChange[]): string {
  if (changes.length === 0) return '(no difference)';
  const show = (value: unknown) => (typeof value === 'string' ? value : JSON.stringify(value, null, 2));
  const block = (mark: string, value: unknown) =>
    show(value)
      .split('\n')
      .map(line => `  ${mark} ${line}`)
      .join('\n');
  return changes
    .map(change => {
      const lines = [`${change.path || '(definition)'}: ${change.kind}`];
      if (change.kind !== 'added') lines.push(block('-', change.old));
      if (change.kind !== 'removed') lines.push(block('+', change.new));
      return lines.join('\n');
    })
    .join('\n\n');
}
