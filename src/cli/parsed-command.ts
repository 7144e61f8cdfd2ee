import type { LogLevel } from '../telemetry/logger.js';

/** A command line after parsing: option values and positional arguments. */
export interface ParsedCommand {
  values: Record<string, string | boolean | string[] | undefined>;
  positionals: string[];
}

/** The options every command shares, typed. */
export function commonOptions(parsed: ParsedCommand): { config?: string; logLevel?: LogLevel } {
  const config = parsed.values.config;
  const level = parsed.values['log-level'];
  return {
    ...(typeof config === 'string' ? { config } : {}),
    ...(typeof level === 'string' ? { logLevel: level as LogLevel } : {})
  };
}

export function stringOption(parsed: ParsedCommand, name: string): string | undefined {
  const value = parsed.values[name];
  return typeof value === 'string' ? value : undefined;
}
