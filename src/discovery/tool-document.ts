import type { Tool } from '@modelcontextprotocol/client';

/** One tool as search sees it: what to return, and what to index. */
export interface SearchableTool {
  /** The name a client calls (the public name in the view that searches). */
  name: string;
  /** The upstream (or local source) that serves it. */
  server: string;
  /** The definition as the client sees it (returned by retrieve_tools). */
  definition: Tool;
  /** The tool's own name on its server, when it differs from `name` (e.g. without the `server__` prefix). */
  originalName?: string;
  /** What the server is for (config `description`). */
  serverDescription?: string;
  /** Operator-supplied tags and keywords. */
  tags?: readonly string[];
}

/** The text fields a tool is indexed by. */
export type ToolField = 'name' | 'title' | 'description' | 'parameters' | 'server' | 'tags';

/** The raw text of each field of a tool, before tokenizing. */
export function toolFieldText(tool: SearchableTool): Record<ToolField, string> {
  const definition = tool.definition;
  const ownName = tool.originalName ?? stripServerPrefix(tool.name, tool.server);
  const annotations = (definition.annotations ?? {}) as Record<string, unknown>;
  const titles = [definition.title, annotations.title].filter((value): value is string => typeof value === 'string');
  const hints: string[] = [];
  if (annotations.readOnlyHint === true) hints.push('read only');
  if (annotations.destructiveHint === true && annotations.readOnlyHint !== true) hints.push('destructive');
  return {
    // The server part of a public name is the server field's business; a view's new name adds its words.
    name: [...new Set([ownName, stripServerPrefix(tool.name, tool.server)])].join(' '),
    title: titles.join(' '),
    description: definition.description ?? '',
    parameters: parameterText(definition.inputSchema),
    server: [tool.server, tool.serverDescription ?? ''].join(' '),
    tags: [...(tool.tags ?? []), ...hints].join(' ')
  };
}

function stripServerPrefix(name: string, server: string): string {
  return name.startsWith(`${server}__`) ? name.slice(server.length + 2) : name;
}

/** Property names, titles, descriptions and enum values of a JSON Schema, two levels deep. */
export function parameterText(schema: unknown, depth = 0): string {
  if (!isObject(schema) || depth > 2) return '';
  const parts: string[] = [];
  const properties = schema.properties;
  if (isObject(properties)) {
    for (const [key, value] of Object.entries(properties)) {
      parts.push(key);
      if (!isObject(value)) continue;
      if (typeof value.title === 'string') parts.push(value.title);
      if (typeof value.description === 'string') parts.push(value.description);
      if (Array.isArray(value.enum)) parts.push(value.enum.filter(item => typeof item === 'string').join(' '));
      parts.push(parameterText(value, depth + 1));
      if (isObject(value.items)) parts.push(parameterText(value.items, depth + 1));
    }
  }
  return parts.filter(Boolean).join(' ');
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
