/**
 * Helpers of the HTTP auth tests: an in-process gateway (real HTTP on loopback, port 0) whose pipeline records
 * the principal of every call, and real SDK clients of both eras and the legacy SSE transport that send a
 * credential through the SDK's own `authProvider`.
 */
import { join } from 'node:path';

import { Client, SSEClientTransport, StreamableHTTPClientTransport } from '@modelcontextprotocol/client';
import { stringify } from 'yaml';

import { parseConfig } from '../../src/config/index.js';
import type { Middleware } from '../../src/core/pipeline.js';
import { type Principal, principalOf } from '../../src/core/principal.js';
import { GatewayCore, type HttpGateway, serveHttp } from '../../src/gateway/index.js';
import { createLogger } from '../../src/telemetry/logger.js';
import { type Era, withTestDefaults, writeConfig } from '../helpers/gateway.js';

export interface AuthGateway extends AsyncDisposable {
  core: GatewayCore;
  http: HttpGateway;
  /** http://127.0.0.1:<port> */
  origin: string;
  /** The store file keys made by `manifold keys create` go to. */
  storePath: string;
  configPath: string;
  /** Every principal that reached the pipeline, in order (`local` when none was set). */
  principals: Principal[];
  /** What the gateway logged (level debug: nothing a caller sent may appear in it). */
  logged: () => string;
}

/** A gateway with this config (`${VAR}` from `env`), served over HTTP on 127.0.0.1:0. */
export async function startAuthGateway(config: Record<string, unknown>, env: Record<string, string> = {}): Promise<AuthGateway> {
  const written = writeConfig(config);
  const { config: parsed } = parseConfig(stringify(withTestDefaults(config)), { env, source: written.path });
  let logged = '';
  const logger = createLogger({ level: 'debug', sink: line => void (logged += `${line}\n`) });
  const principals: Principal[] = [];
  const record: Middleware = next => async request => {
    principals.push(principalOf(request.downstream));
    return next(request);
  };
  const core = new GatewayCore({ config: parsed, configPath: written.path, logger, middlewares: [record] });
  await core.start();
  const storePath = join(written.dir, '.manifold', 'manifold.db');
  const http = await serveHttp(core, { host: '127.0.0.1', port: 0, storePath, configDir: written.dir });
  return {
    core,
    http,
    origin: new URL(http.url).origin,
    storePath,
    configPath: written.path,
    principals,
    logged: () => logged,
    [Symbol.asyncDispose]: async () => {
      await http.close();
      await core.close();
      await written[Symbol.asyncDispose]();
    }
  };
}

function newClient(era: Era): Client {
  return new Client(
    { name: 'auth-test', version: '1.0.0' },
    { capabilities: {}, versionNegotiation: era === 'modern' ? { mode: { pin: '2026-07-28' } } : { mode: 'legacy' } }
  );
}

/** A real SDK client over Streamable HTTP that sends `Authorization: Bearer <credential>` (none when undefined). */
export async function connectWith(url: string, credential: string | undefined, era: Era): Promise<Client & AsyncDisposable> {
  const client = newClient(era);
  const authProvider = { token: async () => credential };
  await client.connect(new StreamableHTTPClientTransport(new URL(url), { authProvider }), { timeout: 15_000 });
  return Object.assign(client, { [Symbol.asyncDispose]: async () => void (await client.close().catch(() => {})) });
}

/** A real SDK client over the legacy HTTP+SSE transport, with the credential on the stream and every POST. */
export async function connectSseWith(url: string, credential: string | undefined): Promise<Client & AsyncDisposable> {
  const client = newClient('legacy');
  const authProvider = { token: async () => credential };
  await client.connect(new SSEClientTransport(new URL(url), { authProvider }), { timeout: 15_000 });
  return Object.assign(client, { [Symbol.asyncDispose]: async () => void (await client.close().catch(() => {})) });
}

/** The text of a tool result's first content block. */
export function textOf(result: unknown): string {
  return ((result as { content: Array<{ text: string }> }).content[0] as { text: string }).text;
}
