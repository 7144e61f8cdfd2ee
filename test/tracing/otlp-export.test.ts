/**
 * The gateway as a process, traced by the standard OTEL_* variables alone: its spans reach an OTLP/HTTP receiver
 * (this test's own, on loopback), joined to the client's trace by `_meta.traceparent` or the HTTP `traceparent`
 * header, and a remote upstream (a fixture that tells what it received) is the gateway CLIENT span's child, by
 * `_meta` and by header. `--log-format json`: every stderr line is a JSON object, request lines carry the trace id.
 */
import assert from 'node:assert/strict';
import { type ChildProcess, spawn } from 'node:child_process';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, test } from 'node:test';

import { Client, SSEClientTransport } from '@modelcontextprotocol/client';

import {
  connectHttp,
  type Era,
  manifoldCommand,
  repoRoot,
  stopChild,
  tsEntry,
  waitFor,
  waitForStderr,
  writeConfig
} from '../helpers/gateway.js';
import { clientTraceContext, parseTraceparent, textOf } from './helpers.js';

interface OtlpSpan {
  name: string;
  kind: number;
  traceId: string;
  spanId: string;
  parentSpanId?: string;
  attributes: Array<{ key: string; value: Record<string, unknown> }>;
}

/** An OTLP/HTTP receiver: POST /v1/traces with a JSON body (what the gateway's exporter sends). */
async function startReceiver(): Promise<{
  server: Server;
  url: string;
  spans: OtlpSpan[];
  services: Set<string>;
  refused: string[];
}> {
  const spans: OtlpSpan[] = [];
  const services = new Set<string>();
  const refused: string[] = [];
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      if (
        req.method !== 'POST' ||
        req.url !== '/v1/traces' ||
        !String(req.headers['content-type']).startsWith('application/json')
      ) {
        refused.push(`${req.method} ${req.url} ${req.headers['content-type']}`);
        res.writeHead(415).end();
        return;
      }
      const body = JSON.parse(Buffer.concat(chunks).toString()) as {
        resourceSpans: Array<{
          resource: { attributes: OtlpSpan['attributes'] };
          scopeSpans: Array<{ spans: OtlpSpan[] }>;
        }>;
      };
      for (const resourceSpans of body.resourceSpans) {
        const service = resourceSpans.resource.attributes.find(attribute => attribute.key === 'service.name');
        if (service) services.add(String(service.value.stringValue));
        for (const scope of resourceSpans.scopeSpans) spans.push(...scope.spans);
      }
      res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
    });
  });
  await new Promise<void>(resolve => server.listen(0, '127.0.0.1', resolve));
  return { server, url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, spans, services, refused };
}

function attribute(span: OtlpSpan, key: string): unknown {
  const value = span.attributes.find(entry => entry.key === key)?.value;
  return value ? Object.values(value)[0] : undefined;
}

