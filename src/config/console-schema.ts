import * as z from 'zod/v4';

import { durationSchema } from './duration.js';

/**
 * The web console at `/console` on the HTTP port (docs/CONSOLE.md). On by default: it answers only a caller
 * with the admin credential, which is separate from the MCP keys.
 */
export const consoleOptionsSchema = z.strictObject({
  /** Off: `/console` answers 404. */
  enabled: z.boolean().default(true),
  /**
   * The admin key (usually `${MANIFOLD_CONSOLE_KEY}`). Absent: the gateway makes one and keeps it beside the
   * store (`<store.path>.console-key`, mode 0600), where `manifold console` reads it.
   */
  adminKey: z.string().min(16, 'console.adminKey needs at least 16 characters (a shorter one can be guessed); make one with "openssl rand -base64 32"').optional(),
  /** An API key (auth.keys or `manifold keys create --scopes`) or a bearer token with this scope is an admin too. */
  adminScope: z.string().min(1).default('console:admin'),
  /** How long a browser sign-in lasts. */
  sessionTtl: durationSchema.default(12 * 3_600_000)
});

export type ConsoleOptions = z.infer<typeof consoleOptionsSchema>;
