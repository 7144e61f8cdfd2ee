import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

import type { RemoteServerConfig } from '../config/index.js';
import { ManifoldError } from '../core/errors.js';
import type { UpstreamCredentialStore } from '../store/index.js';
import type { Logger } from '../telemetry/logger.js';
import { UpstreamConnection } from './upstream-connection.js';

export interface LoginOptions {
  server: string;
  config: RemoteServerConfig;
  store: UpstreamCredentialStore;
  logger: Logger;
  /** Shows the authorization URL to the person (the CLI prints it; a test GETs it as the browser would). */
  onAuthorizationUrl(url: URL, redirectUri: string): void;
  /** How long to wait for the redirect to come back (default 5 minutes). */
  timeoutMs?: number;
  connectTimeoutMs?: number;
  fetch?: typeof fetch;
}

export interface LoginResult {
  tools: number;
  scope: string | undefined;
  redirectUri: string;
}

/**
 * `manifold login <server>`: a fresh authorization-code sign-in (PKCE S256, state, RFC 9207 iss check) whose
 * redirect comes back to a loopback port, then a connection with the new token to show that it works. What the
 * server kept from an earlier sign-in is dropped first (a dynamic registration was for another redirect port).
 */
export async function loginUpstream(options: LoginOptions): Promise<LoginResult> {
  const { server, config, store } = options;
  const oauth = config.oauth;
  if (!oauth || oauth.grant !== 'authorization_code') {
    throw new ManifoldError('INVALID_PARAMS', `server "${server}" has no oauth with the authorization_code grant (servers.${server}.oauth): nothing to log in to`);
  }
  const callback = await listenForCallback(oauth.redirectPort, server);
  try {
    store.delete(server);
    store.save(server, { redirectUri: callback.redirectUri });
    const timeoutMs = options.timeoutMs ?? 300_000;
    const connection = new UpstreamConnection({
      name: server,
      config,
      logger: options.logger,
      credentials: store,
      redirectUri: callback.redirectUri,
      userAgent: url => {
        options.onAuthorizationUrl(url, callback.redirectUri);
        return callback.next(timeoutMs);
      },
      defaultTimeoutMs: timeoutMs,
      // The handshake includes the person signing in.
      connectTimeoutMs: timeoutMs + (options.connectTimeoutMs ?? 30_000),
      backoff: { baseMs: 3_600_000, maxMs: 3_600_000 },
      ...(options.fetch ? { fetch: options.fetch } : {})
    });
    try {
      await connection.start();
      const state = connection.state;
      if (state.kind !== 'ready') {
        throw new ManifoldError('UPSTREAM_AUTH_FAILED', `login to server "${server}" failed: ${state.kind === 'failed' ? state.reason : state.kind}`);
      }
      const tokens = store.load(server)?.tokens;
      return { tools: connection.snapshot.tools.length, scope: typeof tokens?.scope === 'string' ? tokens.scope : undefined, redirectUri: callback.redirectUri };
    } finally {
      await connection.stop();
    }
  } finally {
    await callback.close();
  }
}

interface CallbackListener {
  redirectUri: string;
  /** The query of the next request to /callback. */
  next(timeoutMs: number): Promise<URLSearchParams>;
  close(): Promise<void>;
}

/** The loopback redirect target (RFC 8252 §7.3): 127.0.0.1 only, one path, answers the browser in plain words. */
async function listenForCallback(port: number, server: string): Promise<CallbackListener> {
  let deliver: ((query: URLSearchParams) => void) | undefined;
  const http: Server = createServer((request, response) => {
    const url = new URL(request.url ?? '/', 'http://127.0.0.1');
    if (url.pathname !== '/callback' || request.method !== 'GET') {
      response.writeHead(404, { 'content-type': 'text/plain' }).end('not found\n');
      return;
    }
    const failed = url.searchParams.get('error');
    response
      .writeHead(failed ? 400 : 200, { 'content-type': 'text/plain; charset=utf-8' })
      .end(failed ? `Manifold: the sign-in to "${server}" failed: ${failed}. See the terminal.\n` : `Manifold: signed in to "${server}". You can close this tab.\n`);
    deliver?.(url.searchParams);
  });
  await new Promise<void>((resolve, reject) => {
    http.once('error', error =>
      reject(new ManifoldError('INVALID_PARAMS', `cannot listen on 127.0.0.1:${port} for the sign-in redirect (${error.message}); set servers.${server}.oauth.redirectPort to a free port`))
    );
    http.listen(port, '127.0.0.1', resolve);
  });
  const redirectUri = `http://127.0.0.1:${(http.address() as AddressInfo).port}/callback`;
  return {
    redirectUri,
    next: timeoutMs =>
      new Promise<URLSearchParams>((resolve, reject) => {
        const timer = setTimeout(() => reject(new ManifoldError('UPSTREAM_AUTH_FAILED', `no sign-in came back to ${redirectUri} within ${Math.round(timeoutMs / 1000)} s`)), timeoutMs);
        timer.unref();
        deliver = query => {
          clearTimeout(timer);
          deliver = undefined;
          resolve(query);
        };
      }),
    close: async () => {
      http.closeAllConnections();
      await new Promise<void>(resolve => http.close(() => resolve()));
    }
  };
}
