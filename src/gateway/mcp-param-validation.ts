import type { Tool } from '@modelcontextprotocol/server';

import { decodeMcpParamValue, mcpParamArgument, scanMcpParamDeclarations } from '../upstream/index.js';

/**
 * SEP-2243, server side: on a 2026-07-28 `tools/call` over HTTP, every argument the tool's `inputSchema` marks
 * with `x-mcp-header` must arrive in its `Mcp-Param-<Name>` header too, with the same value (`=?base64?…?=`
 * decoded strictly). An intermediary that reads the body MUST check this, since proxies route on the headers.
 * `findTool` resolves the name the client called by, as the endpoint lists it (a view may rename tools).
 * Returns why the request is invalid, or undefined.
 */
export function mcpParamMismatch(
  findTool: (name: string) => Pick<Tool, 'inputSchema'> | undefined,
  body: unknown,
  header: (name: string) => string | undefined
): string | undefined {
  const message = body as { method?: unknown; params?: { name?: unknown; arguments?: unknown } } | null;
  if (message?.method !== 'tools/call' || typeof message.params?.name !== 'string') return undefined;
  const tool = findTool(message.params.name);
  if (!tool) return undefined;
  const scan = scanMcpParamDeclarations(tool.inputSchema);
  if (!scan.valid) return undefined;
  for (const declaration of scan.declarations) {
    const value = mcpParamArgument(declaration, message.params.arguments);
    const expected = value === undefined || value === null ? undefined : typeof value === 'string' ? value : JSON.stringify(value);
    const name = `Mcp-Param-${declaration.headerName}`;
    const raw = header(name.toLowerCase());
    if (raw === undefined) {
      if (expected !== undefined) return `${name} header is missing; the body has ${declaration.path.join('.')}`;
      continue;
    }
    const decoded = decodeMcpParamValue(raw.trim());
    if (decoded === undefined) return `${name} header is not valid base64`;
    if (expected === undefined) return `${name} header is set but the body has no ${declaration.path.join('.')}`;
    if (decoded !== expected) return `${name} header does not match the body's ${declaration.path.join('.')}`;
  }
  return undefined;
}
