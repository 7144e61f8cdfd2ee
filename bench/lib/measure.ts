import type { Client } from '@modelcontextprotocol/client';

import { cpuMs } from './processes.js';

export interface Stats {
  calls: number;
  concurrency: number;
  p50Ms: number;
  p99Ms: number;
  meanMs: number;
  callsPerSecond: number;
  errors: number;
  /** CPU µs per call of the client (this process) and of the process in the middle, when measured. */
  clientCpuUs?: number;
  middleCpuUs?: number;
  /** For a direct connection: the server process's CPU µs per call. */
  serverCpuUs?: number;
}

export function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return Number.NaN;
  const index = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[index] ?? Number.NaN;
}

export function summarise(latencies: number[], elapsedMs: number, concurrency: number, errors: number): Stats {
  const sorted = [...latencies].sort((a, b) => a - b);
  const total = sorted.reduce((sum, value) => sum + value, 0);
  return {
    calls: sorted.length,
    concurrency,
    p50Ms: percentile(sorted, 50),
    p99Ms: percentile(sorted, 99),
    meanMs: sorted.length > 0 ? total / sorted.length : Number.NaN,
    callsPerSecond: elapsedMs > 0 ? (sorted.length / elapsedMs) * 1000 : Number.NaN,
    errors
  };
}

/**
 * Calls `tool` `calls` times with `concurrency` calls in flight on one client, after a warm-up, and
 * returns latency percentiles and throughput. A call that fails counts as an error, not a latency.
 */
export async function measureCalls(
  client: Client,
  tool: string,
  args: Record<string, unknown>,
  calls: number,
  concurrency: number,
  warmup = Math.min(200, calls),
  middlePid?: number
): Promise<Stats> {
  for (let index = 0; index < warmup; index++) await client.callTool({ name: tool, arguments: args });
  const latencies: number[] = [];
  let errors = 0;
  let next = 0;
  const clientCpu = process.cpuUsage();
  const middleCpu = cpuMs(middlePid);
  const started = performance.now();
  const worker = async () => {
    while (next < calls) {
      next++;
      const t0 = performance.now();
      try {
        const result = await client.callTool({ name: tool, arguments: args });
        if (result.isError) errors++;
        else latencies.push(performance.now() - t0);
      } catch {
        errors++;
      }
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
  const stats = summarise(latencies, performance.now() - started, concurrency, errors);
  const used = process.cpuUsage(clientCpu);
  stats.clientCpuUs = (used.user + used.system) / calls;
  if (middlePid !== undefined) stats.middleCpuUs = ((cpuMs(middlePid) - middleCpu) * 1000) / calls;
  return stats;
}
