import * as z from 'zod/v4';

const durationPattern = /^(\d+(?:\.\d+)?)\s*(ms|s|m|h)?$/;

/** A duration: a number of milliseconds, or a string such as `500ms`, `30s`, `2m`. Parsed to ms. */
export const durationSchema = z.union([z.number().nonnegative(), z.string()]).transform((value, context) => {
  if (typeof value === 'number') return value;
  const match = durationPattern.exec(value.trim());
  if (!match) {
    context.addIssue({ code: 'custom', message: `expected a duration such as 500ms, 30s or 2m, got "${value}"` });
    return z.NEVER;
  }
  const amount = Number(match[1]);
  const unit = match[2] ?? 'ms';
  const factor = unit === 'h' ? 3_600_000 : unit === 'm' ? 60_000 : unit === 's' ? 1000 : 1;
  return Math.round(amount * factor);
});
