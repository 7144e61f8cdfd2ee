import {
  type Attributes,
  type Context,
  context,
  defaultTextMapGetter,
  defaultTextMapSetter,
  isSpanContextValid,
  ROOT_CONTEXT,
  type Span,
  SpanKind,
  SpanStatusCode,
  trace,
  type Tracer
} from '@opentelemetry/api';
import type * as ContextHooks from '@opentelemetry/context-async-hooks';
import type * as OtelCore from '@opentelemetry/core';
import type { W3CTraceContextPropagator } from '@opentelemetry/core';
import type * as OtlpHttp from '@opentelemetry/exporter-trace-otlp-http';
import type * as OtelResources from '@opentelemetry/resources';
import type * as TraceSdk from '@opentelemetry/sdk-trace-base';
import type { BasicTracerProvider, SpanExporter } from '@opentelemetry/sdk-trace-base';
import { createRequire } from 'node:module';

import { manifoldVersion } from '../../core/version.js';
import { defaultRedactor, type Redactor, safeRedactText, safeRedactValue } from '../../redaction/index.js';
import { requestKey } from './active-trace-ids.js';
import { StderrSpanExporter } from './stderr-span-exporter.js';
import type {
  CarrierHeaders,
  ClientSpanInfo,
  ModelSpanInfo,
  ModelSpanUsage,
  ServerSpanInfo,
  TraceIds,
  Tracing
} from './tracing.js';
import type { TracingSettings } from './tracing-settings.js';

export interface OtelTracingOptions {
  settings: TracingSettings;
  /** Tests: spans go here (an InMemorySpanExporter), each as it ends, instead of the settings' exporter. */
  exporter?: SpanExporter;
  /** Span names, attributes, status messages and exception events are redacted, always (docs/SECURITY.md "Redaction"). */
  redactor?: Redactor;
}

/** Span attribute names of the MCP semantic conventions (semantic-conventions-genai, gen-ai/mcp.md). */
export const mcpAttributes = {
  method: 'mcp.method.name',
  protocolVersion: 'mcp.protocol.version',
  sessionId: 'mcp.session.id',
  resourceUri: 'mcp.resource.uri',
  toolName: 'gen_ai.tool.name',
  promptName: 'gen_ai.prompt.name',
  operation: 'gen_ai.operation.name',
  requestId: 'jsonrpc.request.id'
} as const;

// Semantic convention names (@opentelemetry/semantic-conventions' ATTR_*, written out: that package is 200 kB).
const ATTR_ERROR_TYPE = 'error.type';
const ATTR_SERVICE_NAME = 'service.name';
const ATTR_SERVICE_VERSION = 'service.version';

const require = createRequire(import.meta.url);

/**
 * The OpenTelemetry SDK (about 1 MB of code with its exporter), loaded when the first OtelTracing is made: a
 * gateway that does not trace (most) never loads it, and starts that much sooner. Only @opentelemetry/api is
 * imported up front (its state is global by design, so the SDK loaded this way shares it).
 */
let sdkModules:
  | { hooks: typeof ContextHooks; core: typeof OtelCore; otlp: typeof OtlpHttp; resources: typeof OtelResources; trace: typeof TraceSdk }
  | undefined;
function sdk(): NonNullable<typeof sdkModules> {
  sdkModules ??= {
    hooks: require('@opentelemetry/context-async-hooks') as typeof ContextHooks,
    core: require('@opentelemetry/core') as typeof OtelCore,
    otlp: require('@opentelemetry/exporter-trace-otlp-http') as typeof OtlpHttp,
    resources: require('@opentelemetry/resources') as typeof OtelResources,
    trace: require('@opentelemetry/sdk-trace-base') as typeof TraceSdk
  };
  return sdkModules;
}

let w3c: W3CTraceContextPropagator | undefined;
/** W3C trace context (`traceparent`, `tracestate`), made with the first tracer. */
const propagator = (): W3CTraceContextPropagator => (w3c ??= new (sdk().core.W3CTraceContextPropagator)());
let contextManagerSet = false;

/**
 * Tracing over OpenTelemetry: its own provider (nothing global but the async context manager, so that a span is
 * the parent of what runs inside it), W3C trace context in `params._meta` and HTTP headers.
 */
