export { type CacheHint, cacheHintOf, combineCacheHints } from './cache-hints.js';
export {
  decodeMcpParamValue,
  encodeMcpParamValue,
  mcpParamArgument,
  type McpParamDeclaration,
  mcpParamHeaders,
  scanMcpParamDeclarations
} from './mcp-param-headers.js';
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
export { type LoginOptions, type LoginResult, loginUpstream } from './login-upstream.js';
export { isLoginRequired, loginRequiredError, type UserAgent } from './oauth/upstream-oauth-provider.js';
export { UpstreamOAuth, type UpstreamOAuthOptions, type UpstreamOAuthStatus } from './oauth/upstream-oauth.js';
export { nodeFetch } from './node-fetch.js';
