import { measureCalls, type Stats } from './lib/measure.js';
import { type Era, everythingUpstream, findTool, fixtureUpstream, type Path, type Setup, setups, type UpstreamSpec } from './lib/setups.js';

export interface OverheadRow extends Stats {
  upstream: string;
  path: Path;
  proxy: Setup['proxy'];
  era: Era;
  /** p50 of this row over p50 of the direct connection on the same upstream transport, era and concurrency. */
  ratioP50?: number;
  /** Throughput of the direct connection over this row's. */
  ratioThroughput?: number;
  error?: string;
}

export interface OverheadOptions {
  calls: number;
  concurrencies: number[];
  upstreams: ('fixture' | 'everything')[];
  proxies?: string[];
  log: (line: string) => void;
}

/** Per-call cost of each set-up, side by side, in one run. */
export async function runOverhead(options: OverheadOptions): Promise<OverheadRow[]> {
  const rows: OverheadRow[] = [];
  const specs: UpstreamSpec[] = options.upstreams.map(id => (id === 'fixture' ? fixtureUpstream() : everythingUpstream()));
  for (const upstream of specs) {
    for (const setup of setups) {
      if (options.proxies && !options.proxies.includes(setup.proxy)) continue;
      for (const era of setup.eras) {
        const label = `${upstream.id} ${setup.path} ${setup.proxy} ${era}`;
        let running;
        try {
          running = await setup.start(upstream);
          const connected = await running.connect(era);
          const { client } = connected;
          // The process in the middle: the proxy (a service, or the stdio child the client started), or for a direct
          // connection the server itself.
          const middlePid = running.pid ?? connected.pid;
          try {
            const tool = await findTool(client, upstream.tool);
            for (const concurrency of options.concurrencies) {
              const calls = concurrency === 1 ? options.calls : options.calls * 2;
              const stats = await measureCalls(client, tool, upstream.args, calls, concurrency, undefined, middlePid);
              if (setup.proxy === 'direct') {
                stats.serverCpuUs = stats.middleCpuUs;
                delete stats.middleCpuUs;
              }
              rows.push({ upstream: upstream.id, path: setup.path, proxy: setup.proxy, era, ...stats });
              options.log(`${label} c=${concurrency}: p50 ${stats.p50Ms.toFixed(3)} ms, p99 ${stats.p99Ms.toFixed(3)} ms, ${stats.callsPerSecond.toFixed(0)}/s${stats.errors ? `, ${stats.errors} errors` : ''}`);
            }
          } finally {
            await client.close().catch(() => {});
          }
        } catch (error) {
          options.log(`${label}: failed: ${(error as Error).message.split('\n')[0]}`);
          rows.push({
            upstream: upstream.id,
            path: setup.path,
            proxy: setup.proxy,
            era,
            calls: 0,
            concurrency: 0,
            p50Ms: Number.NaN,
            p99Ms: Number.NaN,
            meanMs: Number.NaN,
            callsPerSecond: Number.NaN,
            errors: 0,
            error: (error as Error).message.split('\n')[0] ?? 'failed'
          });
        } finally {
          await running?.stop().catch(() => {});
        }
      }
    }
  }
  for (const row of rows) {
    const upstreamTransport = row.path.endsWith('stdio') ? 'stdio→stdio' : 'HTTP→HTTP';
    const direct = rows.find(
      other => other.proxy === 'direct' && other.upstream === row.upstream && other.path === upstreamTransport && other.era === row.era && other.concurrency === row.concurrency
    );
    if (direct && !row.error) {
      row.ratioP50 = row.p50Ms / direct.p50Ms;
      row.ratioThroughput = direct.callsPerSecond / row.callsPerSecond;
    }
  }
  return rows;
}
