/**
 * Model-call spans (an agent's turns under its call's SERVER span, with token usage), JSON log lines inside and
 * outside a span, how the OTEL_* variables and the config combine, and stdio: spans (console exporter) and JSON
 * logs on stderr only, stdout left to the protocol.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';

import { Client } from '@modelcontextprotocol/client';
import { StdioClientTransport } from '@modelcontextprotocol/client/stdio';
import { SpanKind } from '@opentelemetry/api';
import { InMemorySpanExporter } from '@opentelemetry/sdk-trace-base';

import { createLogger } from '../../src/telemetry/logger.js';
import { OtelTracing, tracingSettings } from '../../src/telemetry/tracing/index.js';
import { startScriptedModelServer } from '../fixtures/model-server/scripted-model-server.js';
import { cli } from '../helpers/oauth.js';
import { fixtureServer, manifoldCommand, writeConfig } from '../helpers/gateway.js';
import { spanNamed, startTracedGateway, textOf } from './helpers.js';

test("an agent's model calls are spans under its call, with their token usage; its tool call under the same call", async () => {
  await using model = await startScriptedModelServer([
    { toolCalls: [{ name: 'tr__record', arguments: {} }], usage: { input: 100, output: 10 } },
    { text: 'recorded', usage: { input: 150, output: 5 } }
  ]);
  await using gateway = await startTracedGateway({
    servers: { tr: fixtureServer('trace-recorder.ts') },
    models: { local: { provider: 'openai', baseURL: model.baseURL, model: 'scripted', apiKey: 'key' } },
    agents: { probe: { model: 'local', servers: ['tr'] } }
  });
  const client = await gateway.connect('legacy');
  const result = await client.callTool({ name: 'probe', arguments: { task: 'record it' } });
  assert.notEqual(result.isError, true, textOf(result));

  const spans = gateway.spans.getFinishedSpans();
  const call = spanNamed(spans, 'tools/call probe');
  const turns = spans.filter(span => span.name === 'chat local');
  assert.equal(turns.length, 2);
  for (const turn of turns) {
    assert.equal(turn.kind, SpanKind.CLIENT);
    assert.equal(turn.parentSpanContext?.spanId, call.spanContext().spanId);
    assert.equal(turn.attributes['gen_ai.request.model'], 'local');
    assert.equal(turn.attributes['gen_ai.provider.name'], 'openai');
  }
  assert.deepEqual(
    turns
      .map(turn => [turn.attributes['gen_ai.usage.input_tokens'], turn.attributes['gen_ai.usage.output_tokens']])
      .sort(),
    [
      [100, 10],
      [150, 5]
    ]
  );
  const toolCall = spanNamed(spans, 'tools/call record');
  assert.equal(toolCall.parentSpanContext?.spanId, call.spanContext().spanId);
});

describe('JSON log lines', () => {
  test('inside a SERVER span a line carries trace_id, span_id, request_id and session_id; outside, none', async () => {
    const lines: string[] = [];
    const logger = createLogger({
      level: 'info',
      format: 'json',
      sink: line => lines.push(line),
      scope: 'gateway'
    }).child('test');
    const spans = new InMemorySpanExporter();
    const tracing = new OtelTracing({
      settings: { exporter: 'otlp', url: undefined, serviceName: 't', sampleRatio: 1 },
      exporter: spans
    });
    logger.info('before', { n: 1 });
    await tracing.server({ method: 'tools/call', target: 'a__b', requestId: 7, sessionId: 's-1' }, async () => {
      logger.warn('inside', { tool: 'a__b' });
    });
    // Read before shutdown: the in-memory exporter forgets its spans when shut down.
    const span = spans.getFinishedSpans()[0];
    await tracing.shutdown();
    const [before, inside] = lines.map(line => JSON.parse(line) as Record<string, unknown>);
    assert.deepEqual(Object.keys(before ?? {}).sort(), ['fields', 'level', 'logger', 'message', 'time']);
    assert.deepEqual(
      [before?.level, before?.logger, before?.message, before?.fields],
      ['info', 'gateway:test', 'before', { n: 1 }]
    );
    assert.equal(inside?.trace_id, span?.spanContext().traceId);
    assert.equal(inside?.span_id, span?.spanContext().spanId);
    assert.equal(inside?.request_id, 7);
    assert.equal(inside?.session_id, 's-1');
    assert.deepEqual(inside?.fields, { tool: 'a__b' });
  });
});

describe('tracing settings: the OTEL_* variables over the config', () => {
  const config = {
    exporter: 'none' as const,
    sampleRatio: 0.5,
    serviceName: 'from-config',
    endpoint: 'http://collector:4318/v1/traces'
  };
  test('off unless asked', () => {
    assert.equal(tracingSettings(undefined, {}).exporter, 'none');
    assert.equal(tracingSettings(config, {}).exporter, 'none');
  });
  test('the config turns it on; its endpoint, service name and ratio apply', () => {
    assert.deepEqual(tracingSettings({ ...config, exporter: 'otlp' }, {}), {
      exporter: 'otlp',
      url: 'http://collector:4318/v1/traces',
      serviceName: 'from-config',
      sampleRatio: 0.5
    });
  });
  test('OTEL_TRACES_EXPORTER, an OTLP endpoint variable, OTEL_SERVICE_NAME and OTEL_TRACES_SAMPLER win', () => {
    assert.equal(tracingSettings(config, { OTEL_TRACES_EXPORTER: 'console' }).exporter, 'console');
    const byEndpoint = tracingSettings(config, {
      OTEL_EXPORTER_OTLP_ENDPOINT: 'http://other:4318',
      OTEL_SERVICE_NAME: 'svc',
      OTEL_TRACES_SAMPLER: 'always_on'
    });
    assert.deepEqual(byEndpoint, { exporter: 'otlp', url: undefined, serviceName: 'svc', sampleRatio: undefined });
    assert.equal(tracingSettings({ ...config, exporter: 'otlp' }, { OTEL_TRACES_EXPORTER: 'none' }).exporter, 'none');
    assert.equal(
      tracingSettings({ ...config, exporter: 'otlp' }, { OTEL_SDK_DISABLED: 'true', OTEL_TRACES_EXPORTER: 'otlp' })
        .exporter,
      'none'
    );
  });
  test('an exporter Manifold does not have is an error that names the variable and the choices', () => {
    assert.throws(
      () => tracingSettings(config, { OTEL_TRACES_EXPORTER: 'zipkin' }),
      /OTEL_TRACES_EXPORTER="zipkin".*otlp.*console.*none/
    );
  });
  test("sampleRatio 0: new traces are not recorded, a sampled parent's are", async () => {
    const spans = new InMemorySpanExporter();
    const tracing = new OtelTracing({
      settings: { exporter: 'otlp', url: undefined, serviceName: 't', sampleRatio: 0 },
      exporter: spans
    });
    await tracing.server({ method: 'tools/call', target: 'x' }, async () => {});
    const traceparent = '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01';
    await tracing.server({ method: 'tools/call', target: 'y', params: { _meta: { traceparent } } }, async () => {});
    assert.deepEqual(
      spans.getFinishedSpans().map(span => span.name),
      ['tools/call y']
    );
    await tracing.shutdown();
  });
});

test("stdio: spans (OTEL_TRACES_EXPORTER=console) and --log-format json lines go to stderr; stdout stays the protocol's", async () => {
  await using config = writeConfig({ servers: { tr: fixtureServer('trace-recorder.ts') } });
  const transport = new StdioClientTransport({
    command: manifoldCommand.command,
    args: [...manifoldCommand.args, 'serve', '--config', config.path, '--log-format', 'json', '--log-level', 'debug'],
    stderr: 'pipe',
    env: { ...(process.env as Record<string, string>), OTEL_TRACES_EXPORTER: 'console' }
  });
  let stderr = '';
  transport.stderr?.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const client = new Client({ name: 'stdio-tracing', version: '1.0.0' }, { versionNegotiation: { mode: 'legacy' } });
  await client.connect(transport, { timeout: 30_000 });
  // Any stray byte on stdout would break the protocol: a call that is answered proves stdout is clean.
  const result = await client.callTool({ name: 'tr__record', arguments: {} });
  assert.match(textOf(result), /traceparent/);
  await client.close();
  const lines = stderr
    .split('\n')
    .filter(line => line.trim() !== '')
    .map(line => JSON.parse(line) as Record<string, unknown>);
  const span = lines.find(line => line.span === 'tools/call tr__record');
  assert.ok(span, `a span line on stderr:\n${stderr}`);
  assert.equal(span.kind, SpanKind.SERVER);
  const request = lines.find(line => line.logger === 'request' && line.message === 'tools/call tr__record: ok');
  assert.equal(request?.trace_id, span.traceId);
});

test('--log-format takes text or json; another value is a usage error (exit 2) before any server starts', async () => {
  const bad = await cli(['tools', '--log-format', 'xml', '--config', '/nonexistent/manifold.yaml']);
  assert.equal(bad.code, 2);
  assert.match(bad.err, /--log-format must be text or json, not "xml"/);
});

test('an OTEL_TRACES_EXPORTER Manifold does not have stops the gateway at start, naming the variable', async () => {
  await using config = writeConfig({ servers: {} });
  const previous = process.env.OTEL_TRACES_EXPORTER;
  process.env.OTEL_TRACES_EXPORTER = 'zipkin';
  try {
    const result = await cli(['tools', '--config', config.path, '--log-level', 'silent']);
    assert.equal(result.code, 2);
    assert.match(result.err, /OTEL_TRACES_EXPORTER="zipkin"/);
  } finally {
    if (previous === undefined) delete process.env.OTEL_TRACES_EXPORTER;
    else process.env.OTEL_TRACES_EXPORTER = previous;
  }
});
