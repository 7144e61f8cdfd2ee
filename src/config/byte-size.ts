import * as z from 'zod/v4';

const byteSizePattern = /^(\d+(?:\.\d+)?)\s*(b|kb|kib|mb|mib|gb|gib)?$/i;
const factors: Record<string, number> = { b: 1, kb: 1000, kib: 1024, mb: 1e6, mib: 1024 ** 2, gb: 1e9, gib: 1024 ** 3 };

/** A size in bytes: a number, or a string such as `512KiB`, `64MB`, `1GiB`. Parsed to bytes. */
export const byteSizeSchema = z.union([z.number().int().nonnegative(), z.string()]).transform((value, context) => {
  if (typeof value === 'number') return value;
  const match = byteSizePattern.exec(value.trim());
  if (!match) {
    context.addIssue({
      code: 'custom',
      message: `expected a size such as 65536, 512KiB, 64MB or 1GiB, got "${value}"`
    });
    return z.NEVER;
  }
  return Math.round(Number(match[1]) * (factors[(match[2] ?? 'b').toLowerCase()] ?? 1));
});
