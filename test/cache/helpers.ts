/**
 * Result-cache test helpers: a GatewayCore in this process in front of the real `cacheable` fixture server,
 * and requests through its pipeline as clients of given principals would send them.
 */
import { stringify } from 'yaml';

import { parseConfig } from '../../src/config/index.js';
import type { DownstreamContext, DispatchMethod, GatewayResult } from '../../src/core/pipeline.js';
import type { Principal } from '../../src/core/principal.js';
import { GatewayCore } from '../../src/gateway/index.js';
import { createLogger } from '../../src/telemetry/logger.js';
import { fixtureServer, withTestDefaults, writeConfig, type TempConfig } from '../helpers/gateway.js';

export const alice: Principal = { name: 'alice', kind: 'key' };
export const bob: Principal = { name: 'bob', kind: 'key' };

export interface RequestOptions {
  era?: 'legacy' | 'modern';
  principal?: Principal;
  progressToken?: string;
  sessionId?: string;
  requestClient?: DownstreamContext['requestClient'];
  requestState?: string;
}

export interface CacheGateway extends AsyncDisposable {
  core: GatewayCore;
  config: TempConfig;
  request(method: DispatchMethod, params: Record<string, unknown>, options?: RequestOptions): Promise<GatewayResult>;
  call(name: string, args?: Record<string, unknown>, options?: RequestOptions): Promise<GatewayResult>;
  /** The JSON a tool returned (its first text block), or a read's first contents' text. */
  callJson(name: string, args?: Record<string, unknown>, options?: RequestOptions): Promise<Record<string, unknown>>;
  readJson(uri: string, options?: RequestOptions): Promise<Record<string, unknown>>;
  /** What the fixture served so far, counted in its process: `lookup <key>`, `read <uri>`, ... */
  counts(server?: string): Promise<Record<string, number>>;
}

/** The cacheable fixture as a server entry. */
export const cacheableServer = (extra: Record<string, unknown> = {}, args: string[] = []) =>
  fixtureServer('cacheable.ts', args, extra);

export async function startCacheGateway(config: Record<string, unknown>): Promise<CacheGateway> {
  const written = writeConfig(config);
  const { config: parsed } = parseConfig(stringify(withTestDefaults(config)), { source: written.path });
  const logger = createLogger({ level: (process.env.MANIFOLD_TEST_LOG as 'debug' | undefined) ?? 'error' });
  const core = new GatewayCore({ config: parsed, configPath: written.path, logger });
  await core.start();
  const request = (method: DispatchMethod, params: Record<string, unknown>, options: RequestOptions = {}) => {
    const downstream: DownstreamContext = {
      era: options.era ?? 'legacy',
      sessionId: options.sessionId ?? 'test',
      ...(options.principal ? { principal: options.principal } : {}),
      signal: new AbortController().signal,
      clientCapabilities: options.requestClient || options.era === 'modern' ? { elicitation: {}, sampling: {} } : {},
      progressToken: options.progressToken,
      notify: async () => {},
      log: () => {},
      ...(options.requestClient ? { requestClient: options.requestClient } : {}),
      ...(options.requestState !== undefined ? { requestState: options.requestState } : {})
    };
    return core.pipeline({ method, params, downstream });
  };
  const call = (name: string, args: Record<string, unknown> = {}, options: RequestOptions = {}) =>
    request('tools/call', { name, arguments: args }, options);
  const callJson = async (name: string, args: Record<string, unknown> = {}, options: RequestOptions = {}) =>
    JSON.parse(
      (((await call(name, args, options)).content as Array<{ text: string }>)[0] as { text: string }).text
    ) as Record<string, unknown>;
  return {
    core,
    config: written,
    request,
    call,
    callJson,
    readJson: async (uri, options = {}) =>
      JSON.parse(
        (
          ((await request('resources/read', { uri }, options)).contents as Array<{ text: string }>)[0] as {
            text: string;
          }
        ).text
      ) as Record<string, unknown>,
    counts: async (server = 'c') => (await callJson(`${server}__counts`)) as Record<string, number>,
    [Symbol.asyncDispose]: async () => {
      await core.close();
      await written[Symbol.asyncDispose]();
    }
  };
}

export async function waitUntil(
  predicate: () => boolean | Promise<boolean>,
  what: string,
  timeoutMs = 10_000
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await predicate())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise(resolve => setTimeout(resolve, 20));
  }
}
