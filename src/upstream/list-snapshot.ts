import type { Client, Prompt, Resource, Tool } from '@modelcontextprotocol/client';
import { ResultSchema } from '@modelcontextprotocol/core';

import { type CacheHint, cacheHintOf, combineCacheHints } from './cache-hints.js';
import type { ListKind, ResourceTemplateEntry, UpstreamSnapshot } from './upstream-types.js';

/**
 * Lists the given kinds afresh on top of the previous snapshot (what the server does not declare is empty).
 * `keepTools` filters the listed tools (the SEP-2243 header check).
 */
export async function listSnapshot(
  client: Client,
  kinds: readonly ListKind[],
  previous: UpstreamSnapshot,
  options: { timeoutMs: number; keepTools(tools: Tool[]): Tool[] }
): Promise<UpstreamSnapshot> {
  const capabilities = client.getServerCapabilities() ?? {};
  const next: UpstreamSnapshot = { ...previous, cacheHints: { ...previous.cacheHints } };
  const hints = next.cacheHints ?? {};
  const { timeoutMs } = options;
  for (const kind of kinds) {
    switch (kind) {
      case 'tools':
        next.tools = capabilities.tools ? options.keepTools(await listAll<Tool>(client, 'tools/list', 'tools', timeoutMs, hint => (hints.tools = hint))) : [];
        break;
      case 'prompts':
        next.prompts = capabilities.prompts ? await listAll<Prompt>(client, 'prompts/list', 'prompts', timeoutMs, hint => (hints.prompts = hint)) : [];
        break;
      case 'resources':
        next.resources = capabilities.resources
          ? await listAll<Resource>(client, 'resources/list', 'resources', timeoutMs, hint => (hints.resources = hint))
          : [];
        next.resourceTemplates = capabilities.resources
          ? await listAll<ResourceTemplateEntry>(client, 'resources/templates/list', 'resourceTemplates', timeoutMs, hint => (hints.resourceTemplates = hint))
          : [];
        break;
    }
  }
  return next;
}

/** Walks every page of a list, keeping entries exactly as sent (no schema round trip). */
export async function listAll<T>(client: Client, method: string, key: string, timeoutMs: number, onHint?: (hint: CacheHint) => void): Promise<T[]> {
  const items: T[] = [];
  const pageHints: CacheHint[] = [];
  let cursor: string | undefined;
  const seen = new Set<string>();
  for (let page = 0; page < 1000; page++) {
    let result: Record<string, unknown>;
    try {
      result = await client.request({ method, params: cursor ? { cursor } : {} }, ResultSchema, { timeout: timeoutMs });
    } catch (error) {
      // A server that declares a capability but not every list method (common for templates).
      if (isMethodNotFound(error)) return items;
      throw error;
    }
    const list = result[key];
    if (Array.isArray(list)) items.push(...(list as T[]));
    pageHints.push(cacheHintOf(result));
    const next = result.nextCursor;
    if (typeof next !== 'string' || next === '' || seen.has(next)) break;
    seen.add(next);
    cursor = next;
  }
  const hint = combineCacheHints(pageHints);
  if (hint) onHint?.(hint);
  return items;
}

function isMethodNotFound(error: unknown): boolean {
  return typeof error === 'object' && error !== null && (error as { code?: unknown }).code === -32601;
}