describe('tracing to an OTLP/HTTP receiver (gateway process, OTEL_* variables)', () => {
  let receiver: Awaited<ReturnType<typeof startReceiver>>;
  let upstream: ChildProcess;
  let gateway: ChildProcess;
  let gatewayUrl: string;
  let sseUrl: string;
  let stderr: () => string;
  let config: ReturnType<typeof writeConfig>;
  const calls: Array<{
    era: Era;
    via: 'meta' | 'header' | 'sse header';
    traceId: string;
    spanId: string;
    seen: { meta: { traceparent?: string }; headers?: { traceparent?: string } };
  }> = [];

  before(async () => {
    receiver = await startReceiver();
    upstream = spawn(
      process.execPath,
      [...tsEntry('test/fixtures/servers/trace-recorder.ts'), '--http', '0'],
      { cwd: repoRoot, stdio: ['ignore', 'ignore', 'pipe'] }
    );
    const upstreamUrl = (await waitForStderr(upstream, /serving MCP at (\S+)/, 'trace-recorder', 30_000))
      .match[1] as string;
    config = writeConfig({ servers: { tr: { url: upstreamUrl } } });
    gateway = spawn(
      manifoldCommand.command,
      [
        ...manifoldCommand.args,
        'serve',
        '--http',
        '0',
        '--config',
        config.path,
        '--log-format',
        'json',
        '--log-level',
        'debug'
      ],
      {
        stdio: ['ignore', 'pipe', 'pipe'],
        env: {
          ...process.env,
          OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url,
          OTEL_SERVICE_NAME: 'manifold-otlp-test',
          OTEL_BSP_SCHEDULE_DELAY: '50'
        }
      }
    );
    const started = await waitForStderr(gateway, /"message":"serving MCP at (http:[^" ]+)/, 'gateway', 30_000);
    gatewayUrl = started.match[1] as string;
    await waitFor(() => /transport connect to (http:[^" ]+)/.test(started.stderr()), 'the SSE address');
    sseUrl = (/transport connect to (http:[^" ]+)/.exec(started.stderr()) as RegExpExecArray)[1] as string;
    stderr = started.stderr;
  });

  after(async () => {
    if (gateway) await stopChild(gateway, 10_000);
    if (upstream) await stopChild(upstream);
    receiver?.server.close();
    await config?.[Symbol.asyncDispose]();
  });

  test('calls of both eras, with trace context in _meta and in the HTTP header', async () => {
    for (const era of ['legacy', 'modern'] as const) {
      for (const via of ['meta', 'header'] as const) {
        const caller = clientTraceContext();
        const withHeader: typeof fetch = (input, init) => {
          const headers = new Headers(init?.headers);
          headers.set('traceparent', caller.traceparent);
          return fetch(input, { ...init, headers });
        };
        await using client = await connectHttp(gatewayUrl, { era, ...(via === 'header' ? { fetch: withHeader } : {}) });
        const result = await client.callTool({
          name: 'tr__record',
          arguments: {},
          ...(via === 'meta' ? { _meta: { traceparent: caller.traceparent } } : {})
        });
        calls.push({
          era,
          via,
          traceId: caller.traceId,
          spanId: caller.spanId,
          seen: JSON.parse(textOf(result)) as (typeof calls)[number]['seen']
        });
      }
    }
    // The legacy HTTP+SSE transport: the POST of the request carries the header.
    const caller = clientTraceContext();
    const withHeader: typeof fetch = (input, init) => {
      const headers = new Headers(init?.headers);
      headers.set('traceparent', caller.traceparent);
      return fetch(input, { ...init, headers });
    };
    const sse = new Client({ name: 'sse-traced', version: '1.0.0' }, { versionNegotiation: { mode: 'legacy' } });
    await sse.connect(new SSEClientTransport(new URL(sseUrl), { fetch: withHeader }), { timeout: 30_000 });
    try {
      const result = await sse.callTool({ name: 'tr__record', arguments: {} });
      calls.push({
        era: 'legacy',
        via: 'sse header',
        traceId: caller.traceId,
        spanId: caller.spanId,
        seen: JSON.parse(textOf(result)) as (typeof calls)[number]['seen']
      });
    } finally {
      await sse.close();
    }
    assert.equal(calls.length, 5);
  });

  test("the receiver gets each SERVER span under the client's span, each CLIENT span the upstream's parent", async () => {
    await waitFor(
      () => calls.every(call => receiver.spans.filter(span => span.traceId === call.traceId).length >= 2),
      'the spans of every call at the receiver',
      20_000
    );
    assert.deepEqual(receiver.refused, []);
    assert.deepEqual([...receiver.services], ['manifold-otlp-test']);
    for (const call of calls) {
      const inTrace = receiver.spans.filter(span => span.traceId === call.traceId);
      const server = inTrace.find(span => span.name === 'tools/call tr__record');
      const client = inTrace.find(span => span.name === 'tools/call record');
      assert.ok(server && client, `${call.era}/${call.via}: spans ${inTrace.map(span => span.name).join(', ')}`);
      assert.equal(server.kind, 2, 'SPAN_KIND_SERVER');
      assert.equal(
        server.parentSpanId,
        call.spanId,
        `${call.era}/${call.via}: the SERVER span's parent is the client's span`
      );
      assert.equal(attribute(server, 'mcp.method.name'), 'tools/call');
      assert.equal(attribute(server, 'mcp.protocol.version'), call.era === 'modern' ? '2026-07-28' : '2025-11-25');
      assert.equal(client.kind, 3, 'SPAN_KIND_CLIENT');
      assert.equal(client.parentSpanId, server.spanId);
      // The upstream's parent is the CLIENT span, by _meta and by the HTTP header alike.
      assert.equal(
        parseTraceparent(call.seen.meta.traceparent).spanId,
        client.spanId,
        `${call.era}/${call.via}: _meta.traceparent`
      );
      assert.equal(
        parseTraceparent(call.seen.headers?.traceparent).spanId,
        client.spanId,
        `${call.era}/${call.via}: traceparent header`
      );
    }
  });

  test("--log-format json: every stderr line is a JSON object; a request's line carries its trace and span ids", async () => {
    const lines = stderr()
      .split('\n')
      .filter(line => line.trim() !== '');
    const parsed = lines.map(line => {
      try {
        return JSON.parse(line) as Record<string, unknown>;
      } catch {
        assert.fail(`not a JSON line: ${line}`);
      }
    });
    for (const line of parsed) {
      assert.equal(typeof line.time, 'string');
      assert.ok(['debug', 'info', 'warn', 'error'].includes(String(line.level)));
      assert.equal(typeof line.message, 'string');
    }
    for (const call of calls) {
      // With the header on every POST, the session's initialize is in the same trace (it has its own line): the call's.
      const requestLines = parsed.filter(
        line => line.logger === 'request' && line.trace_id === call.traceId && String(line.message).startsWith('tools/call ')
      );
      assert.equal(requestLines.length, 1, `${call.era}/${call.via}: one tools/call line in trace ${call.traceId}`);
      const server = receiver.spans.find(
        span => span.traceId === call.traceId && span.name === 'tools/call tr__record'
      );
      assert.equal(requestLines[0]?.span_id, server?.spanId, 'the line is written in the SERVER span');
      assert.match(String(requestLines[0]?.message), /^tools\/call tr__record: ok$/);
      assert.notEqual(requestLines[0]?.request_id, undefined);
    }
  });
});
