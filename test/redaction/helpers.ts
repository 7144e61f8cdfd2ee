/**
 * Redaction test helpers: a GatewayCore in this process with a JSON logger into memory, spans into an
 * InMemorySpanExporter, the audit log in a temp store, and real SDK clients (either era) over the SDK's in-memory
 * transport. A redactor can be injected (a failing one: fail closed).
 */
import { Client } from '@modelcontextprotocol/client';
import { InMemoryTransport } from '@modelcontextprotocol/server';
import { serveStdio } from '@modelcontextprotocol/server/stdio';
import { InMemorySpanExporter } from '@opentelemetry/sdk-trace-base';
import { join } from 'node:path';
import { stringify } from 'yaml';

import { parseConfig } from '../../src/config/index.js';
import { createDownstreamServer, GatewayCore, resolveServedView } from '../../src/gateway/index.js';
import type { Redactor } from '../../src/redaction/index.js';
import { type AuditRow, SqliteAuditStore } from '../../src/store/index.js';
import { createLogger } from '../../src/telemetry/logger.js';
import { OtelTracing } from '../../src/telemetry/tracing/index.js';
import { type Era, writeConfig } from '../helpers/gateway.js';

export interface RedactedGateway extends AsyncDisposable {
  core: GatewayCore;
  spans: InMemorySpanExporter;
  /** Every JSON log line so far. */
  logLines: string[];
  connect(era: Era): Promise<Client>;
  /** Every audit row (closes the gateway first, so that every row is committed). */
  auditRows(): Promise<AuditRow[]>;
}

export async function startRedactedGateway(
  config: Record<string, unknown>,
  redactor?: Redactor
): Promise<RedactedGateway> {
  const written = writeConfig(config);
  const full = { ...config, store: { path: join(written.dir, 'manifold.db') }, audit: { arguments: true } };
  const { config: parsed } = parseConfig(stringify(full), { source: written.path, env: {} });
  const spans = new InMemorySpanExporter();
  const logLines: string[] = [];
  const tracing = new OtelTracing({
    settings: { exporter: 'otlp', url: undefined, serviceName: 'manifold-test', sampleRatio: 1 },
    exporter: spans,
    ...(redactor ? { redactor } : {})
  });
  const logger = createLogger({
    level: 'debug',
    format: 'json',
    sink: line => logLines.push(line),
    ...(redactor ? { redactor } : {})
  });
  const core = new GatewayCore({
    config: parsed,
    configPath: written.path,
    logger,
    tracing,
    ...(redactor ? { redactor } : {})
  });
  await core.start();
  const clients: Client[] = [];
  let closed = false;
  const close = async () => {
    if (closed) return;
    closed = true;
    await Promise.all(clients.map(client => client.close().catch(() => {})));
    await core.close();
  };
  return {
    core,
    spans,
    logLines,
    connect: async era => {
      const [clientSide, serverSide] = InMemoryTransport.createLinkedPair();
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
        { name: `redaction-test-${era}`, version: '1.0.0' },
        { versionNegotiation: era === 'modern' ? { mode: { pin: '2026-07-28' } } : { mode: 'legacy' } }
      );
      await client.connect(clientSide);
      clients.push(client);
      return client;
    },
    auditRows: async () => {
      await close();
      const store = new SqliteAuditStore(join(written.dir, 'manifold.db'));
      try {
        return [...store.rows()];
      } finally {
        store.close();
      }
    },
    [Symbol.asyncDispose]: async () => {
      await close();
      await written[Symbol.asyncDispose]();
    }
  };
}

/** Everything a span carries, as one text: name, attributes, status, events and their attributes. */
export function spanText(spans: InMemorySpanExporter): string {
  return JSON.stringify(
    spans
      .getFinishedSpans()
      .map(span => ({ name: span.name, attributes: span.attributes, status: span.status, events: span.events }))
  );
}

export function textOf(result: unknown): string {
  return ((result as { content?: Array<{ text?: string }> }).content ?? []).map(block => block.text ?? '').join('\n');
}
