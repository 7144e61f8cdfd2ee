import { RedisCacheStore, type ResultCache } from '../cache/index.js';
import type { CacheOptions } from '../config/index.js';
import type { Catalog } from '../catalog/index.js';
import { errorMessage } from '../core/errors.js';
import type { EventBus, Fleet, FleetEvent, FleetListKind } from '../fleet/index.js';
import type { Logger } from '../telemetry/logger.js';
import type { UpstreamConnection } from '../upstream/index.js';
import type { InflightRegistry } from './inflight.js';
import type { SessionRegistry } from './sessions.js';

const allLists: FleetListKind[] = ['tools', 'prompts', 'resources'];
/** A resource update this instance delivered itself is not delivered again when another instance's copy arrives within this. */
const resourceDedupMs = 250;

export interface FleetEventsOptions {
  bus: EventBus;
  upstreams: ReadonlyMap<string, UpstreamConnection>;
  catalog: Catalog;
  sessions: SessionRegistry;
  inflight: InflightRegistry;
  cache: ResultCache | undefined;
  logger: Logger;
}

/**
 * The gateway's side of the event bus (docs/FLEET.md "Redis: limits, cache, budgets, events"). What this instance
 * sees is published: a server's list change once its session is up (not the listing of a (re)connect), and a
 * resource update. What another instance saw is acted on here: its server's lists are read again on this
 * instance's own session (the catalog rebuilds and sessions and listen streams hear of it the usual way; with
 * nothing to read again, they are told directly), and a resource update drops the cached copies and reaches the
 * subscribers, unless this instance just delivered the same update. A re-list caused by another instance is not
 * published again. Returns the stop.
 */
export function followFleetEvents(options: FleetEventsOptions): () => void {
  const { bus, upstreams, catalog, sessions, inflight, cache, logger } = options;
  /** Servers being re-listed for another instance's event: their list change is not news to publish. */
  const relisting = new Map<string, number>();
  /** URIs whose update this instance delivered, and when. */
  const delivered = new Map<string, number>();
  const stops: Array<() => void> = [];

  for (const upstream of upstreams.values()) {
    stops.push(
      upstream.onEvent(event => {
        if (event.type !== 'lists-changed' || upstream.state.kind !== 'ready' || relisting.has(upstream.name)) return;
        bus.publish({ kind: 'list-changed', server: upstream.name, lists: [...event.kinds] });
      })
    );
  }
  const onResource = (server: string, uri: string) => {
    delivered.set(uri, Date.now());
    if (delivered.size > 1000) for (const [key, at] of delivered) if (Date.now() - at > resourceDedupMs) delivered.delete(key);
    bus.publish({ kind: 'resource-updated', server, uri });
  };
  inflight.resourceUpdateListeners.add(onResource);
  stops.push(() => inflight.resourceUpdateListeners.delete(onResource));

  const relist = async (server: string, lists: FleetListKind[]): Promise<void> => {
    const upstream = upstreams.get(server);
    let rebuilt = false;
    const stop = catalog.onChange(change => {
      if (change.upstream === server) rebuilt = true;
    });
    try {
      if (upstream?.state.kind === 'ready') {
        relisting.set(server, (relisting.get(server) ?? 0) + 1);
        try {
          await upstream.refreshLists(lists);
        } finally {
          const left = (relisting.get(server) ?? 1) - 1;
          if (left <= 0) relisting.delete(server);
          else relisting.set(server, left);
        }
      }
    } catch (error) {
      logger.debug(`re-listing "${server}" for another instance's change failed: ${errorMessage(error)}`);
    } finally {
      stop();
    }
    // The catalog's change reached every session already; otherwise they hear of it here.
    if (!rebuilt) sessions.listChanged(lists);
  };

  const onEvent = (event: FleetEvent): void => {
    switch (event.kind) {
      case 'list-changed':
        void relist(event.server, event.lists);
        return;
      case 'catalog-changed':
        if (event.server !== undefined) void relist(event.server, event.lists ?? allLists);
        else sessions.listChanged(event.lists ?? allLists);
        return;
      case 'resource-updated': {
        const at = delivered.get(event.uri);
        if (at !== undefined && Date.now() - at < resourceDedupMs) return;
        cache?.invalidateResource(event.uri);
        sessions.resourceUpdated(event.uri);
        return;
      }
    }
  };
  stops.push(bus.subscribe(onEvent));
  return () => {
    for (const stop of stops) stop();
  };
}

/**
 * The result cache's store in the shared Redis, or undefined without `redis:` (the memory store). When Redis
 * comes back after an outage its entries are dropped: invalidations published meanwhile were lost.
 */
export function createFleetCacheStore(fleet: Fleet, options: CacheOptions): RedisCacheStore | undefined {
  const link = fleet.redis;
  if (!link) return undefined;
  const store = new RedisCacheStore({ link, maxEntries: options.maxEntries, maxBytes: options.maxBytes });
  let wasDown = false;
  link.onState(state => {
    if (state === 'down') wasDown = true;
    else if (state === 'up' && wasDown) {
      wasDown = false;
      void store.clear();
    }
  });
  return store;
}