export class OtelTracing implements Tracing {
  readonly enabled = true;
  private readonly provider: BasicTracerProvider;
  private readonly tracer: Tracer;
  private readonly redactor: Redactor;

  constructor(options: OtelTracingOptions) {
    this.redactor = options.redactor ?? defaultRedactor;
    const { hooks, otlp, resources, trace: traceSdk } = sdk();
    const { BasicTracerProvider, BatchSpanProcessor, ParentBasedSampler, SimpleSpanProcessor, TraceIdRatioBasedSampler } = traceSdk;
    if (!contextManagerSet) {
      // Another context manager (an embedding app's SDK) is kept: it serves the same purpose.
      context.setGlobalContextManager(new hooks.AsyncLocalStorageContextManager().enable());
      contextManagerSet = true;
    }
    const { settings } = options;
    const exporter =
      options.exporter ??
      (settings.exporter === 'console'
        ? new StderrSpanExporter()
        : new otlp.OTLPTraceExporter(settings.url ? { url: settings.url } : {}));
    const processor =
      options.exporter || settings.exporter === 'console'
        ? new SimpleSpanProcessor(exporter)
        : new BatchSpanProcessor(exporter);
    this.provider = new BasicTracerProvider({
      resource: resources.resourceFromAttributes({
        [ATTR_SERVICE_NAME]: settings.serviceName,
        [ATTR_SERVICE_VERSION]: manifoldVersion
      }),
      ...(settings.sampleRatio !== undefined
        ? { sampler: new ParentBasedSampler({ root: new TraceIdRatioBasedSampler(settings.sampleRatio) }) }
        : {}),
      spanProcessors: [processor]
    });
    this.tracer = this.provider.getTracer('manifold', manifoldVersion);
  }

  server<T>(info: ServerSpanInfo, run: () => Promise<T>): Promise<T> {
    const parent = extractParent(info.params, info.headers);
    const attributes: Attributes = { ...requestAttributes(info.method, info.target) };
    if (info.protocolVersion) attributes[mcpAttributes.protocolVersion] = info.protocolVersion;
    if (info.sessionId) attributes[mcpAttributes.sessionId] = info.sessionId;
    if (info.requestId !== undefined) attributes[mcpAttributes.requestId] = String(info.requestId);
    const span = this.startSpan(spanName(info.method, info.target), SpanKind.SERVER, attributes, parent);
    const active = trace
      .setSpan(parent, span)
      .setValue(requestKey, { requestId: info.requestId, sessionId: info.sessionId });
    return this.runIn(span, active, run);
  }

  client<T>(info: ClientSpanInfo, run: (params: Record<string, unknown>) => Promise<T>): Promise<T> {
    const attributes: Attributes = { ...requestAttributes(info.method, info.target), 'manifold.server': info.server };
    if (info.protocolVersion) attributes[mcpAttributes.protocolVersion] = info.protocolVersion;
    const span = this.startSpan(spanName(info.method, info.target), SpanKind.CLIENT, attributes);
    const spanContext = trace.setSpan(context.active(), span);
    // The upstream's span is this one's child: its context rides in `_meta` (every era) and, by
    // `injectHeaders`, in the HTTP request of a remote server.
    const carrier: Record<string, string> = {};
    propagator().inject(spanContext, carrier, defaultTextMapSetter);
    const meta = (info.params._meta ?? {}) as Record<string, unknown>;
    const params = { ...info.params, _meta: { ...meta, ...carrier } };
    return this.runIn(span, spanContext, () => run(params));
  }

  internal<T>(name: string, attributes: Record<string, string | number | boolean>, run: () => Promise<T>): Promise<T> {
    const span = this.startSpan(name, SpanKind.INTERNAL, attributes);
    return this.runIn(span, trace.setSpan(context.active(), span), run);
  }

  model<T extends { usage?: ModelSpanUsage | undefined; finishReason?: string }>(
    info: ModelSpanInfo,
    run: () => Promise<T>
  ): Promise<T> {
    const attributes: Attributes = { [mcpAttributes.operation]: 'chat', 'gen_ai.request.model': info.model };
    if (info.provider) attributes['gen_ai.provider.name'] = info.provider;
    const span = this.startSpan(`chat ${info.model}`, SpanKind.CLIENT, attributes);
    return this.runIn(span, trace.setSpan(context.active(), span), async () => {
      const turn = await run();
      if (turn.usage) {
        span.setAttribute('gen_ai.usage.input_tokens', turn.usage.inputTokens);
        span.setAttribute('gen_ai.usage.output_tokens', turn.usage.outputTokens);
      }
      if (turn.finishReason) span.setAttribute('gen_ai.response.finish_reasons', [turn.finishReason]);
      return turn;
    });
  }

