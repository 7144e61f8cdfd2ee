import type { LogLevel } from '../telemetry/logger.js';

/** A command line after parsing: option values and positional arguments. */
export interface ParsedCommand {
  values: Record<string, string | boolean | string[] | undefined>;
  positionals: string[];
}

/** The options every command shares, typed. */
export function commonOptions(parsed: ParsedCommand): { config?: string; logLevel?: LogLevel; logFormat?: 'text' | 'json' } {
  const config = parsed.values.config;
  const level = parsed.values['log-level'];
  const format = parsed.values['log-format'];
  return {
    ...(typeof config === 'string' ? { config } : {}),
    ...(typeof level === 'string' ? { logLevel: level as LogLevel } : {}),
    ...(format === 'text' || format === 'json' ? { logFormat: format } : {})
  };
}

export function stringOption(parsed: ParsedCommand, name: string): string | undefined {
  const value = parsed.values[name];
  return typeof value === 'string' ? value : undefined;
}
