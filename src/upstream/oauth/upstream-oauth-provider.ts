import { randomBytes } from 'node:crypto';

import type {
  OAuthClientMetadata,
  OAuthClientProvider,
  OAuthDiscoveryState,
  StoredOAuthClientInformation,
  StoredOAuthTokens
} from '@modelcontextprotocol/client';

import type { UpstreamOAuthConfig } from '../../config/index.js';
import { ManifoldError } from '../../core/errors.js';
import type { UpstreamCredentials, UpstreamCredentialStore } from '../../store/index.js';

/**
 * The person's browser during `manifold login`: shown the authorization URL, it comes back with the query of
 * the redirect to the loopback callback (`code`, `state`, `iss`, or `error`).
 */
export type UserAgent = (authorizationUrl: URL) => Promise<URLSearchParams>;

/** The error of a server whose sign-in is missing or no longer accepted: only a person can mend it. */
export function loginRequiredError(server: string, why: string): ManifoldError {
  return new ManifoldError('UPSTREAM_AUTH_REQUIRED', `login required: run "manifold login ${server}" (${why})`, { data: { server } });
}

export function isLoginRequired(error: unknown): error is ManifoldError {
  return error instanceof ManifoldError && error.code === 'UPSTREAM_AUTH_REQUIRED';
}

export interface UpstreamOAuthProviderOptions {
  server: string;
  config: UpstreamOAuthConfig;
  store: UpstreamCredentialStore;
  /** Present during `manifold login` (and in the conformance driver); absent, a sign-in is "login required". */
  userAgent?: UserAgent | undefined;
  /** The loopback callback URL of this sign-in (login); else the one the stored sign-in used. */
  redirectUri?: string | undefined;
}

/**
 * The SDK's `OAuthClientProvider` for one remote server, over the credential store: the client registration
 * (configured, CIMD or dynamic), the tokens and the discovered metadata persist; the PKCE verifier and the
 * state of a sign-in in progress stay in memory. The SDK's `auth()` drives it (with-upstream-oauth.ts).
 */
export class UpstreamOAuthProvider implements OAuthClientProvider {
  readonly server: string;
  private readonly options: UpstreamOAuthProviderOptions;
  private verifier: string | undefined;
  private expectedState: string | undefined;
  /** The redirect's query, once the user agent came back (login). */
  callback: URLSearchParams | undefined;
  /** Why a sign-in would be needed now, for the "login required" message. */
  loginReason = 'no sign-in is stored';

  constructor(options: UpstreamOAuthProviderOptions) {
    this.options = options;
    this.server = options.server;
  }

  /** The stored row as last read or written here: a store read (and decryption) costs more than a request. */
  private cached: UpstreamCredentials | undefined;

  private get record(): UpstreamCredentials {
    this.cached ??= this.options.store.load(this.server) ?? {};
    return this.cached;
  }

  private update(change: (record: UpstreamCredentials) => UpstreamCredentials): void {
    const next = change(this.record);
    this.options.store.save(this.server, next);
    this.cached = next;
  }

  /** Reads the store again at the next use: another process may have signed in or refreshed since. */
  reload(): void {
    this.cached = undefined;
  }

  get interactive(): boolean {
    return this.options.userAgent !== undefined;
  }

  get redirectUrl(): string | undefined {
    if (this.options.config.grant === 'client_credentials') return undefined;
    return this.options.redirectUri ?? this.record.redirectUri ?? `http://127.0.0.1:${this.options.config.redirectPort}/callback`;
  }

  get clientMetadataUrl(): string | undefined {
    return this.options.config.clientMetadataUrl;
  }

  get clientMetadata(): OAuthClientMetadata {
    const { config } = this.options;
    const redirect = this.redirectUrl;
    const metadata: OAuthClientMetadata & { application_type?: string } = {
      client_name: config.clientName,
      redirect_uris: redirect ? [redirect] : [],
      grant_types: config.grant === 'client_credentials' ? ['client_credentials'] : ['authorization_code', 'refresh_token'],
      response_types: config.grant === 'client_credentials' ? [] : ['code'],
      // SEP-837: a command-line client is a native application.
      application_type: 'native',
      ...(config.scopes ? { scope: config.scopes.join(' ') } : {})
    };
    return metadata;
  }

