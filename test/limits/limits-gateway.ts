/**
 * Limits test helpers: a GatewayCore in this process in front of real fixture servers (stdio), and calls
 * through its pipeline as a given principal, the way the HTTP face will once it authenticates callers.
 */
import { stringify } from 'yaml';

import { parseConfig } from '../../src/config/index.js';
import type { DispatchMethod, DownstreamContext, GatewayResult } from '../../src/core/pipeline.js';
import type { Principal } from '../../src/core/principal.js';
import { GatewayCore } from '../../src/gateway/index.js';
import { createLogger } from '../../src/telemetry/logger.js';
import { withTestDefaults, writeConfig } from '../helpers/gateway.js';

export interface LimitsGateway extends AsyncDisposable {
  core: GatewayCore;
  /** Calls a tool as `principal` (default: the local user, no principal on the context). */
  call(
    name: string,
    args?: Record<string, unknown>,
    options?: { principal?: Principal; signal?: AbortSignal }
  ): Promise<GatewayResult>;
  request(method: DispatchMethod, params: Record<string, unknown>, principal?: Principal): Promise<GatewayResult>;
}

export const principal = (name: string): Principal => ({ name, kind: 'key' });

export async function startLimitsGateway(config: Record<string, unknown>): Promise<LimitsGateway> {
  const written = writeConfig(config);
  const { config: parsed } = parseConfig(stringify(withTestDefaults(config)), { source: written.path });
  const logger = createLogger({ level: (process.env.MANIFOLD_TEST_LOG as 'debug' | undefined) ?? 'error' });
  const core = new GatewayCore({ config: parsed, configPath: written.path, logger });
  await core.start();
  const context = (signal: AbortSignal, who: Principal | undefined): DownstreamContext => ({
    era: 'legacy',
    sessionId: `test-${who?.name ?? 'local'}`,
    signal,
    clientCapabilities: {},
    progressToken: undefined,
    ...(who ? { principal: who } : {}),
    notify: async () => {},
    log: () => {}
  });
  return {
    core,
    call: (name, args = {}, options = {}) =>
      core.pipeline({
        method: 'tools/call',
        params: { name, arguments: args },
        downstream: context(options.signal ?? new AbortController().signal, options.principal)
      }),
    request: (method, params, who) =>
      core.pipeline({ method, params, downstream: context(new AbortController().signal, who) }),
    [Symbol.asyncDispose]: async () => {
      await core.close();
      await written[Symbol.asyncDispose]();
    }
  };
}

export function textOf(result: GatewayResult): string {
  return ((result.content as Array<{ type: string; text?: string }> | undefined) ?? [])
    .map(block => block.text ?? '')
    .join('\n');
}

/** The limit a limited tool result names (`_meta["manifold/limit"]`). */
export function limitOf(result: GatewayResult): Record<string, unknown> | undefined {
  return (result._meta as Record<string, Record<string, unknown>> | undefined)?.['manifold/limit'];
}

/** The most intervals that overlap at any instant (an end at the same instant as a start does not overlap it). */
export function peakOverlap(intervals: ReadonlyArray<{ start: number; end: number }>): number {
  const events = intervals.flatMap(interval => [
    { at: interval.start, delta: 1 },
    { at: interval.end, delta: -1 }
  ]);
  events.sort((a, b) => a.at - b.at || a.delta - b.delta);
  let current = 0;
  let peak = 0;
  for (const event of events) {
    current += event.delta;
    peak = Math.max(peak, current);
  }
  return peak;
}
