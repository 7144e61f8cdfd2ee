import { type Principal, principalOf } from '../core/principal.js';
import { resourceTarget } from '../rules/index.js';
import type { GatewayCore } from './gateway-core.js';

/** The end of following a listen's resources, with `ready`: resolved once every one is followed upstream. */
export type Following = (() => void) & { ready: Promise<void> };

/**
 * A 2026-07-28 `subscriptions/listen` that asks for resource updates is served by the SDK (on HTTP by its
 * handler, on stdio by its entry), which delivers the updates to the listen; the gateway has to follow those
 * resources upstream while the listen is open. Returns the end of following them, or undefined when the
 * message is not such a listen. Both faces call this with the message they already parsed, before the SDK
 * sees it: a URI the caller's rules do not let it read is taken out of the listen (config `rules:`), so the
 * SDK never tells it of that resource.
 */
export function followListenedResources(core: GatewayCore, message: unknown, principal?: Principal): Following | undefined {
  const listen = message as { method?: unknown; params?: { notifications?: { resourceSubscriptions?: unknown } } } | null;
  if (listen?.method !== 'subscriptions/listen') return undefined;
  const notifications = listen.params?.notifications;
  const uris = notifications?.resourceSubscriptions;
  if (!notifications || !Array.isArray(uris)) return undefined;
  let readable = uris.filter((uri): uri is string => typeof uri === 'string');
  if (core.access.active) {
    const caller = principalOf({ principal });
    readable = readable.filter(uri => core.access.allows(caller, resourceTarget(uri, core.resourceOwner(uri))));
    notifications.resourceSubscriptions = readable;
  }
  return core.sessions.followResources(readable);
}
