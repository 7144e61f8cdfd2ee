import { ExportResultCode, hrTimeToMicroseconds, type ExportResult } from '@opentelemetry/core';
import type { ReadableSpan, SpanExporter } from '@opentelemetry/sdk-trace-base';

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
          startUs: hrTimeToMicroseconds(span.startTime),
          durationUs: hrTimeToMicroseconds(span.duration),
          status: span.status,
          attributes: span.attributes
        }) + '\n'
      );
    }
    done({ code: ExportResultCode.SUCCESS });
  }

  async shutdown(): Promise<void> {}
}
