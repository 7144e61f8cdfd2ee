import type { GatewayCore } from './gateway-core.js';

/** The end of following a listen's resources, with `ready`: resolved once every one is followed upstream. */
export type Following = (() => void) & { ready: Promise<void> };

/**
 * A 2026-07-28 `subscriptions/listen` that asks for resource updates is served by the SDK (on HTTP by its
 * handler, on stdio by its entry), which delivers the updates to the listen; the gateway has to follow those
 * resources upstream while the listen is open. Returns the end of following them, or undefined when the
 * message is not such a listen. Both faces call this with the message they already parsed.
 */
export function followListenedResources(core: GatewayCore, message: unknown): Following | undefined {
  const listen = message as { method?: unknown; params?: { notifications?: { resourceSubscriptions?: unknown } } } | null;
  if (listen?.method !== 'subscriptions/listen') return undefined;
  const uris = listen.params?.notifications?.resourceSubscriptions;
  if (!Array.isArray(uris)) return undefined;
  return core.sessions.followResources(uris.filter((uri): uri is string => typeof uri === 'string'));
}
