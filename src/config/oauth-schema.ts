import * as z from 'zod/v4';

import { httpUrlSchema } from './http-url.js';

/** A scope token (RFC 6749 §3.3): printable ASCII without space, `"` or `\`. */
const scopeSchema = z.string().regex(/^[\x21\x23-\x5B\x5D-\x7E]+$/, 'expected one scope token (no spaces)');

/**
 * How Manifold obtains a token for a remote server that demands OAuth 2.1 (docs/CONFIG.md `servers.<n>.oauth`,
 * docs/SECURITY.md "Upstream credentials"). The client's own token is never what is sent upstream.
 */
export const upstreamOAuthSchema = z
  .strictObject({
    /**
     * `authorization_code` (default): a person signs in once with `manifold login <server>` (PKCE, loopback
     * redirect); the tokens are kept in the store and refreshed silently. `client_credentials`: a confidential
     * client of its own (machine to machine); tokens are fetched and refetched without anyone.
     */
    grant: z.enum(['authorization_code', 'client_credentials']).default('authorization_code'),
    /** A client id registered with the authorization server beforehand. Absent: CIMD or dynamic registration. */
    clientId: z.string().min(1).optional(),
    /** Its secret, for a confidential client (write `${ENV_VAR}`, not the secret). */
    clientSecret: z.string().min(1).optional(),
    /**
     * An HTTPS URL of a client ID metadata document (CIMD): used as the client id where the authorization server
     * says it supports them (`client_id_metadata_document_supported`); else dynamic registration.
     */
    clientMetadataUrl: httpUrlSchema('expected the https:// URL of a client ID metadata document')
      .refine(value => value.startsWith('https://') && new URL(value).pathname !== '/', 'expected an https:// URL with a path (CIMD)')
      .optional(),
    /**
     * The authorization server's issuer (its RFC 8414 `issuer`). Set, Manifold sends its credentials to that
     * authorization server only, whatever the server's metadata names (the SDK's `expectedIssuer`).
     */
    issuer: httpUrlSchema('expected the http(s) issuer URL of the authorization server').optional(),
    /** The scopes to ask for. Absent: those the server's 401 challenge names, else its metadata's `scopes_supported`. */
    scopes: z.array(scopeSchema).min(1).optional(),
    /** authorization_code: the loopback port of the redirect (`http://127.0.0.1:<port>/callback`); 0 = any free port. */
    redirectPort: z.number().int().min(0).max(65535).default(0),
    /** The client name shown on the authorization server's consent page (dynamic registration). */
    clientName: z.string().min(1).default('Manifold')
  })
  .superRefine((oauth, context) => {
    if (oauth.grant === 'client_credentials' && (oauth.clientId === undefined || oauth.clientSecret === undefined)) {
      context.addIssue({
        code: 'custom',
        path: [oauth.clientId === undefined ? 'clientId' : 'clientSecret'],
        message: 'the client_credentials grant needs clientId and clientSecret (write the secret as ${ENV_VAR})'
      });
    }
    if (oauth.clientSecret !== undefined && oauth.clientId === undefined) {
      context.addIssue({ code: 'custom', path: ['clientId'], message: 'a clientSecret needs the clientId it belongs to' });
    }
  });

export type UpstreamOAuthConfig = z.infer<typeof upstreamOAuthSchema>;
