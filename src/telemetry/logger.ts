import { appendFileSync } from 'node:fs';

import { defaultRedactor, type Redactor, safeRedactText, safeRedactValue } from '../redaction/index.js';
import { activeTraceFields } from './tracing/active-trace-ids.js';

export const logLevels = ['debug', 'info', 'warn', 'error', 'silent'] as const;
export type LogLevel = (typeof logLevels)[number];

const rank: Record<LogLevel, number> = { debug: 10, info: 20, warn: 30, error: 40, silent: 100 };

/** Diagnostic logger. Never writes to stdout: stdout belongs to the stdio transport. */
export interface Logger {
  debug(message: string, fields?: Record<string, unknown>): void;
  info(message: string, fields?: Record<string, unknown>): void;
  warn(message: string, fields?: Record<string, unknown>): void;
  error(message: string, fields?: Record<string, unknown>): void;
  /** A logger whose lines carry `scope` (e.g. `upstream:memory`). */
  child(scope: string): Logger;
  isEnabled(level: LogLevel): boolean;
}

export interface LoggerOptions {
  level?: LogLevel;
  /** Where lines go: a function (tests), a file path, or stderr (default). */
  sink?: ((line: string) => void) | { file: string };
  /**
   * `text` (default) or `json`: one object a line, `{ time, level, logger, message, fields }` and, inside a traced
   * request, `trace_id`, `span_id`, `request_id`, `session_id` (docs/OBSERVABILITY.md "Logs").
   */
  format?: 'text' | 'json';
  scope?: string;
  /** Secrets and PII in messages and fields are replaced by `[REDACTED:<rule>]`, always (docs/SECURITY.md "Redaction"); tests inject a failing one. */
  redactor?: Redactor;
}

function toSink(sink: LoggerOptions['sink']): (line: string) => void {
  if (typeof sink === 'function') return sink;
  if (sink && 'file' in sink) {
    const file = sink.file;
    return line => appendFileSync(file, line + '\n');
  }
  return line => process.stderr.write(line + '\n');
}

/** Creates a logger that writes to stderr (or the given sink). */
export function createLogger(options: LoggerOptions = {}): Logger {
  const level = options.level ?? 'info';
  const write = toSink(options.sink);
  const format = options.format ?? 'text';
  const redactor = options.redactor ?? defaultRedactor;

  const make = (scope: string | undefined): Logger => {
    const emit = (lineLevel: Exclude<LogLevel, 'silent'>, rawMessage: string, rawFields?: Record<string, unknown>) => {
      if (rank[lineLevel] < rank[level]) return;
      // Redacted always; a redactor that throws writes its marker instead of the raw text (fail closed).
      const message = safeRedactText(rawMessage, redactor);
      const fields = rawFields && (safeRedactValue(rawFields, redactor) as Record<string, unknown>);
      const time = new Date().toISOString();
      if (format === 'json') {
        const line = { time, level: lineLevel, ...(scope ? { logger: scope } : {}), message, ...(fields && Object.keys(fields).length > 0 ? { fields } : {}), ...activeTraceFields() };
        write(safeJson(line));
        return;
      }
      const tag = scope ? ` [${scope}]` : '';
      const extra = fields && Object.keys(fields).length > 0 ? ' ' + safeJson(fields) : '';
      write(`${time} ${lineLevel.toUpperCase().padEnd(5)}${tag} ${message}${extra}`);
    };
    return {
      debug: (message, fields) => emit('debug', message, fields),
      info: (message, fields) => emit('info', message, fields),
      warn: (message, fields) => emit('warn', message, fields),
      error: (message, fields) => emit('error', message, fields),
      child: childScope => make(scope ? `${scope}:${childScope}` : childScope),
      isEnabled: lineLevel => rank[lineLevel] >= rank[level]
    };
  };
  return make(options.scope);
}

function safeJson(value: unknown): string {
  try {
    return JSON.stringify(value);
  } catch {
    return String(value);
  }
}

/** A logger that drops everything. */
export const silentLogger: Logger = createLogger({ level: 'silent', sink: () => {} });
