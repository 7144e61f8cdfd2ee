import type { Client } from '@modelcontextprotocol/client';

/** Round-trip time in ms of a cheap request: ping on 2025 sessions, server/discover on 2026-07-28. */
export async function roundTripMs(client: Client, timeoutMs: number): Promise<number> {
  const started = performance.now();
  if (client.getProtocolEra() === 'modern') await client.discover({ timeout: timeoutMs });
  else await client.ping({ timeout: timeoutMs });
  return performance.now() - started;
}
