/** What one audited request did: the fields the hash chain covers (docs/OBSERVABILITY.md "Audit log"). */
export interface AuditRecord {
  /** Position in the chain: 1, 2, 3, … without gaps (a pruned log starts after its cut). */
  seq: number;
  /** When the request reached the pipeline, epoch ms. */
  time: number;
  /** `kind:name` of the caller (`local:local`, `key:ci`, `jwt:alice`). */
  principal: string;
  session: string;
  view: string | null;
  method: string;
  /** The public name (tool, prompt), URI (resource) or completion reference the request named. */
  target: string | null;
  /** The name on the server that serves it. */
  upstream: string | null;
  server: string | null;
  /** SHA-256 (hex) of the canonical JSON of the arguments, and its size in bytes. */
  argsDigest: string;
  argsSize: number;
  /** The arguments, secrets redacted: only with `audit.arguments: true`. */
  arguments: string | null;
  outcome: AuditOutcome;
  /** The error code (or a tool error's first text, clipped) of an outcome other than ok. */
  error: string | null;
  durationMs: number;
  resultSize: number;
  runId: string | null;
  stepId: string | null;
  /**
   * Only on a `tokens` row (method `tokens`): the seq of the call's row it counts, and the tokens token accounting
   * counted for that call (its arguments, its answer, the model tokens its answer reported). Absent on every other
   * row (so its hash is as before these fields existed).
   */
  ref?: number;
  inputTokens?: number;
  resultTokens?: number;
  modelTokens?: number;
}

/** The method of an audit row that carries a call's token counts (it names the call's row in `ref`). */
export const tokensMethod = 'tokens';

/** A row as `manifold audit` lists it: a call's row with the tokens of its `tokens` row, when one was written. */
export type AuditListedRow = AuditRow & { tokens?: { input: number; result: number; model: number; seq: number } };

export type AuditOutcome = 'ok' | 'tool_error' | 'protocol_error' | 'denied' | 'limited';

/** A stored row: the record, the hash of the row before it and its own. */
export interface AuditRow extends AuditRecord {
  prev: string;
  hash: string;
}

/** The chain head at a point: written every `checkpointEvery` rows, at shutdown, and at a retention cut. */
export interface AuditCheckpoint {
  /** The last row it covers (rows 1…seq; also the count of rows written since the chain began). */
  seq: number;
  count: number;
  hash: string;
  time: number;
  /** `cut`: rows up to seq were pruned; verification starts from here. */
  kind: 'periodic' | 'shutdown' | 'cut';
  /** Ed25519 signature (base64) over the checkpoint's canonical JSON, when a key is configured. */
  signature: string | null;
}

export interface AuditQuery {
  since?: number;
  /** A glob (`*`, `?`) over the target. */
  tool?: string;
  server?: string;
  principal?: string;
  limit?: number;
}

/** Where audit rows go (SQLite now; PostgreSQL in fleet mode). Appends are synchronous and durable once they return. */
export interface AuditStore {
  readonly path: string;
  /** The chain head to append after: the last row, else the last cut, else the genesis (seq 0, hash of 64 zeros). */
  head(): { seq: number; hash: string };
  /**
   * Appends rows after the current head in one transaction (another process appending to the same file waits for
   * the lock): `build` gets the head and returns the rows.
   */
  append(build: (head: { seq: number; hash: string }) => AuditRow[]): AuditRow[];
  addCheckpoint(checkpoint: AuditCheckpoint): void;
  checkpoints(): AuditCheckpoint[];
  /** Every row in seq order (verification). */
  rows(): Iterable<AuditRow>;
  /** Calls' rows (not `tokens` rows), each with its tokens when counted. */
  query(query: AuditQuery): AuditListedRow[];
  /** Deletes rows up to `seq` and the checkpoints before it, writing `cut` in the same transaction. */
  prune(cut: AuditCheckpoint): number;
  /** The last row written before `time`, if any. */
  lastBefore(time: number): AuditRow | undefined;
  close(): void;
}

export const genesisHash = '0'.repeat(64);
