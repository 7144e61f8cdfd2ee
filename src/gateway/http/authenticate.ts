import type { IncomingMessage, ServerResponse } from 'node:http';

import { createJwtVerifier, createKeyVerifier, type JwtVerifier } from '../../auth/index.js';
import type { AuthConfig, JwtAuthConfig } from '../../config/index.js';
import { errorMessage } from '../../core/errors.js';
import type { Principal } from '../../core/principal.js';
import { type KeyStore, openKeyStore, storeExists } from '../../store/index.js';
import type { Logger } from '../../telemetry/logger.js';
import { audiencesOf, type Endpoint, metadataUrlOf } from './protected-resource.js';

/** A credential longer than this is refused unread (a key is 47 characters; provider JWTs are 1 to 3 KiB). */
export const maxCredentialBytes = 8192;

/** RFC 6750's b64token: the characters a bearer credential may have. */
const token68 = /^[A-Za-z0-9\-._~+/]+=*$/;
/** A JWS in compact form: three base64url parts. */
const compactJws = /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*$/;

export interface AuthenticatorOptions {
  auth: AuthConfig | undefined;
  /** The store where `manifold keys create` puts keys: a file (`:memory:`: none) or a postgres:// URL. */
  storePath: string;
  /** The config file's folder (for `auth.jwt.file`). */
  configDir: string;
  logger: Logger;
}

/**
 * Who is calling, per request: `undefined` (the local user: no `auth:`, or `auth: none`), a principal, or
 * `false` when the request was refused and has been answered (400, 401, 403 or 503, RFC 6750 style).
 */
export type Authenticate = (req: IncomingMessage, res: ServerResponse, endpoint: Endpoint | undefined) => Promise<Principal | undefined | false>;

export interface Authenticator extends Disposable {
  authenticate: Authenticate;
  /** The principal of a request with a valid credential, else undefined; answers nothing (for open paths that say more to a known caller). */
  identify(req: IncomingMessage): Promise<Principal | undefined>;
  /** Whether credentials are asked for (an `auth:` object). */
  enabled: boolean;
  /** `auth.jwt`, when bearer tokens are accepted (then protected-resource metadata is served). */
  jwt: JwtAuthConfig | undefined;
}

/**
 * The HTTP face's authentication (docs/SECURITY.md), run after the request guard and before routing:
 * `Authorization: Bearer <key or token>` or `X-API-Key: <key>`. API keys are those of `auth.keys` and those
 * in the store; a bearer token shaped as a JWT goes to the `auth.jwt` verifier when there is one. Nothing a
 * caller sends is logged or echoed.
 */
