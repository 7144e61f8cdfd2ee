export { type CacheHint, cacheHintOf, combineCacheHints } from './cache-hints.js';
export { encodeMcpParamValue, type McpParamDeclaration, mcpParamHeaders, scanMcpParamDeclarations } from './mcp-param-headers.js';
export { createRemoteTransport, createStdioTransport, type RemoteKind } from './create-transport.js';
export { ProcessTransport } from './stdio/process-transport.js';
export { buildChildEnvironment, inheritedEnvironmentKeys, spawnProcess } from './stdio/spawn-process.js';
export { UpstreamConnection } from './upstream-connection.js';
export type {
  ListKind,
  ProtocolEra,
  ResourceTemplateEntry,
  ServerRequestMethod,
  UpstreamConnectionOptions,
  UpstreamEvent,
  UpstreamRelay,
  UpstreamSnapshot,
  UpstreamState
} from './upstream-types.js';
