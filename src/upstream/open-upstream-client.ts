import type { Client, PriorDiscovery, Transport } from '@modelcontextprotocol/client';
import { SdkError, SdkErrorCode, SdkHttpError } from '@modelcontextprotocol/client';

import { isStdioServer, type RemoteServerConfig, type ServerConfig, type StdioServerConfig } from '../config/index.js';
import { errorMessage, ManifoldError } from '../core/errors.js';
import type { Logger } from '../telemetry/logger.js';
import { createRemoteTransport, createStdioTransport, type RemoteKind, remoteKindsFor } from './create-transport.js';
import { isClosedInProbe, negotiationFor } from './era-negotiation.js';

export interface OpenedClient {
  client: Client;
  transport: Transport;
  kind: 'stdio' | RemoteKind;
}

/** What one connect attempt needs from the connection that makes it. */
export interface OpenAttempt {
  /** The server's name, for errors. */
  server: string;
  config: ServerConfig;
  configPath?: string | undefined;
  logger: Logger;
  fetch?: typeof fetch | undefined;
  /** gateway.maxMessageBytes: the longest message read from a stdio server. */
  maxMessageBytes?: number | undefined;
  /** Bound on each handshake (start, era probe, initialize) as a whole. */
  timeoutMs: number;
  /** The era verdict of the last successful connect, reused to skip the probe. */
  verdict: PriorDiscovery | undefined;
  /** The remote transport that worked last time (tried alone). */
  remoteKind: RemoteKind | undefined;
  newClient(): Client;
  isStopped(): boolean;
  /** The transport of the attempt in progress (undefined once it settles), so that stop() can close it. */
  onAttemptTransport(transport: Transport | undefined): void;
  /** The stderr lines of a stdio server that failed to start. */
  onFailedStderr(lines: string[]): void;
}

/** Opens a session to the server: spawns it (stdio) or finds the remote transport it speaks, and negotiates the era. */
export function openUpstreamClient(attempt: OpenAttempt): Promise<OpenedClient> {
  const { config } = attempt;
  return isStdioServer(config) ? openStdioClient(attempt, config) : openRemoteClient(attempt, config);
}

async function openStdioClient(attempt: OpenAttempt, config: StdioServerConfig): Promise<OpenedClient> {
  const timeout = attempt.timeoutMs;
  const once = async (prior: PriorDiscovery | undefined): Promise<OpenedClient> => {
    const transport = createStdioTransport(config, { configPath: attempt.configPath, logger: attempt.logger, maxMessageBytes: attempt.maxMessageBytes });
    const client = attempt.newClient();
    const { mode } = negotiationFor(config.protocol, 'stdio', attempt.verdict);
    // The probe may take the whole connect timeout: a server still starting (npx installing, a slow
    // runtime) answers it late, and killing it then would only start the wait over.
    client.setVersionNegotiation({ mode, probe: { timeoutMs: timeout } });
    attempt.onFailedStderr([]);
    attempt.onAttemptTransport(transport);
    try {
      await withinConnectTimeout(client.connect(transport, { timeout, ...(prior ? { prior } : {}) }), attempt);
    } catch (error) {
      await transport.close().catch(() => {});
      // Kept for the failure reason (doctor): often the one line that says why the server exited.
      attempt.onFailedStderr(transport.recentStderr);
      throw error;
    } finally {
      attempt.onAttemptTransport(undefined);
    }
    return { client, transport, kind: 'stdio' };
  };
  const { prior } = negotiationFor(config.protocol, 'stdio', attempt.verdict);
  try {
    return await once(prior);
  } catch (error) {
    if (!isClosedInProbe(error) || config.protocol !== 'auto' || attempt.isStopped()) throw error;
    attempt.logger.debug('server closed on the server/discover probe; starting it again as a legacy server');
    return once({ kind: 'legacy' });
  }
}

/** Streamable HTTP, falling back to legacy SSE where the config does not name the transport. */
async function openRemoteClient(attempt: OpenAttempt, config: RemoteServerConfig): Promise<OpenedClient> {
  const timeout = attempt.timeoutMs;
  const kinds = attempt.remoteKind ? [attempt.remoteKind] : remoteKindsFor(config);
  let lastError: unknown;
  let httpFailure: string | undefined;
  for (const kind of kinds) {
    const transport = createRemoteTransport(config, kind, attempt.fetch);
    const client = attempt.newClient();
    const { mode, prior } = negotiationFor(config.protocol, kind, attempt.verdict);
    client.setVersionNegotiation({ mode, probe: { timeoutMs: timeout } });
    attempt.onAttemptTransport(transport);
    try {
      await withinConnectTimeout(client.connect(transport, { timeout, ...(prior ? { prior } : {}) }), attempt);
      return { client, transport, kind };
    } catch (error) {
      lastError = error;
      await client.close().catch(() => {});
      const status = error instanceof SdkHttpError ? error.status : undefined;
      const auth = status === 401 || status === 403;
      if (auth || attempt.isStopped() || kind === kinds[kinds.length - 1]) break;
      httpFailure = status !== undefined ? `HTTP ${status}: ${errorMessage(error)}` : errorMessage(error);
      attempt.logger.debug(`Streamable HTTP failed (${errorMessage(error)}); trying legacy SSE`);
    } finally {
      attempt.onAttemptTransport(undefined);
    }
  }
  // Both failed: the Streamable HTTP reason is usually the telling one (the SSE fallback's is about SSE).
  if (httpFailure !== undefined) {
    throw new ManifoldError('UPSTREAM_UNAVAILABLE', `Streamable HTTP: ${httpFailure}; legacy SSE fallback: ${errorMessage(lastError)}`, { cause: lastError });
  }
  throw lastError;
}

/**
 * Bounds one handshake as a whole (the SDK bounds the probe and initialize each on its own, so together they
 * could take twice the timeout), and says in plain words what happened and what to set.
 */
async function withinConnectTimeout<T>(handshake: Promise<T>, attempt: OpenAttempt): Promise<T> {
  const timedOut = () => connectTimeoutError(attempt.server, attempt.timeoutMs);
  let timer: NodeJS.Timeout | undefined;
  const expired = new Promise<never>((_resolve, reject) => {
    timer = setTimeout(() => reject(timedOut()), attempt.timeoutMs);
    // A handshake left pending by a stopped connection (its transport closed) must not hold the process open
    // for the rest of the timeout: `manifold doctor` waited up to connectTimeout to exit.
    timer.unref();
  });
  // Settled later, when the caller closes the transport: that rejection is not news.
  handshake.catch(() => {});
  try {
    return await Promise.race([handshake, expired]);
  } catch (error) {
    if (error instanceof SdkError && error.code === SdkErrorCode.RequestTimeout) throw timedOut();
    throw error;
  } finally {
    clearTimeout(timer);
  }
}

/** The error of a handshake that took longer than the connect timeout. */
export function connectTimeoutError(server: string, timeoutMs: number): ManifoldError {
  const seconds = `${Math.round(timeoutMs / 100) / 10} s`;
  return new ManifoldError(
    'UPSTREAM_TIMEOUT',
    `server "${server}" did not answer within ${seconds} while connecting (if it needs longer to start, raise servers.${server}.connectTimeout, or gateway.connectTimeout for every server)`,
    { data: { server, timeoutMs } }
  );
}
