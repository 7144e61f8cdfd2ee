import type { ManifoldConfig } from '../config/index.js';
import { ManifoldError } from '../core/errors.js';

/**
 * A command line the CLI cannot act on (a missing argument, a bad flag value): exit code 2, as for a bad
 * config, and checked before any server is started. Still an INVALID_PARAMS ManifoldError for callers.
 */
export class UsageError extends ManifoldError {
  constructor(message: string) {
    super('INVALID_PARAMS', message);
  }
}

/** `--<flag>` as a whole number within bounds, or a UsageError that names the flag and what it takes. */
export function parseWholeNumber(flag: string, text: string | undefined, fallback: number, min: number, max = Number.MAX_SAFE_INTEGER): number {
  if (text === undefined) return fallback;
  const value = Number(text);
  if (text.trim() === '' || !Number.isInteger(value) || value < min || value > max) {
    throw new UsageError(`--${flag} takes a whole number ${max === Number.MAX_SAFE_INTEGER ? `of ${min} or more` : `from ${min} to ${max}`}, got "${text}"`);
  }
  return value;
}

/** `--view <name>` names `default` or a view declared under `views:`; checked before servers start. */
export function checkViewName(config: ManifoldConfig, name: string): void {
  if (name === 'default' || Object.hasOwn(config.views ?? {}, name)) return;
  const names = Object.keys(config.views ?? {});
  throw new UsageError(
    `--view: no view "${name}" in the config (views: ${names.join(', ') || 'none declared'}); declare it under views:, or leave --view out for the default view`
  );
}
