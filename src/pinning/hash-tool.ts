import { createHash } from 'node:crypto';

import type { Tool } from '@modelcontextprotocol/client';

import { canonicalJson } from '../audit/index.js';

/** A tool definition as pinned: the canonical JSON of what is pinned, and its SHA-256. */
export interface PinnedDefinition {
  hash: string;
  definition: string;
}

/**
 * Members of a definition that are not pinned: `_meta` (protocol metadata for clients, which servers may fill
 * with values that vary) and `icons` (pictures for people, not text for the model).
 */
const unpinned = new Set(['_meta', 'icons']);

/**
 * What is pinned of a tool: the server's own definition (its name there, before the config's annotation
 * corrections) with every member but `_meta` and `icons`: name, title, description, the input and output schemas
 * whole (every nested description, enum, default, example and unknown keyword), annotations, and any member a
 * server adds that a client might pass on.
 */
export function pinnedFields(tool: Tool): Record<string, unknown> {
  const fields: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(tool)) if (!unpinned.has(key)) fields[key] = value;
  return fields;
}

/** The canonical JSON (sorted keys, no whitespace) of a tool's pinned fields, and its SHA-256 (hex). */
export function hashTool(tool: Tool): PinnedDefinition {
  const definition = canonicalJson(pinnedFields(tool));
  return { hash: createHash('sha256').update(definition).digest('hex'), definition };
}