  state(): string {
    this.expectedState = randomBytes(16).toString('base64url');
    return this.expectedState;
  }

  /** Whether the redirect came back with the state this sign-in sent (CSRF on the loopback callback). */
  stateMatches(state: string | null): boolean {
    return this.expectedState !== undefined && state === this.expectedState;
  }

  clientInformation(): StoredOAuthClientInformation | undefined {
    const { clientId, clientSecret } = this.options.config;
    const stored = this.record.clientInformation as StoredOAuthClientInformation | undefined;
    if (clientId === undefined) return stored;
    // Pre-registered: the configured id (and secret), with the issuer stamp the SDK added once.
    const configured = { client_id: clientId, ...(clientSecret ? { client_secret: clientSecret } : {}) };
    return stored?.client_id === clientId ? { ...stored, ...configured } : configured;
  }

  saveClientInformation(clientInformation: StoredOAuthClientInformation): void {
    // A configured secret is never written to the store: only what the authorization server gave.
    const { client_secret: _secret, ...rest } = clientInformation;
    const kept = this.options.config.clientId === undefined ? clientInformation : rest;
    this.update(record => ({ ...record, clientInformation: kept }));
  }

  tokens(): StoredOAuthTokens | undefined {
    return this.record.tokens as StoredOAuthTokens | undefined;
  }

  /** When the stored access token expires (ms since the epoch), if the server said. */
  expiresAt(): number | undefined {
    const { tokens, obtainedAt } = this.record;
    const expiresIn = tokens?.expires_in;
    return typeof expiresIn === 'number' && obtainedAt !== undefined ? obtainedAt + expiresIn * 1000 : undefined;
  }

  saveTokens(tokens: StoredOAuthTokens): void {
    this.update(record => ({
      ...record,
      tokens,
      obtainedAt: Date.now(),
      ...(this.options.redirectUri ? { redirectUri: this.options.redirectUri } : {})
    }));
  }

  redirectToAuthorization(authorizationUrl: URL): Promise<void> | void {
    const { userAgent } = this.options;
    if (!userAgent) throw loginRequiredError(this.server, this.loginReason);
    return userAgent(authorizationUrl).then(callback => {
      this.callback = callback;
    });
  }

  saveCodeVerifier(codeVerifier: string): void {
    this.verifier = codeVerifier;
  }

  codeVerifier(): string {
    if (this.verifier === undefined) throw new ManifoldError('INTERNAL', `server "${this.server}": no PKCE verifier for this sign-in`);
    return this.verifier;
  }

  invalidateCredentials(scope: 'all' | 'client' | 'tokens' | 'verifier' | 'discovery'): void {
    switch (scope) {
      case 'all':
        this.verifier = undefined;
        this.update(record => ({ ...(record.redirectUri ? { redirectUri: record.redirectUri } : {}) }));
        return;
      case 'client':
        this.update(({ clientInformation: _dropped, ...record }) => record);
        return;
      case 'tokens':
        this.loginReason = 'the authorization server refused the stored refresh token (revoked or expired)';
        this.update(({ tokens: _dropped, obtainedAt: _at, ...record }) => record);
        return;
      case 'verifier':
        this.verifier = undefined;
        return;
      case 'discovery':
        this.update(({ discoveryState: _dropped, ...record }) => record);
        return;
      default: {
        const unknown: never = scope;
        throw new ManifoldError('INTERNAL', `unknown credential scope ${String(unknown)}`);
      }
    }
  }

  saveDiscoveryState(state: OAuthDiscoveryState): void {
    // Called once the authorization server is known, before anything is sent to it (registration, tokens).
    const expected = this.options.config.issuer;
    const found = state.authorizationServerMetadata?.issuer ?? state.authorizationServerUrl;
    if (expected !== undefined && found !== expected) {
      throw new ManifoldError(
        'UPSTREAM_AUTH_FAILED',
        `server "${this.server}" sends Manifold to the authorization server ${found}, not the one configured (servers.${this.server}.oauth.issuer: ${expected}); nothing was sent there`,
        { data: { server: this.server } }
      );
    }
    this.update(record => ({ ...record, discoveryState: state as unknown as Record<string, unknown> }));
  }

  discoveryState(): OAuthDiscoveryState | undefined {
    return this.record.discoveryState as OAuthDiscoveryState | undefined;
  }
}
