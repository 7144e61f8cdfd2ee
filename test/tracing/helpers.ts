/**
 * Tracing test helpers: a GatewayCore in this process whose spans go to an InMemorySpanExporter, real SDK clients
 * (either era) over the SDK's in-memory transport, and W3C trace context of the test's own "client span".
 */
import { randomBytes } from 'node:crypto';

import { Client } from '@modelcontextprotocol/client';
import { InMemoryTransport } from '@modelcontextprotocol/server';
import { serveStdio } from '@modelcontextprotocol/server/stdio';
import { InMemorySpanExporter, type ReadableSpan } from '@opentelemetry/sdk-trace-base';
import { stringify } from 'yaml';

import { parseConfig } from '../../src/config/index.js';
import { createDownstreamServer, GatewayCore, resolveServedView } from '../../src/gateway/index.js';
import { createLogger, type Logger } from '../../src/telemetry/logger.js';
import { OtelTracing, type Tracing } from '../../src/telemetry/tracing/index.js';
import { type Era, withTestDefaults, writeConfig } from '../helpers/gateway.js';

export interface TracedGateway extends AsyncDisposable {
  core: GatewayCore;
  spans: InMemorySpanExporter;
  connect(era: Era): Promise<Client>;
}

/** A gateway whose tracing records every span in memory (or the given tracing: `noTracing` to check it off). */
export async function startTracedGateway(
  config: Record<string, unknown>,
  options: { tracing?: Tracing; logger?: Logger } = {}
): Promise<TracedGateway> {
  const written = writeConfig(config);
  const { config: parsed } = parseConfig(stringify(withTestDefaults(config)), { source: written.path, env: {} });
  const spans = new InMemorySpanExporter();
  const tracing =
    options.tracing ??
    new OtelTracing({
      settings: { exporter: 'otlp', url: undefined, serviceName: 'manifold-test', sampleRatio: 1 },
      exporter: spans
    });
  const core = new GatewayCore({
    config: parsed,
    configPath: written.path,
    logger: options.logger ?? createLogger({ level: 'warn' }),
    tracing
  });
  await core.start();
  const clients: Client[] = [];
  return {
    core,
    spans,
    connect: async era => {
      const [clientSide, serverSide] = InMemoryTransport.createLinkedPair();
      // The SDK's stdio entry over an in-memory wire: it serves both eras, as `manifold serve` does.
      serveStdio(
        () => {
          const { server, session } = createDownstreamServer(core, {
            session: true,
            view: resolveServedView(core, undefined)
          });
          if (session) core.sessions.add(session);
          return server;
        },
        { transport: serverSide }
      );
      const client = new Client(
        { name: `tracing-test-${era}`, version: '1.0.0' },
        { versionNegotiation: era === 'modern' ? { mode: { pin: '2026-07-28' } } : { mode: 'legacy' } }
      );
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

/** A W3C trace context as a client that traces would send it: a fresh trace id and span id, sampled. */
export function clientTraceContext(): { traceId: string; spanId: string; traceparent: string } {
  const traceId = randomBytes(16).toString('hex');
  const spanId = randomBytes(8).toString('hex');
  return { traceId, spanId, traceparent: `00-${traceId}-${spanId}-01` };
}

/** `00-<trace>-<span>-<flags>` → its parts. */
export function parseTraceparent(traceparent: unknown): { traceId: string; spanId: string } {
  const match = /^00-([0-9a-f]{32})-([0-9a-f]{16})-[0-9a-f]{2}$/.exec(String(traceparent));
  if (!match) throw new Error(`not a traceparent: ${String(traceparent)}`);
  return { traceId: match[1] as string, spanId: match[2] as string };
}

export function spanNamed(spans: readonly ReadableSpan[], name: string): ReadableSpan {
  const found = spans.filter(span => span.name === name);
  if (found.length !== 1)
    throw new Error(
      `expected one span "${name}", found ${found.length} among: ${spans.map(span => span.name).join(', ')}`
    );
  return found[0] as ReadableSpan;
}

export function textOf(result: unknown): string {
  return ((result as { content?: Array<{ text?: string }> }).content ?? []).map(block => block.text ?? '').join('\n');
}