export function createAuthenticator(options: AuthenticatorOptions): Authenticator {
  const auth = options.auth;
  if (auth === undefined || auth === 'none') {
    return { authenticate: async () => undefined, identify: async () => undefined, enabled: false, jwt: undefined, [Symbol.dispose]: () => {} };
  }
  const logger = options.logger;
  let store: KeyStore | undefined;
  let storeFailed = false;
  // The store file may appear after the gateway started (the first `manifold keys create`): looked for until it does.
  const openStore = (): KeyStore | undefined => {
    if (store || storeFailed || options.storePath === ':memory:') return store;
    if (!storeExists(options.storePath)) return undefined;
    try {
      store = openKeyStore(options.storePath);
    } catch (error) {
      storeFailed = true;
      logger.error(`API keys of the store are not checked: ${errorMessage(error)}`);
    }
    return store;
  };
  const verifyKey = createKeyVerifier({ keys: auth.keys, store: openStore });
  const jwt = auth.jwt;
  const verifier: JwtVerifier | undefined = jwt ? createJwtVerifier(jwt, options.configDir) : undefined;

  /** Who the request's credential names, or why it is refused; answers nothing. */
  const check = async (req: IncomingMessage, endpoint: Endpoint | undefined): Promise<Principal | Refusal> => {
    const refuse = (status: number, error: string | undefined, description: string, scope?: string): Refusal => ({ refused: true, status, error, description, scope });
    const credential = readCredential(req);
    switch (credential.kind) {
      case 'none':
        return refuse(401, undefined, `this gateway asks for a credential: send "Authorization: Bearer <API key${jwt ? ' or access token' : ''}>"`);
      case 'bad':
        return refuse(credential.status, 'invalid_request', credential.description);
      case 'bearer':
        break;
    }
    const token = credential.token;
    if (verifier && jwt && compactJws.test(token)) {
      const verdict = await verifier.verify(token, audiencesOf(jwt, endpoint));
      if (verdict.ok) return verdict.principal;
      switch (verdict.error) {
        case 'invalid_token':
          return refuse(401, 'invalid_token', verdict.description);
        case 'insufficient_scope':
          return refuse(403, 'insufficient_scope', verdict.description, verdict.scopes.join(' '));
        case 'unavailable':
          logger.warn(verdict.description);
          return refuse(503, 'temporarily_unavailable', 'cannot check access tokens now (the provider\'s keys could not be read); try again shortly');
      }
    }
    const verdict = verifyKey(token);
    if (verdict.ok) return verdict.principal;
    switch (verdict.reason) {
      case 'unknown':
        return refuse(401, 'invalid_token', `the ${jwt ? 'credential is neither a known API key nor a JWT' : 'API key is not known'}`);
      case 'expired':
        return refuse(401, 'invalid_token', `the API key "${verdict.name ?? ''}" expired; ask for a new one`);
      case 'revoked':
        return refuse(401, 'invalid_token', `the API key "${verdict.name ?? ''}" was revoked; ask for a new one`);
    }
  };

  const authenticate: Authenticate = async (req, res, endpoint) => {
    const result = await check(req, endpoint);
    if (!('refused' in result)) return result;
    const { status, error, description } = result;
    const metadata = jwt ? metadataUrlOf(jwt, req, endpoint) : undefined;
    const required = jwt && jwt.scopes.length > 0 ? jwt.scopes.join(' ') : undefined;
    const scope = result.scope ?? (status === 401 ? required : undefined);
    const params = [
      ...(metadata ? [`resource_metadata="${metadata}"`] : ['realm="manifold"']),
      ...(error ? [`error="${error}"`, `error_description="${quoted(description)}"`] : []),
      ...(scope !== undefined ? [`scope="${quoted(scope)}"`] : [])
    ];
    const headers: Record<string, string> = { 'content-type': 'application/json', 'cache-control': 'no-store' };
    if (status === 401 || status === 403) headers['www-authenticate'] = `Bearer ${params.join(', ')}`;
    res.writeHead(status, headers);
    res.end(JSON.stringify({ error: error ?? 'invalid_request', error_description: description }));
    logger.debug(`refused ${req.method ?? ''} ${req.url ?? ''} from ${req.socket.remoteAddress ?? '?'}: ${status} ${description}`);
    return false;
  };

  const identify = async (req: IncomingMessage): Promise<Principal | undefined> => {
    const result = await check(req, undefined);
    return 'refused' in result ? undefined : result;
  };
  return {
    authenticate,
    identify,
    enabled: true,
    jwt,
    [Symbol.dispose]: () => {
      store?.close();
      store = undefined;
    }
  };
}

/** Why a request is refused: the HTTP status and RFC 6750 error, and the scopes a 403 asks for. */
interface Refusal {
  refused: true;
  status: number;
  error: string | undefined;
  description: string;
  scope?: string | undefined;
}

type Credential = { kind: 'none' } | { kind: 'bearer'; token: string } | { kind: 'bad'; status: 400 | 401; description: string };

/** The credential of a request, checked for form (bounded, one of them, RFC 6750 characters) but not for validity. */
function readCredential(req: IncomingMessage): Credential {
  const authorization = req.headers.authorization;
  const apiKey = req.headers['x-api-key'];
  if (Array.isArray(apiKey)) return { kind: 'bad', status: 400, description: 'send one X-API-Key header' };
  if (authorization !== undefined && apiKey !== undefined) {
    return { kind: 'bad', status: 400, description: 'send one credential: either Authorization or X-API-Key, not both' };
  }
  const raw = authorization ?? apiKey;
  if (raw === undefined) return { kind: 'none' };
  if (raw.length > maxCredentialBytes) {
    return { kind: 'bad', status: 400, description: `the credential is ${raw.length} bytes, over the ${maxCredentialBytes} this gateway reads` };
  }
  let token: string;
  if (authorization !== undefined) {
    const space = authorization.indexOf(' ');
    const scheme = space < 0 ? authorization : authorization.slice(0, space);
    if (scheme.toLowerCase() !== 'bearer') {
      return { kind: 'bad', status: 401, description: `the Authorization scheme must be Bearer ("Authorization: Bearer <credential>"), not ${/^[A-Za-z][A-Za-z0-9-]{0,20}$/.test(scheme) ? `"${scheme}"` : 'this'}` };
    }
    token = space < 0 ? '' : authorization.slice(space + 1).trim();
  } else {
    token = raw.trim();
  }
  if (token === '') return { kind: 'bad', status: 401, description: 'the credential is empty' };
  if (!token68.test(token)) {
    return { kind: 'bad', status: 400, description: 'the credential has characters a bearer credential cannot have (RFC 6750: letters, digits and -._~+/ with = at the end)' };
  }
  return { kind: 'bearer', token };
}

/** A value inside a quoted-string of WWW-Authenticate: printable ASCII without `"` and `\`. */
function quoted(value: string): string {
  return value.replace(/[^\x20-\x7e]|["\\]/g, "'");
}
