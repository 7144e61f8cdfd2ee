import type { IncomingMessage, ServerResponse } from 'node:http';

import type { GatewayCore } from '../gateway-core.js';
import type { Authenticator } from './authenticate.js';
import { sendJson } from './http-responses.js';

/**
 * GET `metrics.path`: the Prometheus text format. Without `auth:` (loopback, or `auth: none`) and with
 * `metrics.public: true` anyone past the request guard may scrape; otherwise a scrape needs a valid credential
 * (401 as on /mcp) that reaches every view (403 for one limited to some views: the page names every view's
 * tools and servers).
 */
export async function sendMetrics(core: GatewayCore, authenticator: Authenticator, req: IncomingMessage, res: ServerResponse): Promise<void> {
  const metrics = core.metrics;
  if (!metrics) return sendJson(res, 404, { error: 'metrics are off (metrics.enabled: false in the config)' });
  if (authenticator.enabled && !core.config.metrics.public) {
    const principal = await authenticator.authenticate(req, res, undefined);
    if (principal === false) return;
    if (principal?.views !== undefined) {
      return sendJson(res, 403, {
        error: `${core.config.metrics.path} shows every view's tools and servers, and this credential ("${principal.name}") reaches only the views ${principal.views.join(', ')}: scrape with a credential without views, or set metrics.public: true (docs/OBSERVABILITY.md)`
      });
    }
  }
  const text = await metrics.render();
  res.writeHead(200, { 'content-type': metrics.contentType, 'cache-control': 'no-store' });
  res.end(text);
}
