import {
  auth,
  ClientCredentialsProvider,
  computeScopeUnion,
  extractWWWAuthenticateParams,
  isStrictScopeSuperset,
  type OAuthClientProvider
} from '@modelcontextprotocol/client';

import type { UpstreamOAuthConfig } from '../../config/index.js';
import { errorMessage, ManifoldError } from '../../core/errors.js';
import { MemoryCredentialStore, type UpstreamCredentialStore } from '../../store/index.js';
import type { Logger } from '../../telemetry/logger.js';
import { isLoginRequired, loginRequiredError, UpstreamOAuthProvider, type UserAgent } from './upstream-oauth-provider.js';

export interface UpstreamOAuthOptions {
  server: string;
  /** The server's MCP endpoint: the protected resource. */
  serverUrl: string;
  config: UpstreamOAuthConfig;
  /** Where a sign-in (authorization_code) is kept; client credentials stay in memory. */
  store: UpstreamCredentialStore | undefined;
  /** The person's browser (`manifold login`); absent in the gateway, where a needed sign-in is "login required". */
  userAgent?: UserAgent | undefined;
  /** The loopback callback URL of a login in progress. */
  redirectUri?: string | undefined;
  /** The fetch under this one: for the server and for the authorization server. */
  fetch: typeof fetch;
  logger: Logger;
}

export interface UpstreamOAuthStatus {
  grant: UpstreamOAuthConfig['grant'];
  /** A token is held (authorization_code: a sign-in is stored). */
  signedIn: boolean;
  scope?: string;
  /** When the access token expires (ISO 8601), where the authorization server said. */
  expiresAt?: string;
  /** A refresh token is held. */
  refreshable?: boolean;
}

/**
 * OAuth 2.1 toward one remote server, as a fetch for its transports: every request carries the server's own
 * token (never a client's: the header is set here, from the store), an expired token is refreshed before it
 * is sent, a 401 gets a new token (refresh, client credentials, or the sign-in of `manifold login`) and the
 * request is sent once more, and a 403 `insufficient_scope` steps up to the union of the scopes (once per
 * scope set). Discovery (RFC 9728, RFC 8414), registration (pre-registered, CIMD, dynamic), PKCE, RFC 8707
 * resource indicators and the RFC 9207 issuer check are the SDK's `auth()`.
 */
export class UpstreamOAuth {
  readonly provider: OAuthClientProvider;
  private readonly options: UpstreamOAuthOptions;
  private readonly session: UpstreamOAuthProvider | undefined;
  private resourceMetadataUrl: URL | undefined;
  /** The scopes asked for so far (challenges are added to it: SEP-2350). */
  private requestedScope: string | undefined;
  private readonly stepUpsTried = new Set<string>();
  /** One authorization at a time: concurrent 401s share it (a rotated refresh token is used once). */
  private pending: Promise<void> | undefined;
  private readonly loginListeners = new Set<(error: ManifoldError) => void>();

  constructor(options: UpstreamOAuthOptions) {
    this.options = options;
    const { config } = options;
    this.requestedScope = config.scopes?.join(' ');
    if (config.grant === 'client_credentials') {
      this.provider = new ClientCredentialsProvider({
        clientId: config.clientId ?? '',
        clientSecret: config.clientSecret ?? '',
        clientName: config.clientName,
        ...(config.issuer ? { expectedIssuer: config.issuer } : {}),
        ...(config.scopes ? { scope: config.scopes.join(' ') } : {})
      });
    } else {
      this.session = new UpstreamOAuthProvider({
        server: options.server,
        config,
        store: options.store ?? new MemoryCredentialStore(),
        userAgent: options.userAgent,
        redirectUri: options.redirectUri
      });
      this.provider = this.session;
    }
  }

  /**
   * Tells `listener` when a sign-in is needed (none stored, or the refresh token was refused): each connection
   * that uses this (the shared one, each client's own) is then down until one is made. Returns the unsubscribe.
   */
  onLoginRequired(listener: (error: ManifoldError) => void): () => void {
    this.loginListeners.add(listener);
    return () => this.loginListeners.delete(listener);
  }

