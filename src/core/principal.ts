/**
 * Who is calling. Every request on the pipeline carries one: the HTTP face sets it from an API key or a bearer
 * token (docs/SECURITY.md); stdio, the CLI and a gateway without `auth:` run as the local user.
 */
export interface Principal {
  /** Stable name, used in rules, limits, cache keys and logs: a key's name, a token's subject, `local`. */
  name: string;
  /** How it was established. */
  kind: 'local' | 'key' | 'jwt';
  /** The views (by name) this principal may reach; absent: every view and the whole catalog. */
  views?: readonly string[];
  /** OAuth scopes granted (bearer tokens), or the scopes a key was given. */
  scopes?: readonly string[];
  /** A bearer token's verified claims. */
  claims?: Readonly<Record<string, unknown>>;
}

/** The principal of stdio, the CLI, and an HTTP face without `auth:` (which binds to loopback only). */
export const localPrincipal: Principal = Object.freeze({ name: 'local', kind: 'local' });

/** The principal a request runs as: its own, or the local user's. */
export function principalOf(context: { principal?: Principal | undefined }): Principal {
  return context.principal ?? localPrincipal;
}

/** Whether two requests come from the same caller (absent: the local user): a session is bound to the one that opened it. */
export function samePrincipal(a: Principal | undefined, b: Principal | undefined): boolean {
  return (a?.kind ?? 'local') === (b?.kind ?? 'local') && (a?.name ?? 'local') === (b?.name ?? 'local');
}
