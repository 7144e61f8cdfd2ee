/**
 * Fleet test helpers: a gateway instance in this process (GatewayCore and its HTTP face on a loopback port) with
 * its log kept, and calls through its pipeline as a given principal (as the HTTP face does once it knows the
 * caller). Several instances share one test Redis (test/helpers/redis.ts).
 */
import { stringify } from 'yaml';

import { parseConfig } from '../../src/config/index.js';
import type { DownstreamContext, GatewayResult } from '../../src/core/pipeline.js';
import type { Principal } from '../../src/core/principal.js';
import { GatewayCore, serveHttp, type HttpGateway } from '../../src/gateway/index.js';
import { createLogger } from '../../src/telemetry/logger.js';
import { writeConfig } from '../helpers/gateway.js';

export interface FleetInstance extends AsyncDisposable {
  core: GatewayCore;
  http: HttpGateway;
  /** Every log line so far (JSON lines). */
  log: string[];
  /** Log lines whose message matches. */
  logged(pattern: RegExp): string[];
  call(name: string, args?: Record<string, unknown>, who?: Principal): Promise<GatewayResult>;
}

export const principal = (name: string): Principal => ({ name, kind: 'key' });

export async function startInstance(config: Record<string, unknown>): Promise<FleetInstance> {
  const written = writeConfig(config);
  const { config: parsed } = parseConfig(stringify(config), { source: written.path });
  const log: string[] = [];
  const logger = createLogger({ level: 'info', format: 'json', sink: line => void log.push(line) });
  const core = new GatewayCore({ config: parsed, configPath: written.path, logger });
  await core.start();
  const http = await serveHttp(core, { host: '127.0.0.1', port: 0, configDir: written.dir, storePath: ':memory:' });
  const context = (who: Principal | undefined): DownstreamContext => ({
    era: 'legacy',
    sessionId: `test-${who?.name ?? 'local'}`,
    signal: new AbortController().signal,
    clientCapabilities: {},
    progressToken: undefined,
    ...(who ? { principal: who } : {}),
    notify: async () => {},
    log: () => {}
  });
  return {
    core,
    http,
    log,
    logged: pattern => log.filter(line => pattern.test((JSON.parse(line) as { message?: string }).message ?? line)),
    call: (name, args = {}, who) => core.pipeline({ method: 'tools/call', params: { name, arguments: args }, downstream: context(who) }),
    [Symbol.asyncDispose]: async () => {
      await http.close();
      await core.close();
      await written[Symbol.asyncDispose]();
    }
  };
}

export function textOf(result: GatewayResult): string {
  return (result.content as Array<{ text?: string }> | undefined)?.[0]?.text ?? '';
}

export async function waitUntil(predicate: () => boolean | Promise<boolean>, what: string, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await predicate())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise(resolve => setTimeout(resolve, 10));
  }
}