  /** What `manifold doctor --json` shows: the grant, whether a token is held, its scope and expiry. */
  async status(): Promise<UpstreamOAuthStatus> {
    const tokens = await this.provider.tokens();
    const expiresAt = this.session?.expiresAt();
    return {
      grant: this.options.config.grant,
      signedIn: tokens !== undefined,
      ...(tokens?.scope ? { scope: tokens.scope } : {}),
      ...(expiresAt !== undefined ? { expiresAt: new Date(expiresAt).toISOString() } : {}),
      ...(tokens?.refresh_token ? { refreshable: true } : {})
    };
  }

  /** The fetch for the server's transports. */
  readonly fetch: typeof fetch = async (input, init) => {
    let sent: string | undefined;
    const send = async (): Promise<Response> => {
      const headers = new Headers(init?.headers);
      sent = await this.accessToken();
      if (sent) headers.set('authorization', `Bearer ${sent}`);
      else headers.delete('authorization');
      return this.options.fetch(input, { ...init, headers });
    };
    let response = await send();
    if (response.status === 401) {
      // Refused: get a new token, unless a concurrent request (or another process) already has: then resend.
      this.session?.reload();
      const current = (await this.provider.tokens())?.access_token;
      if (current === undefined || current === sent) await this.authorize(response, false);
      await discard(response);
      response = await send();
      if (response.status === 401) {
        // A token just issued and refused at once: asking again would loop. Say what the server said.
        const { error, errorDescription } = extractWWWAuthenticateParams(response);
        await discard(response);
        const { server } = this.options;
        throw new ManifoldError(
          'UPSTREAM_AUTH_FAILED',
          `server "${server}" refused the token its authorization server just issued (HTTP 401${error ? ` ${error}` : ''}${errorDescription ? `: ${errorDescription}` : ''}): the authorization server and the server disagree (audience, issuer or signing key)`,
          { data: { server } }
        );
      }
    }
    if (response.status === 403 && extractWWWAuthenticateParams(response).error === 'insufficient_scope') {
      if (await this.authorize(response, true)) {
        await discard(response);
        response = await send();
      }
    }
    return response;
  };

  /** The stored access token, refreshed first when it has expired (or is about to). */
  private async accessToken(): Promise<string | undefined> {
    const { session } = this;
    if (session && (!session.tokens() || this.expired())) {
      // No token, or an expired one, in memory: another process may have signed in or refreshed meanwhile.
      session.reload();
    }
    const tokens = await this.provider.tokens();
    if (tokens?.refresh_token && this.expired()) {
      this.options.logger.debug('access token expired: refreshing it');
      await this.once(() => this.runAuth({}));
    } else if (!tokens && session && !session.interactive) {
      throw this.loginRequired(loginRequiredError(this.options.server, session.loginReason));
    }
    return (await this.provider.tokens())?.access_token;
  }

  /** Whether the held access token has expired or is about to (within a tenth of its life, at most 30 s). */
  private expired(): boolean {
    const expiresAt = this.session?.expiresAt();
    if (expiresAt === undefined) return false;
    const expiresIn = this.session?.tokens()?.expires_in;
    const lifetime = typeof expiresIn === 'number' ? expiresIn * 1000 : 0;
    return Date.now() >= expiresAt - Math.min(30_000, lifetime / 10);
  }

