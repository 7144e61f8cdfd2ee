/**
 * What the gateway asks of tracing (docs/OBSERVABILITY.md "Traces"). The pipeline's callers speak only this;
 * `otel-tracing.ts` implements it over OpenTelemetry, `noTracing` is what runs when tracing is off: every method
 * calls its function straight away, so a gateway that traces nothing pays one indirect call per span.
 */

/** Headers of the HTTP request a downstream request came in (a `traceparent` header parents its span too). */
export type CarrierHeaders = Readonly<Record<string, string | undefined>>;

/** A downstream request: one SERVER span, named `{mcp.method.name} {target}`. */
export interface ServerSpanInfo {
  method: string;
  /** The tool or prompt name, or the resource URI; absent for lists. */
  target?: string | undefined;
  /** The request's params: `_meta.traceparent` / `_meta.tracestate` parent the span (they win over headers). */
  params?: Record<string, unknown> | undefined;
  headers?: CarrierHeaders | undefined;
  protocolVersion?: string | undefined;
  sessionId?: string | undefined;
  /** The JSON-RPC request id, as `jsonrpc.request.id`. */
  requestId?: string | number | undefined;
}

/** A request sent to an upstream server: one CLIENT span, its context carried in the params' `_meta` and HTTP headers. */
export interface ClientSpanInfo {
  method: string;
  /** The server's own name of the tool or prompt, or the resource URI. */
  target?: string | undefined;
  /** The configured server name. */
  server: string;
  params: Record<string, unknown>;
  protocolVersion?: string | undefined;
}

/** A model call (an agent's turn, a workflow model step). */
export interface ModelSpanInfo {
  /** The config key (`models.<name>`). */
  model: string;
  /** `openai`, `anthropic`, `sampling`. */
  provider?: string | undefined;
}

export interface ModelSpanUsage {
  inputTokens: number;
  outputTokens: number;
  finishReason?: string;
}

export interface TraceIds {
  traceId: string;
  spanId: string;
}

export interface Tracing {
  readonly enabled: boolean;
  /** Runs a downstream request in a SERVER span (parented by the caller's `traceparent`, if any). */
  server<T>(info: ServerSpanInfo, run: () => Promise<T>): Promise<T>;
  /** Runs an upstream request in a CLIENT span; `run` gets the params with this span's `traceparent` in `_meta`. */
  client<T>(info: ClientSpanInfo, run: (params: Record<string, unknown>) => Promise<T>): Promise<T>;
  /** Runs a step of the gateway's own (a workflow step) in an INTERNAL span. */
  internal<T>(name: string, attributes: Record<string, string | number | boolean>, run: () => Promise<T>): Promise<T>;
  /** Runs a model call in a CLIENT span (`chat {model}`), its token usage recorded from what `run` returns. */
  model<T extends { usage?: ModelSpanUsage | undefined; finishReason?: string }>(
    info: ModelSpanInfo,
    run: () => Promise<T>
  ): Promise<T>;
  /** Writes the active span's context into HTTP headers (remote upstream requests); a no-op outside a span. */
  injectHeaders(headers: Record<string, string>): void;
  /** The ids of the active span, for log lines; undefined outside a span or with tracing off. */
  current(): TraceIds | undefined;
  /** Sends the spans not yet exported, then stops. */
  shutdown(): Promise<void>;
}

/** Tracing off: nothing recorded, nothing injected. */
export const noTracing: Tracing = {
  enabled: false,
  server: (_info, run) => run(),
  client: (info, run) => run(info.params),
  internal: (_name, _attributes, run) => run(),
  model: (_info, run) => run(),
  injectHeaders: () => {},
  current: () => undefined,
  shutdown: async () => {}
};
