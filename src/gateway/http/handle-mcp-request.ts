import type { IncomingMessage, ServerResponse } from 'node:http';

import { classifyInboundRequest, isInitializeRequest } from '@modelcontextprotocol/server';

import { type Principal, samePrincipal } from '../../core/principal.js';
import type { Logger } from '../../telemetry/logger.js';
import { followListenedResources } from '../follow-listened-resources.js';
import type { GatewayCore } from '../gateway-core.js';
import { mcpParamMismatch } from '../mcp-param-validation.js';
import { sendJson, sendJsonRpcError } from './http-responses.js';
import type { LegacySessions } from './legacy-sessions.js';
import type { ModernEndpoints } from './modern-endpoints.js';
import { header, readJsonRpcBody } from './read-json-body.js';
import { serveModernRequest } from './serve-modern-request.js';

export interface McpEndpointContext {
  core: GatewayCore;
  modern: ModernEndpoints;
  legacy: LegacySessions;
  /** gateway.maxMessageBytes: the largest POST body. */
  maxMessageBytes: number;
  logger: Logger;
}

/**
 * A request to /mcp or /mcp/<view> (already past the request guard): 2026-07-28 POSTs go statelessly through
 * the SDK's handler of that endpoint; older clients are served in sessions (initialize, Mcp-Session-Id, GET
 * stream, DELETE).
 */
export async function handleMcpRequest(
  context: McpEndpointContext,
  viewName: string,
  req: IncomingMessage,
  res: ServerResponse,
  principal: Principal | undefined
): Promise<void> {
  const { core, legacy } = context;
  const sessionId = header(req, 'mcp-session-id');
  if (req.method === 'POST') {
    const read = await readJsonRpcBody(req, res, context.maxMessageBytes, context.logger);
    if (!read) return;
    const body = read.body;
    const inbound = classifyInboundRequest({
      httpMethod: 'POST',
      protocolVersionHeader: header(req, 'mcp-protocol-version'),
      mcpMethodHeader: header(req, 'mcp-method'),
      body
    });
    if (inbound.kind !== 'legacy') {
      const modern = context.modern.for(viewName, principal);
      const findTool = (name: string) => (modern.view ? modern.view.findTool(name)?.definition : core.catalog.findTool(name)?.definition);
      const mismatch = mcpParamMismatch(findTool, body, name => header(req, name));
      if (mismatch) {
        const id = (body as { id?: unknown } | null)?.id;
        return sendJson(res, 400, { jsonrpc: '2.0', error: { code: -32020, message: `Header mismatch: ${mismatch}` }, id: id ?? null });
      }
      const following = followListenedResources(core, body);
      if (following) {
        res.once('close', () => following());
        // The client's stream is acknowledged only once the resources are followed upstream: no update falls between.
        await following.ready;
      }
      return serveModernRequest(modern.handler, req, res, body, principal);
    }
    if (sessionId) {
      // A session answers only the principal that opened it: its id alone (leaked, guessed) is not enough.
      const existing = legacy.get(sessionId, viewName);
      if (!existing || !samePrincipal(existing.principal, principal)) {
        return sendJsonRpcError(res, 404, -32001, `session ${sessionId} not found (it expired or the gateway restarted): initialize again`);
      }
      existing.lastSeen = Date.now();
      return existing.transport.handleRequest(req, res, body);
    }
    if (!isInitializeRequest(body)) {
      return sendJsonRpcError(res, 400, -32000, 'Bad Request: no Mcp-Session-Id header; start with initialize (or send 2026-07-28 requests with a _meta envelope)');
    }
    const entry = await legacy.open(viewName, principal);
    return entry.transport.handleRequest(req, res, body);
  }
  if (req.method === 'GET' || req.method === 'DELETE') {
    if (!sessionId) {
      res.writeHead(405, { allow: 'POST', 'content-type': 'application/json' });
      res.end(JSON.stringify({ jsonrpc: '2.0', error: { code: -32000, message: `${req.method} needs an Mcp-Session-Id (2026-07-28 clients use POST only)` }, id: null }));
      return;
    }
    const existing = legacy.get(sessionId, viewName);
    if (!existing || !samePrincipal(existing.principal, principal)) return sendJsonRpcError(res, 404, -32001, `session ${sessionId} not found`);
    existing.lastSeen = Date.now();
    return existing.transport.handleRequest(req, res);
  }
  res.writeHead(405, { allow: 'GET, POST, DELETE' });
  res.end();
}
