import type { ExportResult } from '@opentelemetry/core';
import type { ReadableSpan, SpanExporter } from '@opentelemetry/sdk-trace-base';

/** `ExportResultCode.SUCCESS` of @opentelemetry/core (not imported: the SDK loads only when a gateway traces). */
const success = 0;

/** An OpenTelemetry high-resolution time (seconds, nanoseconds) in microseconds. */
const microseconds = ([seconds, nanos]: readonly [number, number]): number => seconds * 1e6 + nanos / 1e3;

/**
 * `exporter: console`: one JSON line per span on stderr. The SDK's ConsoleSpanExporter writes to stdout, which
 * belongs to the stdio transport.
 */
export class StderrSpanExporter implements SpanExporter {
  export(spans: ReadableSpan[], done: (result: ExportResult) => void): void {
    for (const span of spans) {
      const { traceId, spanId } = span.spanContext();
      process.stderr.write(
        JSON.stringify({
          span: span.name,
          kind: span.kind,
          traceId,
          spanId,
          parentSpanId: span.parentSpanContext?.spanId,
          startUs: microseconds(span.startTime),
          durationUs: microseconds(span.duration),
          status: span.status,
          attributes: span.attributes
        }) + '\n'
      );
    }
    done({ code: success });
  }

  async shutdown(): Promise<void> {}
}
