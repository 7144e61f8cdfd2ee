import type { Client, Tool } from '@modelcontextprotocol/client';

import { isStdioServer, type ServerConfig } from '../config/index.js';
import type { Logger } from '../telemetry/logger.js';
import { mcpParamHeaders, scanMcpParamDeclarations } from './mcp-param-headers.js';

/** Whether tool calls carry SEP-2243 `Mcp-Param-*` headers: 2026-07-28 over Streamable HTTP. */
export function mirrorsParams(client: Client, config: ServerConfig): boolean {
  return client.getProtocolEra() === 'modern' && !isStdioServer(config);
}

/** SEP-2243: a client MUST leave out tools whose `x-mcp-header` declarations are invalid (they cannot be called). */
export function withoutInvalidHeaderTools(tools: Tool[], logger: Logger): Tool[] {
  return tools.filter(tool => {
    const scan = scanMcpParamDeclarations(tool.inputSchema);
    if (!scan.valid) logger.warn(`leaving out tool "${tool.name}": invalid x-mcp-header declaration (${scan.reason})`);
    return scan.valid;
  });
}

/** The `Mcp-Param-*` headers of a tools/call, from the tool's listed input schema. */
export function paramHeadersFor(tools: readonly Tool[], params: Record<string, unknown>): Record<string, string> | undefined {
  const tool = tools.find(candidate => candidate.name === params.name);
  const scan = tool ? scanMcpParamDeclarations(tool.inputSchema) : undefined;
  if (!scan?.valid || scan.declarations.length === 0) return undefined;
  const headers = mcpParamHeaders(scan.declarations, params.arguments);
  return Object.keys(headers).length > 0 ? headers : undefined;
}
