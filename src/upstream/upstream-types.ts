import type { LoggingMessageNotificationParams, Prompt, Resource, Tool } from '@modelcontextprotocol/client';

import type { ServerConfig } from '../config/index.js';
import type { UpstreamCredentialStore } from '../store/index.js';
import type { UpstreamOAuth } from './oauth/upstream-oauth.js';
import type { Logger } from '../telemetry/logger.js';
import type { Tracing } from '../telemetry/tracing/index.js';
import type { CacheHint } from './cache-hints.js';
import type { RemoteKind } from './create-transport.js';

/** A resource template as listed by a server (kept raw). */
export interface ResourceTemplateEntry {
  uriTemplate: string;
  name: string;
  [key: string]: unknown;
}

/** What an upstream offers, as it last listed it. Entries are kept as the server sent them. */
export interface UpstreamSnapshot {
  tools: Tool[];
  prompts: Prompt[];
  resources: Resource[];
  resourceTemplates: ResourceTemplateEntry[];
  /** The caching hints the server put on each list (all pages combined); absent for kinds not listed. */
  cacheHints?: Partial<Record<'tools' | 'prompts' | 'resources' | 'resourceTemplates', CacheHint>>;
}

export const emptySnapshot = (): UpstreamSnapshot => ({ tools: [], prompts: [], resources: [], resourceTemplates: [] });

export type ProtocolEra = 'legacy' | 'modern';

/** The connection's life: a closed union, switched on exhaustively. */
export type UpstreamState =
  | { kind: 'stopped' }
  | { kind: 'starting'; since: number; attempt: number; lastFailure?: string }
  | {
      kind: 'ready';
      since: number;
      era: ProtocolEra;
      protocolVersion: string | undefined;
      transport: 'stdio' | RemoteKind;
      connectMs: number;
    }
  | { kind: 'failed'; since: number; reason: string; attempt: number; retryAt: number | undefined };

export type ListKind = 'tools' | 'prompts' | 'resources';

export type UpstreamEvent =
  | { type: 'state'; state: UpstreamState }
  | { type: 'lists-changed'; kinds: ListKind[] };

export type ServerRequestMethod = 'sampling/createMessage' | 'elicitation/create' | 'roots/list';

/** What the gateway does with things an upstream sends on its own: requests to the client, logs, updates. */
export interface UpstreamRelay {
  onServerRequest(upstream: string, method: ServerRequestMethod, params: Record<string, unknown>, signal: AbortSignal): Promise<Record<string, unknown>>;
  onLog(upstream: string, params: LoggingMessageNotificationParams): void;
  onResourceUpdated(upstream: string, uri: string): void;
}

export interface UpstreamConnectionOptions {
  name: string;
  config: ServerConfig;
  configPath?: string;
  logger: Logger;
  relay?: UpstreamRelay;
  /** Per-request timeout when the server config sets none. */
  defaultTimeoutMs: number;
  /** gateway.maxMessageBytes: the longest message read from a stdio server (default 16 MiB). */
  maxMessageBytes?: number;
  /** Bound on one handshake, when the server config sets none. */
  connectTimeoutMs: number;
  /** How long a call waits for the server while it starts or restarts, when the server config sets none (default 30 s). */
  waitForRestartMs?: number;
  clientInfo?: { name: string; version: string };
  /** Backoff after failures: base and cap in ms. */
  backoff?: { baseMs: number; maxMs: number };
  /** For tests and the lenient-upstream shim: the fetch remote transports use. */
  fetch?: typeof fetch;
  /** Tracing on: remote requests carry `traceparent`/`tracestate` headers of the span they are sent in. */
  tracing?: Tracing | undefined;
  /**
   * The server's OAuth, shared by every connection to it (the shared one and each client's own), so that one
   * refresh serves them all: a rotated refresh token is redeemed once. Absent: the connection makes its own.
   */
  oauth?: UpstreamOAuth;
  /** Where the sign-ins of remote servers with `oauth` are kept (the store); absent: in memory only. */
  credentials?: UpstreamCredentialStore;
  /** The person's browser, where a sign-in can be made now (`manifold login`, the conformance driver). */
  userAgent?: (authorizationUrl: URL) => Promise<URLSearchParams>;
  /** The loopback callback URL of that sign-in. */
  redirectUri?: string;
}
