import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';

import { createLocalJWKSet, createRemoteJWKSet, errors, type JSONWebKeySet, type JWTPayload, jwtVerify } from 'jose';

import type { JwtAuthConfig } from '../config/index.js';
import { errorMessage, ManifoldError } from '../core/errors.js';
import type { Principal } from '../core/principal.js';

/** The outcome of checking a bearer token (RFC 6750 error codes). */
export type JwtVerdict =
  | { ok: true; principal: Principal }
  /** `invalid_token`: 401; `insufficient_scope`: 403 naming `scopes`; `unavailable`: the JWKS could not be fetched (503). */
  | { ok: false; error: 'invalid_token'; description: string }
  | { ok: false; error: 'insufficient_scope'; description: string; scopes: string[] }
  | { ok: false; error: 'unavailable'; description: string };

export interface JwtVerifier {
  /** Verifies a token for an endpoint whose accepted audiences are `audiences`. */
  verify(token: string, audiences: readonly string[]): Promise<JwtVerdict>;
}

type KeySet = Parameters<typeof jwtVerify>[1];

/** How long a verified token is taken on trust before its signature is checked again. */
const verifiedTokenTtlMs = 60_000;
/** Past this many verified tokens kept, the cache starts over (bounded memory whatever callers send). */
const maxVerifiedTokens = 1024;

export interface JwtVerifierOptions {
  /** Least time between two fetches of the JWKS for an unknown `kid` (default 30 s). */
  jwksCooldownMs?: number;
  /** The clock for expiry and the verified-token cache (tests). */
  now?: () => number;
}

/**
 * The key set of `auth.jwt`: the provider's JWKS URL (jose's remote set: cached, fetched again at most every
 * 30 s when a token names a `kid` it does not hold, so a rotated key is picked up) or a JWKS file read now.
 * A file that cannot be read or parsed is a startup error naming `auth.jwt.file`.
 */
function keySetOf(config: JwtAuthConfig, baseDir: string, cooldownMs: number): KeySet {
  if (config.jwks !== undefined) {
    return createRemoteJWKSet(new URL(config.jwks), { timeoutDuration: 5000, cooldownDuration: cooldownMs, cacheMaxAge: 10 * 60_000 });
  }
  const path = resolve(baseDir, config.file ?? '');
  try {
    return createLocalJWKSet(JSON.parse(readFileSync(path, 'utf8')) as JSONWebKeySet);
  } catch (error) {
    throw new ManifoldError('CONFIG_INVALID', `auth.jwt.file: cannot read the JWKS ${path}: ${errorMessage(error)}; give a JSON Web Key Set file ({"keys": [...]}) or use auth.jwt.jwks with the provider's URL`, { cause: error });
  }
}

/** The scopes a token grants: `scope` (space-separated, RFC 9068) or `scp` (a list or a string, Entra/Okta). */
export function scopesOf(payload: JWTPayload): string[] {
  const scopes = new Set<string>();
  for (const claim of [payload.scope, payload.scp]) {
    if (typeof claim === 'string') for (const scope of claim.split(' ')) if (scope) scopes.add(scope);
    if (Array.isArray(claim)) for (const scope of claim) if (typeof scope === 'string' && scope) scopes.add(scope);
  }
  return [...scopes];
}

/**
 * Manifold as an OAuth 2.1 resource server: a bearer token is a JWT signed by a key of the provider's JWKS
 * (asymmetric algorithms only: `alg: none` and an HMAC made with the public key are refused), with `iss` the
 * configured issuer, `aud` one of the endpoint's audiences (RFC 8707), `exp` present and not past (and `nbf`
 * reached) within `leeway`, and every required scope. Its principal is named by `principalClaim` (`sub`).
 */
