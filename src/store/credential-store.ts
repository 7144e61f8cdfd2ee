/**
 * What Manifold keeps to reach a remote server that demands OAuth (issue 11, "upstream credentials"): the
 * client registration and the tokens of one sign-in (`manifold login <server>`), per configured server.
 * SQLite implements it now (encrypted at rest, docs/SECURITY.md "Upstream credentials"); PostgreSQL later.
 */
export interface UpstreamCredentials {
  /** The client as registered with the authorization server (dynamic registration, CIMD or pre-registered). */
  clientInformation?: Record<string, unknown>;
  /** The token response (access, refresh, expiry, scope, issuer), as the SDK stores it. */
  tokens?: Record<string, unknown>;
  /** When the tokens were obtained (ms since the epoch): with `expires_in`, when they expire. */
  obtainedAt?: number;
  /** The loopback redirect URI of the sign-in these tokens came from. */
  redirectUri?: string;
  /** Where the server's authorization server was found (RFC 9728 and RFC 8414 metadata), to skip discovery. */
  discoveryState?: Record<string, unknown>;
}

/** Credentials per server name. Reads see writes made by other processes (a `manifold login` beside a gateway). */
export interface UpstreamCredentialStore {
  load(server: string): UpstreamCredentials | undefined;
  save(server: string, credentials: UpstreamCredentials): void;
  /** Forgets the server's credentials; whether there were any. */
  delete(server: string): boolean;
  close(): void;
}

/** Credentials kept in memory only (a `:memory:` store, client credentials, tests). */
export class MemoryCredentialStore implements UpstreamCredentialStore {
  private readonly entries = new Map<string, string>();

  load(server: string): UpstreamCredentials | undefined {
    const text = this.entries.get(server);
    return text === undefined ? undefined : (JSON.parse(text) as UpstreamCredentials);
  }

  save(server: string, credentials: UpstreamCredentials): void {
    this.entries.set(server, JSON.stringify(credentials));
  }

  delete(server: string): boolean {
    return this.entries.delete(server);
  }

  close(): void {}
}
