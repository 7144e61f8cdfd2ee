/**
 * What upstream OAuth adds to each request to a remote server with `oauth:` (src/upstream/oauth): the fetch
 * around the transport's, with a stored sign-in (SQLite store, sealed row) and a valid token, against a fetch
 * that answers at once, so only the wrapper is measured. Best of 7 rounds of 10,000 requests each.
 *
 *   node --import tsx bench/upstream-oauth.ts
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SqliteCredentialStore } from '../src/store/index.js';
import { UpstreamOAuth } from '../src/upstream/index.js';
import { createLogger } from '../src/telemetry/logger.js';

const dir = mkdtempSync(join(tmpdir(), 'manifold-bench-oauth-'));
const store = new SqliteCredentialStore(join(dir, 'm.db'));
store.save('s', { tokens: { access_token: 'x'.repeat(800), refresh_token: 'r', token_type: 'Bearer', expires_in: 3600 }, obtainedAt: Date.now(), redirectUri: 'http://127.0.0.1:1/callback' });
const ok = new Response('{}');
const base: typeof fetch = async () => ok;
const oauth = new UpstreamOAuth({ server: 's', serverUrl: 'http://127.0.0.1:1/mcp', config: { grant: 'authorization_code', redirectPort: 0, clientName: 'M' }, store, fetch: base, logger: createLogger({ level: 'silent' }) });
const best: Record<string, number> = { plain: Infinity, oauth: Infinity };
for (let round = 0; round < 7; round++) {
  for (const [name, f] of [['plain', base], ['oauth', oauth.fetch]] as const) {
    const n = 10000;
    const t = performance.now();
    for (let i = 0; i < n; i++) await f('http://127.0.0.1:1/mcp', { method: 'POST', body: '{}', headers: { 'content-type': 'application/json', accept: 'application/json, text/event-stream' } });
    best[name] = Math.min(best[name]!, ((performance.now() - t) / n) * 1000);
  }
}
console.log(`best of 7 rounds: plain ${best.plain!.toFixed(2)} µs, oauth ${best.oauth!.toFixed(2)} µs per request; added ${(best.oauth! - best.plain!).toFixed(2)} µs`);
store.close();
rmSync(dir, { recursive: true, force: true });
