/**
 * OpenTelemetry spans of the gateway (docs/OBSERVABILITY.md "Traces"), captured in memory: a SERVER span per
 * downstream request parented by the client's `traceparent`, a CLIENT span per upstream call whose context the
 * upstream receives in `params._meta`, INTERNAL spans per workflow step; both protocol eras.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';

import { SpanKind } from '@opentelemetry/api';

import { noTracing } from '../../src/telemetry/tracing/index.js';
import { fixtureServer } from '../helpers/gateway.js';
import { clientTraceContext, parseTraceparent, spanNamed, startTracedGateway, textOf } from './helpers.js';

const config = {
  servers: { tr: fixtureServer('trace-recorder.ts') },
  workflows: {
    twice: {
      description: 'records twice',
      input: { type: 'object', properties: {} },
      steps: [
        { id: 'first', call: 'tr__record', with: { note: 'one' } },
        { id: 'second', call: 'tr__record', with: { note: 'two' } }
      ]
    }
  }
};

for (const era of ['legacy', 'modern'] as const) {
  describe(`tracing (${era} client)`, () => {
    test("the SERVER span is the client span's child; the upstream gets the CLIENT span as its parent", async () => {
      await using gateway = await startTracedGateway(config);
      const client = await gateway.connect(era);
      const caller = clientTraceContext();
      const result = await client.callTool({
        name: 'tr__record',
        arguments: {},
        _meta: { traceparent: caller.traceparent, tracestate: 'vendor=1' }
      });
      const seen = JSON.parse(textOf(result)) as { meta: { traceparent?: string; tracestate?: string } };
      await client.listTools();

      const spans = gateway.spans.getFinishedSpans();
      const list = spanNamed(spans, 'tools/list');
      assert.equal(list.kind, SpanKind.SERVER);
      assert.equal(list.attributes['mcp.method.name'], 'tools/list');
      const serverSpan = spanNamed(spans, 'tools/call tr__record');
      assert.equal(serverSpan.kind, SpanKind.SERVER);
      assert.equal(serverSpan.spanContext().traceId, caller.traceId, "the SERVER span joins the client's trace");
      assert.equal(serverSpan.parentSpanContext?.spanId, caller.spanId, "its parent is the client's span");
      assert.equal(serverSpan.attributes['mcp.method.name'], 'tools/call');
      assert.equal(serverSpan.attributes['gen_ai.tool.name'], 'tr__record');
      assert.equal(serverSpan.attributes['mcp.protocol.version'], era === 'modern' ? '2026-07-28' : '2025-11-25');
      assert.equal(typeof serverSpan.attributes['mcp.session.id'], 'string');
      assert.equal(serverSpan.attributes['error.type'], undefined);

      // The upstream's own name of the tool, under the SERVER span.
      const clientSpan = spanNamed(spans, 'tools/call record');
      assert.equal(clientSpan.kind, SpanKind.CLIENT);
      assert.equal(clientSpan.parentSpanContext?.spanId, serverSpan.spanContext().spanId);
      assert.equal(clientSpan.attributes['manifold.server'], 'tr');

      const upstreamParent = parseTraceparent(seen.meta.traceparent);
      assert.equal(upstreamParent.traceId, caller.traceId);
      assert.equal(
        upstreamParent.spanId,
        clientSpan.spanContext().spanId,
        "the upstream's parent is the gateway's CLIENT span"
      );
      assert.equal(seen.meta.tracestate, 'vendor=1', 'tracestate travels with it');
    });

    // 2026-07-28 has no initialize, ping or setLevel.
    if (era === 'legacy') test('initialize, ping and logging/setLevel are SERVER spans named by their method', async () => {
      await using gateway = await startTracedGateway(config);
      const client = await gateway.connect(era);
      await client.ping();
      await client.setLoggingLevel('warning');
      const spans = gateway.spans.getFinishedSpans();
      const ping = spanNamed(spans, 'ping');
      assert.equal(ping.kind, SpanKind.SERVER);
      assert.equal(ping.attributes['mcp.method.name'], 'ping');
      assert.equal(ping.attributes['error.type'], undefined);
      {
        const initialize = spanNamed(spans, 'initialize');
        assert.equal(initialize.kind, SpanKind.SERVER);
        assert.equal(initialize.attributes['mcp.method.name'], 'initialize');
        assert.equal(initialize.attributes['mcp.protocol.version'], '2025-11-25');
        assert.equal(spanNamed(spans, 'logging/setLevel').attributes['mcp.method.name'], 'logging/setLevel');
      }
    });

    test('a tool error is error.type tool_error; a refused request is its error code', async () => {
      await using gateway = await startTracedGateway(config);
      const client = await gateway.connect(era);
      const failed = await client.callTool({ name: 'tr__fail', arguments: {} });
      assert.equal(failed.isError, true);
      await assert.rejects(client.callTool({ name: 'tr__nope', arguments: {} }));

      const spans = gateway.spans.getFinishedSpans();
      assert.equal(spanNamed(spans, 'tools/call tr__fail').attributes['error.type'], 'tool_error');
      assert.equal(spanNamed(spans, 'tools/call fail').attributes['error.type'], 'tool_error');
      const unknown = spanNamed(spans, 'tools/call tr__nope');
      assert.equal(unknown.kind, SpanKind.SERVER);
      assert.equal(unknown.attributes['error.type'], '-32602', 'the JSON-RPC error code the client got');
      assert.equal(unknown.parentSpanContext, undefined, 'without a traceparent the SERVER span starts a trace');
    });

    test("each workflow step is an INTERNAL span under the call's SERVER span, its upstream call under it", async () => {
      await using gateway = await startTracedGateway(config);
      const client = await gateway.connect(era);
      const result = await client.callTool({ name: 'twice', arguments: {} });
      assert.notEqual(result.isError, true, textOf(result));

      const spans = gateway.spans.getFinishedSpans();
      const serverSpan = spanNamed(spans, 'tools/call twice');
      assert.equal(serverSpan.kind, SpanKind.SERVER);
      for (const id of ['first', 'second']) {
        const step = spanNamed(spans, `step ${id}`);
        assert.equal(step.kind, SpanKind.INTERNAL);
        assert.equal(step.parentSpanContext?.spanId, serverSpan.spanContext().spanId);
        assert.equal(step.attributes['manifold.workflow.name'], 'twice');
        const calls = spans.filter(
          span => span.name === 'tools/call record' && span.parentSpanContext?.spanId === step.spanContext().spanId
        );
        assert.equal(calls.length, 1, `one upstream call under step ${id}`);
        assert.equal(calls[0]?.kind, SpanKind.CLIENT);
      }
      // The steps' own pipeline calls are not SERVER spans: only the client's requests are (this call, and the handshake).
      assert.deepEqual(spans.filter(span => span.kind === SpanKind.SERVER && span.name !== 'initialize').map(span => span.name), ['tools/call twice']);
    });
  });
}

test("tracing off: no span, and the client's traceparent reaches the upstream untouched", async () => {
  await using gateway = await startTracedGateway(config, { tracing: noTracing });
  const client = await gateway.connect('legacy');
  const caller = clientTraceContext();
  const result = await client.callTool({
    name: 'tr__record',
    arguments: {},
    _meta: { traceparent: caller.traceparent }
  });
  const seen = JSON.parse(textOf(result)) as { meta: { traceparent?: string } };
  assert.equal(seen.meta.traceparent, caller.traceparent);
  assert.equal(gateway.spans.getFinishedSpans().length, 0);
  assert.equal(gateway.core.tracing.enabled, false);
});

test("an upstream call that times out: its CLIENT span has error.type UPSTREAM_TIMEOUT, and the SERVER span the client's error code", async () => {
  await using gateway = await startTracedGateway({
    gateway: { timeout: 400 },
    servers: { h: fixtureServer('hangs.ts') }
  });
  const client = await gateway.connect('legacy');
  await assert.rejects(client.callTool({ name: 'h__hang', arguments: {} }));
  const spans = gateway.spans.getFinishedSpans();
  const upstream = spanNamed(spans, 'tools/call hang');
  assert.equal(upstream.kind, SpanKind.CLIENT);
  assert.equal(upstream.attributes['error.type'], 'UPSTREAM_TIMEOUT');
  assert.equal(upstream.status.code, 2, 'status ERROR');
  assert.equal(upstream.events[0]?.name, 'exception');
  const call = spanNamed(spans, 'tools/call h__hang');
  assert.equal(call.attributes['error.type'], '-32011');
});