  /**
   * A new token after a 401 (`stepUp` false) or a 403 insufficient_scope. False where a step-up would ask for
   * nothing new (that scope set was tried already): the 403 stands.
   */
  private async authorize(response: Response, stepUp: boolean): Promise<boolean> {
    const { resourceMetadataUrl, scope: challenged } = extractWWWAuthenticateParams(response);
    if (resourceMetadataUrl) this.resourceMetadataUrl = resourceMetadataUrl;
    const granted = (await this.provider.tokens())?.scope;
    const scope = computeScopeUnion(this.requestedScope, stepUp ? granted : undefined, challenged);
    if (stepUp) {
      const key = scope ?? '';
      if (this.stepUpsTried.has(key)) return false;
      this.stepUpsTried.add(key);
    }
    this.requestedScope = scope;
    const held = await this.provider.tokens();
    if (this.session && held && !held.refresh_token) this.session.loginReason = 'the access token expired and the authorization server gave no refresh token';
    // A token we had was refused: where to get a new one may have changed too (the server moved to another
    // authorization server, SEP-2352), so the metadata is read afresh rather than from the store.
    if (!stepUp && held) await this.provider.invalidateCredentials?.('discovery');
    const forceReauthorization = stepUp && isStrictScopeSuperset(scope, granted);
    if (forceReauthorization && this.session && !this.session.interactive) {
      // A wider scope needs a person to consent: this call fails saying how; the server stays up for the rest.
      const { server } = this.options;
      throw new ManifoldError(
        'UPSTREAM_AUTH_REQUIRED',
        `server "${server}" asks for scope "${challenged ?? scope ?? ''}", which its sign-in was not granted: add it to servers.${server}.oauth.scopes and run "manifold login ${server}"`,
        { data: { server, scope } }
      );
    }
    await this.once(() => this.runAuth({ scope, forceReauthorization }));
    return true;
  }

  private once(run: () => Promise<void>): Promise<void> {
    this.pending ??= run().finally(() => (this.pending = undefined));
    return this.pending;
  }

  private async runAuth(request: { scope?: string | undefined; forceReauthorization?: boolean }): Promise<void> {
    const { server, serverUrl } = this.options;
    const base = {
      serverUrl,
      fetchFn: this.options.fetch,
      ...(this.resourceMetadataUrl ? { resourceMetadataUrl: this.resourceMetadataUrl } : {}),
      ...(request.scope ? { scope: request.scope } : {}),
      ...(request.forceReauthorization ? { forceReauthorization: true } : {})
    };
    try {
      if (this.session) {
        this.session.callback = undefined;
        this.session.reload();
      }
      const result = await auth(this.provider, base);
      if (result === 'AUTHORIZED') return;
      // REDIRECT: the user agent came back (login); redeem the code it brought.
      const callback = this.session?.callback;
      if (!callback || !this.session) throw new ManifoldError('UPSTREAM_AUTH_FAILED', `server "${server}": the sign-in did not come back`);
      const error = callback.get('error');
      if (error) {
        const description = callback.get('error_description');
        throw new ManifoldError('UPSTREAM_AUTH_FAILED', `server "${server}": the authorization server refused the sign-in: ${error}${description ? ` (${description})` : ''}`);
      }
      if (!this.session.stateMatches(callback.get('state'))) {
        throw new ManifoldError('UPSTREAM_AUTH_FAILED', `server "${server}": the sign-in came back with another state than it was sent with (a forged or stale redirect); run the login again`);
      }
      const code = callback.get('code');
      if (!code) throw new ManifoldError('UPSTREAM_AUTH_FAILED', `server "${server}": the sign-in came back without an authorization code`);
      const iss = callback.get('iss');
      await auth(this.provider, { ...base, authorizationCode: code, ...(iss !== null ? { iss } : {}) });
    } catch (error) {
      if (isLoginRequired(error)) throw this.loginRequired(error);
      if (error instanceof ManifoldError) throw error;
      if (this.options.config.clientId === undefined && /does not support dynamic client registration/.test(errorMessage(error))) {
        throw new ManifoldError(
          'UPSTREAM_AUTH_FAILED',
          `server "${server}": its authorization server offers no dynamic client registration, and Manifold has no client there: register one and set servers.${server}.oauth.clientId (with clientSecret for a confidential client, and redirectPort to the port of the registered redirect URI http://127.0.0.1:<port>/callback), or servers.${server}.oauth.clientMetadataUrl where it supports client ID metadata documents`,
          { cause: error, data: { server } }
        );
      }
      const hint = this.session ? `; if it persists, run "manifold login ${server}"` : '';
      throw new ManifoldError('UPSTREAM_AUTH_FAILED', `server "${server}": getting an OAuth token failed: ${errorMessage(error)}${hint}`, {
        cause: error,
        data: { server }
      });
    }
  }

  private loginRequired(error: ManifoldError): ManifoldError {
    for (const listener of this.loginListeners) listener(error);
    return error;
  }
}

async function discard(response: Response): Promise<void> {
  await response.body?.cancel().catch(() => {});
}
