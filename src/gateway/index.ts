export { createDownstreamServer, toWireError } from './create-downstream-server.js';
export { createDispatcher } from './dispatcher.js';
export { GatewayCore, type GatewayCoreOptions, runStorePath } from './gateway-core.js';
export { InflightRegistry } from './inflight.js';
export { needsCredentialStore, openCredentialStore } from './open-credential-store.js';
export {
  composePipeline,
  type DispatchMethod,
  type DownstreamContext,
  type GatewayRequest,
  type GatewayResult,
  type Handler,
  type Middleware
} from '../core/pipeline.js';
export { describeListenAddress, type ListenAddress } from './http/listen-address.js';
export { type HttpGateway, serveHttp, type ServeHttpOptions } from './serve-http.js';
export { serveStdio, type ServeStdioOptions, type StdioGateway } from './serve-stdio.js';
export { type DownstreamSession, SessionRegistry } from './sessions.js';
export { hasView, resolveServedView, viewNames, viewOf } from './views.js';
export type { HttpMount } from './http/http-mount.js';
export type { Authenticator } from './http/authenticate.js';
export { sseHeaders, startSseKeepAlive } from './http/http-responses.js';