  injectHeaders(headers: Record<string, string>): void {
    const span = trace.getSpan(context.active());
    if (!span || !isSpanContextValid(span.spanContext())) return;
    propagator().inject(context.active(), headers, defaultTextMapSetter);
  }

  current(): TraceIds | undefined {
    const span = trace.getSpan(context.active());
    if (!span) return undefined;
    const { traceId, spanId } = span.spanContext();
    return isSpanContextValid(span.spanContext()) ? { traceId, spanId } : undefined;
  }

  async shutdown(): Promise<void> {
    await this.provider.shutdown();
  }

  /** Starts a span whose name and string attributes are redacted (a resource URI may hold a password, a name a key). */
  private startSpan(name: string, kind: SpanKind, attributes: Attributes, parent?: Context): Span {
    const redacted = safeRedactValue(attributes, this.redactor);
    const safe = typeof redacted === 'object' && redacted !== null ? (redacted as Attributes) : { 'manifold.redaction': redacted as string };
    return this.tracer.startSpan(safeRedactText(name, this.redactor), { kind, attributes: safe }, parent);
  }

  /** Runs `run` with `span` active; ends it with the result's outcome: `tool_error` for `isError`, else the error's code. */
  private async runIn<T>(span: Span, active: Context, run: () => Promise<T>): Promise<T> {
    try {
      const result = await context.with(active, run);
      if (result !== null && typeof result === 'object' && (result as { isError?: unknown }).isError === true) {
        span.setAttribute(ATTR_ERROR_TYPE, 'tool_error');
        span.setStatus({ code: SpanStatusCode.ERROR });
      }
      return result;
    } catch (error) {
      span.setAttribute(ATTR_ERROR_TYPE, errorType(error));
      const message = safeRedactText(error instanceof Error ? error.message : String(error), this.redactor);
      span.setStatus({ code: SpanStatusCode.ERROR, message });
      // The exception event, redacted: its message and stack (which repeats the message) may carry what the error quoted.
      if (error instanceof Error) span.recordException({ name: error.name, message, ...(error.stack ? { stack: safeRedactText(error.stack, this.redactor) } : {}) });
      throw error;
    } finally {
      span.end();
    }
  }
}

function spanName(method: string, target: string | undefined): string {
  return target ? `${method} ${target}` : method;
}

function requestAttributes(method: string, target: string | undefined): Attributes {
  const attributes: Attributes = { [mcpAttributes.method]: method };
  if (target === undefined) return attributes;
  if (method === 'tools/call') {
    attributes[mcpAttributes.toolName] = target;
    attributes[mcpAttributes.operation] = 'execute_tool';
  } else if (method === 'prompts/get') {
    attributes[mcpAttributes.promptName] = target;
  } else if (method.startsWith('resources/')) {
    attributes[mcpAttributes.resourceUri] = target;
  }
  return attributes;
}

/** The caller's context: `params._meta` (`traceparent`, `tracestate`) wins over the HTTP request's headers. */
function extractParent(params: Record<string, unknown> | undefined, headers: CarrierHeaders | undefined): Context {
  const meta = params?._meta as Record<string, unknown> | undefined;
  const carrier: Record<string, string> = {};
  for (const source of [headers, meta]) {
    if (!source) continue;
    const traceparent = source.traceparent;
    if (typeof traceparent !== 'string') continue;
    carrier.traceparent = traceparent;
    delete carrier.tracestate;
    if (typeof source.tracestate === 'string') carrier.tracestate = source.tracestate;
  }
  return carrier.traceparent ? propagator().extract(ROOT_CONTEXT, carrier, defaultTextMapGetter) : ROOT_CONTEXT;
}

/** `error.type`: the error's code (a ManifoldError's name for it, a JSON-RPC error's number), else its class. */
function errorType(error: unknown): string {
  const code = (error as { code?: unknown } | null)?.code;
  if (typeof code === 'string' || typeof code === 'number') return String(code);
  return error instanceof Error ? error.name : '_OTHER';
}
