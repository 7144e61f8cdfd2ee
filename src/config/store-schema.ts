import * as z from 'zod/v4';

/** A PostgreSQL connection URL (`postgres://user:password@host:port/database`, or `postgresql://`). */
export const postgresUrlSchema = z
  .string()
  .regex(/^postgres(ql)?:\/\/\S+$/i, 'must be a PostgreSQL URL: postgres://user:password@host:5432/database');

/** `store: <string>`: a postgres:// URL is `{ url }`, anything else a SQLite path `{ path }`. */
export function storeShorthand(value: unknown): unknown {
  if (typeof value !== 'string') return value;
  return /^postgres(ql)?:\/\//i.test(value) ? { url: value } : { path: value };
}
