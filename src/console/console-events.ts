import type { ServerResponse } from 'node:http';

import { type GatewayCore, sseHeaders, startSseKeepAlive } from '../gateway/index.js';
import { serverStateOf } from './data/server-reports.js';

/**
 * `/console/events`: the servers' states as SSE, one `server` event per state change of any upstream (and
 * each server's current state first), so a page flips a badge as the connection changes (milliseconds after a
 * server's process dies). Returns a function that ends the stream.
 */
export function openServerEvents(core: GatewayCore, res: ServerResponse): () => void {
  res.writeHead(200, { ...sseHeaders(), 'cache-control': 'no-store' });
  const send = (data: unknown) => {
    if (!res.writableEnded) res.write(`event: server\ndata: ${JSON.stringify(data)}\n\n`);
  };
  res.write('retry: 1000\n\n');
  const stops = [...core.upstreams.values()].map(upstream => {
    send(serverStateOf(upstream));
    return upstream.onEvent(event => {
      if (event.type === 'state' || event.type === 'lists-changed') send(serverStateOf(upstream));
    });
  });
  const keepAlive = startSseKeepAlive(res, 15_000);
  let ended = false;
  const end = () => {
    if (ended) return;
    ended = true;
    clearInterval(keepAlive);
    for (const stop of stops) stop();
    if (!res.writableEnded) res.end();
  };
  res.on('close', end);
  return end;
}