export function createJwtVerifier(config: JwtAuthConfig, baseDir: string, options: JwtVerifierOptions = {}): JwtVerifier {
  const keySet = keySetOf(config, baseDir, options.jwksCooldownMs ?? 30_000);
  const clockTolerance = Math.round(config.leeway / 1000);
  const now = options.now ?? Date.now;
  // Tokens verified lately, by token and endpoint audiences: a client sends the same token on every call, and a
  // signature check costs ~0.1 ms. Kept until the token expires (with the leeway) and at most a minute, so a key
  // the provider withdrew stops working within a minute, as a refetched JWKS would make it.
  const verified = new Map<string, { principal: Principal; until: number }>();
  return {
    async verify(token, audiences) {
      const cacheKey = `${audiences.join(' ')}\n${token}`;
      const cached = verified.get(cacheKey);
      if (cached && cached.until > now()) return { ok: true, principal: cached.principal };
      if (cached) verified.delete(cacheKey);
      let payload: JWTPayload;
      try {
        ({ payload } = await jwtVerify(token, keySet, {
          issuer: config.issuer,
          audience: [...audiences],
          algorithms: config.algorithms,
          clockTolerance,
          currentDate: new Date(now()),
          requiredClaims: ['exp']
        }));
      } catch (error) {
        return refusal(error, config, audiences);
      }
      const name = payload[config.principalClaim];
      if (typeof name !== 'string' || name === '') {
        return { ok: false, error: 'invalid_token', description: `the token has no "${config.principalClaim}" claim naming the caller (auth.jwt.principalClaim)` };
      }
      const granted = scopesOf(payload);
      const missing = config.scopes.filter(scope => !granted.includes(scope));
      if (missing.length > 0) {
        return { ok: false, error: 'insufficient_scope', description: `the token lacks the scope${missing.length > 1 ? 's' : ''} ${missing.join(' ')}`, scopes: config.scopes };
      }
      const principal: Principal = { name, kind: 'jwt', scopes: granted, claims: payload };
      if (verified.size >= maxVerifiedTokens) verified.clear();
      verified.set(cacheKey, { principal, until: Math.min((payload.exp ?? 0) * 1000 + config.leeway, now() + verifiedTokenTtlMs) });
      return { ok: true, principal };
    }
  };
}

/** Why a token was refused, in words a client's developer can act on; never the token itself. */
function refusal(error: unknown, config: JwtAuthConfig, audiences: readonly string[]): JwtVerdict {
  const invalid = (description: string): JwtVerdict => ({ ok: false, error: 'invalid_token', description });
  if (error instanceof errors.JWTExpired) return invalid(`the token expired (exp ${String(error.payload.exp)}, leeway ${config.leeway / 1000} s)`);
  if (error instanceof errors.JWTClaimValidationFailed) {
    switch (error.claim) {
      case 'iss':
        return invalid(`the token was issued by ${JSON.stringify(error.payload.iss)}, not by ${config.issuer} (auth.jwt.issuer)`);
      case 'aud':
        return invalid(`the token is for ${JSON.stringify(error.payload.aud)}, not for this endpoint (accepted audiences: ${audiences.join(', ')})`);
      case 'nbf':
        return invalid('the token is not valid yet (nbf)');
      case 'exp':
        return invalid('the token has no expiry (exp); ask the provider for access tokens that expire');
      default:
        return invalid(`the token's ${error.claim} claim is not acceptable: ${error.reason}`);
    }
  }
  if (error instanceof errors.JOSEAlgNotAllowed) return invalid(`the token's algorithm is not accepted (accepted: ${config.algorithms.join(', ')})`);
  if (error instanceof errors.JWSSignatureVerificationFailed) return invalid('the token\'s signature does not verify');
  if (error instanceof errors.JWKSNoMatchingKey) return invalid('no key of the provider\'s JWKS matches the token (its kid or algorithm)');
  if (error instanceof errors.JWKSMultipleMatchingKeys) return invalid('several keys of the provider\'s JWKS match the token; it needs a kid');
  if (error instanceof errors.JWSInvalid || error instanceof errors.JWTInvalid || error instanceof errors.JOSENotSupported) {
    return invalid('the token is not a signed JWT this server accepts');
  }
  if (error instanceof errors.JWKSTimeout || error instanceof errors.JWKSInvalid || !(error instanceof errors.JOSEError) || error.code === 'ERR_JOSE_GENERIC') {
    return { ok: false, error: 'unavailable', description: `cannot check tokens now: the provider's JWKS (${config.jwks ?? config.file ?? ''}) could not be read (${errorMessage(error)})` };
  }
  return invalid('the token is not acceptable');
}
