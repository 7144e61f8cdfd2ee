import { setMaxListeners } from 'node:events';
import { dirname, isAbsolute, resolve } from 'node:path';

import type { Transport } from '@modelcontextprotocol/client';
import { SSEClientTransport, StreamableHTTPClientTransport } from '@modelcontextprotocol/client';

import type { RemoteServerConfig, StdioServerConfig } from '../config/index.js';
import type { Logger } from '../telemetry/logger.js';
import { nodeFetch } from './node-fetch.js';
import { ProcessTransport } from './stdio/process-transport.js';
import { buildChildEnvironment } from './stdio/spawn-process.js';

export type RemoteKind = 'http' | 'sse';

/** Builds the stdio transport for a server: own process group, allow-listed env, stderr into the log. */
export function createStdioTransport(config: StdioServerConfig, options: { configPath?: string | undefined; logger: Logger; maxMessageBytes?: number | undefined }): ProcessTransport {
  const base = options.configPath ? dirname(options.configPath) : process.cwd();
  const cwd = config.cwd ? (isAbsolute(config.cwd) ? config.cwd : resolve(base, config.cwd)) : base;
  const stderrLogger = options.logger.child('stderr');
  return new ProcessTransport({
    command: config.command,
    args: config.args,
    env: buildChildEnvironment(config.env),
    cwd,
    logger: options.logger,
    ...(options.maxMessageBytes === undefined ? {} : { maxMessageBytes: options.maxMessageBytes }),
    onStderrLine: line => stderrLogger.info(line)
  });
}

/** The remote transport of the given kind, with the configured headers on every request. */
export function createRemoteTransport(config: RemoteServerConfig, kind: RemoteKind, fetchImpl?: typeof fetch): Transport {
  const url = new URL(config.url);
  const requestInit: RequestInit = { headers: config.headers };
  const options = { requestInit, fetch: withSharedSignalsUnlimited(fetchImpl ?? nodeFetch) };
  if (kind === 'sse') return new SSEClientTransport(url, options);
  return new StreamableHTTPClientTransport(url, options);
}

/**
 * fetch for the SDK's HTTP client transports. Where a request has no signal of its own (2025 sessions over
 * Streamable HTTP, legacy SSE), the transport hands its one long-lived signal to every fetch, and undici keeps
 * each request's abort listener on it until that request is garbage-collected. On a busy gateway more than
 * 1,500 build up between collections, and Node then prints a MaxListenersExceededWarning for every further
 * request: thousands of stderr lines, though memory stays bounded (measured over 20,000 calls: at most 1,764
 * listeners, 17 after a collection). The listener limit is lifted for the signals this fetch is given, once each.
 */
export function withSharedSignalsUnlimited(base: typeof fetch): typeof fetch {
  const lifted = new WeakSet<AbortSignal>();
  return (input, init) => {
    const signal = init?.signal;
    if (signal && !lifted.has(signal)) {
      lifted.add(signal);
      setMaxListeners(0, signal);
    }
    return base(input, init);
  };
}

/** Which remote transports to try, in order: the configured one, or Streamable HTTP then SSE. */
export function remoteKindsFor(config: RemoteServerConfig): RemoteKind[] {
  if (config.type === 'sse') return ['sse'];
  if (config.type === undefined) return ['http', 'sse'];
  return ['http'];
}
