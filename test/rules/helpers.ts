/**
 * Rules test helpers: a GatewayCore in this process in front of real fixture servers, and real SDK clients
 * connected to `createDownstreamServer` as a given principal (what the HTTP face does once it has authenticated
 * a caller), over the SDK's in-memory transport.
 */
import { Client } from '@modelcontextprotocol/client';
import { InMemoryTransport } from '@modelcontextprotocol/server';
import { stringify } from 'yaml';

import { parseConfig } from '../../src/config/index.js';
import type { Principal } from '../../src/core/principal.js';
import { createDownstreamServer, GatewayCore, resolveServedView } from '../../src/gateway/index.js';
import { createLogger, type Logger } from '../../src/telemetry/logger.js';
import { withTestDefaults, writeConfig } from '../helpers/gateway.js';

export interface RulesGateway extends AsyncDisposable {
  core: GatewayCore;
  /** A real SDK client of the gateway as `principal` (legacy era), served `view` if given; a lasting session. */
  connect(principal: Principal | undefined, view?: string): Promise<Client>;
  /** Log lines (warn and up). */
  logs: string[];
}

export async function startRulesGateway(config: Record<string, unknown>, logger?: Logger): Promise<RulesGateway> {
  const written = writeConfig(config);
  const { config: parsed } = parseConfig(stringify(withTestDefaults(config)), { source: written.path, env: {} });
  const logs: string[] = [];
  const core = new GatewayCore({
    config: parsed,
    configPath: written.path,
    logger: logger ?? createLogger({ level: 'warn', sink: line => logs.push(line) })
  });
  await core.start();
  const clients: Client[] = [];
  return {
    core,
    logs,
    connect: async (principal, view) => {
      const { server, session } = createDownstreamServer(core, {
        session: true,
        view: resolveServedView(core, view),
        ...(principal ? { principal } : {})
      });
      if (session) core.sessions.add(session);
      const [clientSide, serverSide] = InMemoryTransport.createLinkedPair();
      await server.connect(serverSide);
      const client = new Client({ name: `rules-test-${principal?.name ?? 'local'}`, version: '1.0.0' }, { versionNegotiation: { mode: 'legacy' } });
      await client.connect(clientSide);
      clients.push(client);
      return client;
    },
    [Symbol.asyncDispose]: async () => {
      await Promise.all(clients.map(client => client.close().catch(() => {})));
      await core.close();
      await written[Symbol.asyncDispose]();
    }
  };
}

/** What a client call threw: its JSON-RPC code and message (or undefined if it did not throw). */
export async function errorOf(work: Promise<unknown>): Promise<{ code: number; message: string } | undefined> {
  try {
    await work;
    return undefined;
  } catch (error) {
    const { code, message } = error as { code: number; message: string };
    return { code, message };
  }
}

export function textOf(result: unknown): string {
  return ((result as { content?: Array<{ text?: string }> }).content ?? []).map(block => block.text ?? '').join('\n');
}
