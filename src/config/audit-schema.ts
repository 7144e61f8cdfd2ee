import * as z from 'zod/v4';

/**
 * The audit log (docs/OBSERVABILITY.md "Audit log"): one hash-chained row per request in the store. On unless
 * `enabled: false`: an audit trail that must be switched on is missing when it is needed.
 */
export const auditOptionsSchema = z.strictObject({
  enabled: z.boolean().default(true),
  /** Keep each call's arguments (secret-named members redacted); off: only their SHA-256 and size. */
  arguments: z.boolean().default(false),
  /** Rows older than this many days are pruned (a signed checkpoint at the cut keeps the rest verifiable); absent: kept. */
  keepDays: z.number().positive().optional(),
  /**
   * Ed25519 private key that signs checkpoints: PEM or base64 of the 32-byte seed (usually `${AUDIT_KEY}`), or
   * `{ file }` (relative to the config file). Absent: checkpoints are unsigned.
   */
  signingKey: z.union([z.string().min(1, 'expected a key (PEM or base64), or { file }'), z.strictObject({ file: z.string().min(1) })]).optional(),
  /**
   * When a row cannot be written (the store is not writable, the disk is full): `serve` answers the request
   * anyway and logs an error (at most one a minute, with the count); `withhold` fails the request, so no answered
   * call goes unrecorded. Default `serve`: the log is on by default, and a store problem must not stop the gateway.
   */
  onFailure: z.enum(['serve', 'withhold']).default('serve'),
  /**
   * Where the chain head is anchored outside the store at each checkpoint (so cutting the tail together with the
   * checkpoints covering it is detected): a file path (relative to the config file); default `<store>.audit-head`
   * beside the store; `false`: none.
   */
  anchor: z.union([z.literal(false), z.string().min(1)]).optional(),
  /**
   * What a committed row survives: `process` (default) a crash or kill -9 of the gateway (committed to the WAL, in
   * the OS's page cache, without an fsync); `power` also a power cut or an OS crash (an fsync per commit: much
   * slower, see docs/PERFORMANCE.md).
   */
  durability: z.enum(['process', 'power']).default('process'),
  /** A checkpoint of the chain head after this many rows (and at shutdown). */
  checkpointEvery: z.number().int().min(1).default(1000)
});

export type AuditOptions = z.infer<typeof auditOptionsSchema>;
