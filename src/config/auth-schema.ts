import * as z from 'zod/v4';

import { durationSchema } from './duration.js';
import { httpUrlSchema } from './http-url.js';
import { declaredNames, type ReferenceIssue } from './references.js';

/** The form of a stored key digest: `sha256:` and 64 hex digits. */
export const keyHashPattern = /^sha256:[0-9a-f]{64}$/i;

/** Key and principal names: they appear in logs, rules and `manifold keys`. */
export const keyNamePattern = /^[A-Za-z0-9][A-Za-z0-9._@-]{0,63}$/;

/** Below this many characters a literal key can be guessed; `manifold keys create` makes 43. */
const minKeyLength = 16;

/** An instant: an ISO 8601 date or date-time string (YAML may hand a Date). Parsed to epoch ms. */
const instantSchema = z.union([z.string(), z.date()]).transform((value, context) => {
  const time = value instanceof Date ? value.getTime() : Date.parse(value);
  if (Number.isNaN(time)) {
    context.addIssue({ code: 'custom', message: `expected a date such as 2027-01-31 or 2027-01-31T12:00:00Z, got "${String(value)}"` });
    return z.NEVER;
  }
  return time;
});

/** An API key of the config (`auth.keys[]`): the key itself (often `${ENV}`) or its digest. */
export const apiKeySchema = z
  .strictObject({
    /** Who the caller is: the principal's name in logs, rules and limits. */
    name: z.string().regex(keyNamePattern, 'a key name is 1 to 64 letters, digits, ".", "_", "@" or "-", starting with a letter or digit'),
    /** The key as the client sends it; usually `${ENV_VAR}`, so the file holds no secret. */
    key: z.string().min(minKeyLength, `a key needs at least ${minKeyLength} characters (a shorter one can be guessed); make one with "manifold keys create" or "openssl rand -base64 32"`).optional(),
    /** The key's SHA-256, `sha256:<64 hex digits>` (`printf %s "$KEY" | sha256sum`), so the config holds no secret. */
    hash: z.string().regex(keyHashPattern, 'expected "sha256:" and 64 hex digits (printf %s "$KEY" | sha256sum)').optional(),
    /** The views (`/mcp/<view>`, `/sse/<view>`) it may reach; `default` is /mcp. Absent: every view and /mcp. */
    views: z.array(z.string().min(1)).optional(),
    /** Scopes the key grants (seen by rules like a token's scopes). */
    scopes: z.array(z.string().min(1)).optional(),
    /** When it stops working (ISO date or date-time). */
    expires: instantSchema.optional()
  })
  .superRefine((key, context) => {
    if ((key.key === undefined) === (key.hash === undefined)) {
      context.addIssue({ code: 'custom', message: `key "${key.name}" needs exactly one of "key" (the key, e.g. \${ENV_VAR}) or "hash" ("sha256:<hex>")` });
    }
  });

/** Bearer tokens from an OAuth 2.1 / OpenID Connect provider (`auth.jwt`): Manifold is the resource server. */
export const jwtAuthSchema = z
  .strictObject({
    /** The authorization server's issuer identifier; a token's `iss` must equal it. */
    issuer: z.string().min(1),
    /** What a token's `aud` must contain (one of them): the endpoint's URL (RFC 8707) or the API identifier the provider puts there. */
    audience: z.union([z.string().min(1), z.array(z.string().min(1)).min(1)]).transform(value => (typeof value === 'string' ? [value] : value)),
    /** The provider's JWKS URL (fetched, cached, refetched for an unknown `kid`). */
    jwks: httpUrlSchema('expected the http(s) URL of the provider\'s JSON Web Key Set').optional(),
    /** A JWKS file (relative to the config file), instead of `jwks`. */
    file: z.string().min(1).optional(),
    /** Scopes every token must have (`scope` or `scp` claim); a token without one is answered 403 insufficient_scope. */
    scopes: z.array(z.string().min(1)).default([]),
    /** Clock skew allowed on `exp` and `nbf`. */
    leeway: durationSchema.default(60_000),
    /** The claim that names the principal. */
    principalClaim: z.string().min(1).default('sub'),
    /** The public URL of /mcp, for the protected-resource metadata; default: the first `audience` that is an http(s) URL, else the request's Host. */
    resource: httpUrlSchema('expected the public http(s) URL of the /mcp endpoint').optional(),
    /** Signature algorithms accepted (asymmetric only: an HMAC key would be the public key, and `none` is never accepted). */
    algorithms: z
      .array(z.enum(['RS256', 'RS384', 'RS512', 'PS256', 'PS384', 'PS512', 'ES256', 'ES384', 'ES512', 'EdDSA', 'Ed25519']))
      .min(1)
      .default(['RS256', 'RS384', 'RS512', 'PS256', 'PS384', 'PS512', 'ES256', 'ES384', 'ES512', 'EdDSA', 'Ed25519'])
  })
  .superRefine((jwt, context) => {
    if ((jwt.jwks === undefined) === (jwt.file === undefined)) {
      context.addIssue({ code: 'custom', message: 'give exactly one of "jwks" (the provider\'s JWKS URL) or "file" (a JWKS file)' });
    }
  });

/**
 * Who may reach the HTTP face (docs/SECURITY.md). `none`: anyone (needed to bind beyond loopback without
 * credentials). An object: API keys (here and made by `manifold keys create`) and/or bearer tokens.
 * Absent: no credentials, and the HTTP face binds to loopback only.
 */
export const authSchema = z.union([
  z.literal('none'),
  z.strictObject({
    keys: z.array(apiKeySchema).default([]),
    jwt: jwtAuthSchema.optional()
  })
]);

export type AuthConfig = z.infer<typeof authSchema>;
export type ApiKeyConfig = z.infer<typeof apiKeySchema>;
export type JwtAuthConfig = z.infer<typeof jwtAuthSchema>;

/**
 * What the schema cannot see alone: a key's views must be declared (or `default`), names and keys unique,
 * and no key already expired when the config is read.
 */
export function checkAuthReferences(config: { auth?: AuthConfig | undefined; views?: Record<string, unknown> | undefined }, now = Date.now()): ReferenceIssue[] {
  const auth = config.auth;
  if (auth === undefined || auth === 'none') return [];
  const issues: ReferenceIssue[] = [];
  const views = config.views ?? {};
  const names = new Map<string, number>();
  const secrets = new Map<string, number>();
  auth.keys.forEach((key, index) => {
    const earlier = names.get(key.name);
    if (earlier !== undefined) issues.push({ path: ['auth', 'keys', index, 'name'], message: `the name "${key.name}" is already used by auth.keys.${earlier}; each key needs its own name` });
    else names.set(key.name, index);
    const secret = key.key ?? key.hash?.toLowerCase();
    if (secret !== undefined) {
      const same = secrets.get(secret);
      if (same !== undefined) issues.push({ path: ['auth', 'keys', index], message: `the same key as auth.keys.${same}; give each key its own secret` });
      else secrets.set(secret, index);
    }
    key.views?.forEach((view, viewIndex) => {
      if (view !== 'default' && !Object.hasOwn(views, view)) {
        issues.push({ path: ['auth', 'keys', index, 'views', viewIndex], message: `unknown view "${view}"; declared views: ${declaredNames({ default: true, ...views })}` });
      }
    });
    if (key.expires !== undefined && key.expires <= now) {
      issues.push({ path: ['auth', 'keys', index, 'expires'], message: `key "${key.name}" expired on ${new Date(key.expires).toISOString()}; remove it or give it a later date` });
    }
  });
  return issues;
}
