import { errorMessage } from '../core/errors.js';
import type { Logger } from '../telemetry/logger.js';
import type { UpstreamConnection } from '../upstream/index.js';

/**
 * `security.pinRefresh`: re-lists, every `everyMs`, the tools of the ready servers that do not announce list
 * changes, so that a definition changed behind the gateway's back is found (and held back) without a reconnect.
 * Returns the function that stops it.
 */
export function startToolRefresh(upstreams: ReadonlyMap<string, UpstreamConnection>, everyMs: number, logger: Logger): () => void {
  const timer = setInterval(() => {
    for (const upstream of upstreams.values()) {
      if (upstream.state.kind !== 'ready' || upstream.serverCapabilities?.tools?.listChanged === true) continue;
      upstream.refreshLists(['tools']).catch(error => logger.debug(`pinning: re-listing the tools of "${upstream.name}" failed: ${errorMessage(error)}`));
    }
  }, everyMs);
  timer.unref();
  return () => clearInterval(timer);
}
