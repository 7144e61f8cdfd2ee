export { type CacheHint, cacheHintOf, combineCacheHints } from './cache-hints.js';
export { encodeMcpParamValue, type McpParamDeclaration, mcpParamHeaders, scanMcpParamDeclarations } from './mcp-param-headers.js';
export { createRemoteTransport, createStdioTransport, type RemoteKind } from './create-transport.js';
export { ProcessTransport } from './stdio/process-transport.js';
export { buildChildEnvironment, inheritedEnvironmentKeys, spawnProcess } from './stdio/spawn-process.js';
export {
  type ListKind,
  type ProtocolEra,
  type ResourceTemplateEntry,
  type ServerRequestMethod,
  UpstreamConnection,
  type UpstreamConnectionOptions,
  type UpstreamEvent,
  type UpstreamRelay,
  type UpstreamSnapshot,
  type UpstreamState
} from './upstream-connection.js';
