import type { CacheStats } from '../../cache/index.js';
import { errorMessage, ManifoldError } from '../../core/errors.js';
import { createLogger } from '../../telemetry/logger.js';
import { loadCliConfig } from '../open-gateway.js';
import { formatTable, type Output } from '../output.js';
import { commonOptions, type ParsedCommand, stringOption } from '../parsed-command.js';
import { UsageError } from '../usage-error.js';

/**
 * `manifold cache stats`: the result cache's counters of a running gateway, read from its `/healthz`
 * (the cache lives in the gateway's process, so only a serving gateway has any).
 */
export async function runCache(parsed: ParsedCommand, output: Output): Promise<number> {
  const [action, ...extra] = parsed.positionals;
  if (action !== 'stats')
    throw new UsageError(
      action === undefined ? 'say what to do: stats' : `unknown action "${action}" (expected: stats)`
    );
  if (extra.length > 0) throw new UsageError(`unexpected argument "${extra[0]}"`);
  const base = gatewayUrl(parsed);
  const url = new URL('/healthz', base);
  let body: { cache?: CacheStats };
  try {
    const response = await fetch(url, { signal: AbortSignal.timeout(10_000) });
    if (!response.ok) throw new Error(`HTTP ${response.status}`);
    body = (await response.json()) as { cache?: CacheStats };
  } catch (error) {
    throw new ManifoldError(
      'UPSTREAM_UNAVAILABLE',
      `cannot read ${url.href}: ${errorMessage(error)}; is "manifold serve --http" running there? (give its address with --url)`
    );
  }
  const stats = body.cache;
  if (!stats) {
    output.err(
      `the gateway at ${url.origin} has no result cache: add a cache: block to its config (docs/CONFIG.md "Cache read results")`
    );
    return 1;
  }
  if (parsed.values.json) {
    output.out(JSON.stringify({ gateway: url.origin, ...stats }, null, 2));
    return 0;
  }
  const answered = stats.hits + stats.coalesced;
  output.out(`gateway: ${url.origin}`);
  output.out(
    `${percent(stats.hitRate)} of ${answered + stats.misses} cacheable calls answered without the server: ${stats.hits} hits, ${stats.coalesced} joined a call in flight, ${stats.misses} misses; ${stats.bypassed} bypassed`
  );
  output.out(
    `${stats.entries} of ${stats.maxEntries} entries, ${bytes(stats.bytes)} of ${bytes(stats.maxBytes)}; ${stats.evictions} evicted, ${stats.expirations} expired, ${stats.invalidations} invalidated`
  );
  const rows = Object.entries(stats.servers).map(([server, counts]) => [
    server,
    String(counts.hits),
    String(counts.coalesced),
    String(counts.misses),
    percent(counts.hitRate),
    String(counts.stores),
    String(counts.tooLarge),
    String(counts.errorsNotKept),
    String(counts.bypassed)
  ]);
  if (rows.length > 0)
    output.out(
      `\n${formatTable(['SERVER', 'HITS', 'JOINED', 'MISSES', 'HIT RATE', 'KEPT', 'TOO LARGE', 'ERRORS', 'BYPASSED'], rows)}`
    );
  return 0;
}

/** --url, else the config's gateway.http address (where `manifold serve --http` listens by default). */
function gatewayUrl(parsed: ParsedCommand): URL {
  const flag = stringOption(parsed, 'url');
  if (flag !== undefined) {
    try {
      return new URL(flag);
    } catch {
      throw new UsageError(`--url takes the gateway's address, such as http://127.0.0.1:3333, got "${flag}"`);
    }
  }
  const { config } = loadCliConfig(commonOptions(parsed), createLogger({ level: 'warn' }));
  const { host, port } = config.gateway.http;
  const reachable = host === '0.0.0.0' || host === '::' ? '127.0.0.1' : host;
  return new URL(`http://${reachable.includes(':') ? `[${reachable}]` : reachable}:${port}`);
}

const percent = (rate: number) => `${(rate * 100).toFixed(1)}%`;

function bytes(count: number): string {
  if (count < 1024) return `${count} B`;
  if (count < 1024 ** 2) return `${(count / 1024).toFixed(1)} KiB`;
  return `${(count / 1024 ** 2).toFixed(1)} MiB`;
}
