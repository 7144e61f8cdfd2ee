import * as z from 'zod/v4';

import { durationSchema } from './duration.js';

/**
 * `security.pinning` and its refresh (docs/SECURITY.md "Pinned tool definitions"): the keys pinning adds to the
 * `security:` object (other security features add theirs beside them).
 */
export const securityPinningKeys = {
  /**
   * Pin every server's tool definitions (on by default): the first definition seen of a tool is its baseline, a
   * later different one hides the tool until `manifold tools approve`. `false` turns pinning off.
   */
  pinning: z.boolean().default(true),
  /**
   * Re-list the tools of servers that do not announce list changes this often, so a changed definition is found
   * without a reconnect; `0` (default) re-lists only on list_changed and reconnects.
   */
  pinRefresh: durationSchema.default(0)
};

/** The per-server key of pinning: `quarantine: true` holds every tool of the server until it is approved. */
export const pinningServerFields = {
  /** Nothing of this server is usable until approved (`manifold tools approve <server>`), new tools included. */
  quarantine: z.boolean().default(false)
};
