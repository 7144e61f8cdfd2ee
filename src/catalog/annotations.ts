import type { Tool } from '@modelcontextprotocol/client';

import { globToRegExp } from '../core/glob.js';

/** Tool annotations as the config may set them (a server's corrections, a workflow's override). */
export type AnnotationHints = Pick<NonNullable<Tool['annotations']>, 'title' | 'readOnlyHint' | 'destructiveHint' | 'idempotentHint' | 'openWorldHint'>;

/**
 * Annotations with an override laid over them, kept consistent: what the override sets wins, and a hint it
 * implies follows. Read-only means not destructive and idempotent (a repeat changes nothing), unless the
 * override says otherwise; destructive means not read-only. So a derived `destructiveHint: true` never
 * survives next to an override's `readOnlyHint: true` ("read-only, destructive").
 */
export function combineAnnotations(base: Tool['annotations'] | undefined, override: AnnotationHints | undefined): NonNullable<Tool['annotations']> {
  const combined = { ...base, ...override };
  if (!override) return combined;
  if (override.readOnlyHint === true) {
    combined.destructiveHint = override.destructiveHint ?? false;
    combined.idempotentHint = override.idempotentHint ?? true;
  } else if (override.destructiveHint === true) {
    combined.readOnlyHint = override.readOnlyHint ?? false;
  }
  return combined;
}

/**
 * A function that corrects a server's tool definitions with its `annotations:` config (tool globs on the
 * server's own names → hints; every glob that matches applies, later ones over earlier ones). Undefined when
 * the server corrects nothing.
 */
export function createAnnotationCorrector(corrections: Readonly<Record<string, AnnotationHints>> | undefined): ((tool: Tool) => Tool) | undefined {
  const entries = Object.entries(corrections ?? {}).map(([glob, hints]) => ({ pattern: globToRegExp(glob), hints }));
  if (entries.length === 0) return undefined;
  return tool => {
    const matching = entries.filter(entry => entry.pattern.test(tool.name));
    if (matching.length === 0) return tool;
    const override = Object.assign({}, ...matching.map(entry => entry.hints)) as AnnotationHints;
    return { ...tool, annotations: combineAnnotations(tool.annotations, override) };
  };
}
