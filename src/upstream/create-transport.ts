import { dirname, isAbsolute, resolve } from 'node:path';

import type { Transport } from '@modelcontextprotocol/client';
import { SSEClientTransport, StreamableHTTPClientTransport } from '@modelcontextprotocol/client';

import type { RemoteServerConfig, StdioServerConfig } from '../config/index.js';
import type { Logger } from '../telemetry/logger.js';
import { ProcessTransport } from './stdio/process-transport.js';
import { buildChildEnvironment } from './stdio/spawn-process.js';

export type RemoteKind = 'http' | 'sse';

/** Builds the stdio transport for a server: own process group, allow-listed env, stderr into the log. */
export function createStdioTransport(config: StdioServerConfig, options: { configPath?: string; logger: Logger }): ProcessTransport {
  const base = options.configPath ? dirname(options.configPath) : process.cwd();
  const cwd = config.cwd ? (isAbsolute(config.cwd) ? config.cwd : resolve(base, config.cwd)) : base;
  const stderrLogger = options.logger.child('stderr');
  return new ProcessTransport({
    command: config.command,
    args: config.args,
    env: buildChildEnvironment(config.env),
    cwd,
    logger: options.logger,
    onStderrLine: line => stderrLogger.info(line)
  });
}

/** The remote transport of the given kind, with the configured headers on every request. */
export function createRemoteTransport(config: RemoteServerConfig, kind: RemoteKind, fetchImpl?: typeof fetch): Transport {
  const url = new URL(config.url);
  const requestInit: RequestInit = { headers: config.headers };
  if (kind === 'sse') return new SSEClientTransport(url, { requestInit, ...(fetchImpl ? { fetch: fetchImpl } : {}) });
  return new StreamableHTTPClientTransport(url, { requestInit, ...(fetchImpl ? { fetch: fetchImpl } : {}) });
}

/** Which remote transports to try, in order: the configured one, or Streamable HTTP then SSE. */
export function remoteKindsFor(config: RemoteServerConfig): RemoteKind[] {
  if (config.type === 'sse') return ['sse'];
  if (config.type === undefined) return ['http', 'sse'];
  return ['http'];
}
