/**
 * The one error type Manifold throws for local failures, and the one table that maps its codes to the
 * wire (JSON-RPC code, HTTP status, whether a retry can help). Unknown throws are normalised with
 * {@link toManifoldError} at each boundary, keeping the original as `cause`.
 */

export const errorTable = {
  CONFIG_INVALID: { jsonRpc: -32603, http: 500, retryable: false },
  CONFIG_NOT_FOUND: { jsonRpc: -32603, http: 500, retryable: false },
  NAME_CLASH: { jsonRpc: -32603, http: 500, retryable: false },
  TOOL_NOT_FOUND: { jsonRpc: -32602, http: 200, retryable: false },
  PROMPT_NOT_FOUND: { jsonRpc: -32602, http: 200, retryable: false },
  RESOURCE_NOT_FOUND: { jsonRpc: -32602, http: 200, retryable: false },
  INVALID_PARAMS: { jsonRpc: -32602, http: 200, retryable: false },
  METHOD_NOT_SUPPORTED: { jsonRpc: -32601, http: 200, retryable: false },
  UPSTREAM_UNAVAILABLE: { jsonRpc: -32010, http: 503, retryable: true },
  UPSTREAM_TIMEOUT: { jsonRpc: -32011, http: 504, retryable: true },
  UPSTREAM_CLOSED: { jsonRpc: -32012, http: 502, retryable: true },
  UPSTREAM_ERROR: { jsonRpc: -32603, http: 502, retryable: false },
  /** A remote server's OAuth sign-in is missing or was refused: `manifold login <server>` mends it. */
  UPSTREAM_AUTH_REQUIRED: { jsonRpc: -32019, http: 503, retryable: false },
  /** Getting a token for a remote server failed (discovery, registration, token endpoint). */
  UPSTREAM_AUTH_FAILED: { jsonRpc: -32018, http: 502, retryable: true },
  SPAWN_FAILED: { jsonRpc: -32010, http: 503, retryable: true },
  MODEL_ERROR: { jsonRpc: -32013, http: 502, retryable: true },
  MODEL_OUTPUT_INVALID: { jsonRpc: -32014, http: 502, retryable: false },
  /** A limit of `limits.calls` or `limits.http`; `data.retryAfterMs` says when a retry can succeed. */
  RATE_LIMITED: { jsonRpc: -32029, http: 429, retryable: true },
  /** A server's call queue (`limits.upstreams.<server>.maxQueue`) is full. */
  UPSTREAM_BUSY: { jsonRpc: -32030, http: 503, retryable: true },
  /** A token budget (`budgets:`) is spent; `data.budget.resetsAt` says when its window starts again. */
  BUDGET_EXCEEDED: { jsonRpc: -32031, http: 429, retryable: true },
  /** A tool's definition changed since it was approved (pinning): hidden and refused until `manifold tools approve`. */
  TOOL_CHANGED: { jsonRpc: -32050, http: 200, retryable: false },
  /** A tool blocked by `manifold tools block`: hidden and refused. */
  TOOL_BLOCKED: { jsonRpc: -32051, http: 200, retryable: false },
  /** A tool of a quarantined server (`quarantine: true`) not approved yet: hidden and refused. */
  TOOL_PENDING: { jsonRpc: -32052, http: 200, retryable: false },
  CANCELLED: { jsonRpc: -32800, http: 499, retryable: false },
  INTERNAL: { jsonRpc: -32603, http: 500, retryable: false }
} as const satisfies Record<string, { jsonRpc: number; http: number; retryable: boolean }>;

export type ErrorCode = keyof typeof errorTable;

export interface ManifoldErrorOptions {
  cause?: unknown;
  /** Structured details for the wire (`error.data`) and for logs. */
  data?: Record<string, unknown>;
}

/** A local failure with a string code; translated to the wire at the edge, never leaked raw. */
export class ManifoldError extends Error {
  override readonly name = 'ManifoldError';
  readonly code: ErrorCode;
  readonly data: Record<string, unknown> | undefined;

  constructor(code: ErrorCode, message: string, options: ManifoldErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.code = code;
    this.data = options.data;
  }

  get jsonRpcCode(): number {
    return errorTable[this.code].jsonRpc;
  }

  get httpStatus(): number {
    return errorTable[this.code].http;
  }

  get retryable(): boolean {
    return errorTable[this.code].retryable;
  }
}

export function isManifoldError(value: unknown): value is ManifoldError {
  return value instanceof ManifoldError;
}

/** Normalises any thrown value into a ManifoldError, keeping the original as `cause`. */
export function toManifoldError(value: unknown, fallback: ErrorCode = 'INTERNAL'): ManifoldError {
  if (value instanceof ManifoldError) return value;
  const message = value instanceof Error ? value.message : String(value);
  return new ManifoldError(fallback, message, { cause: value });
}

/**
 * The message of any thrown value, for logs and error texts. When a system error (connect ECONNREFUSED,
 * getaddrinfo ENOTFOUND, a TLS certificate error) lies in its `cause` chain and the message does not say
 * it ("fetch failed"), that root cause comes first: `connect ECONNREFUSED 127.0.0.1:1 (fetch failed)`.
 * A ManifoldError's own message is kept as written.
 */
export function errorMessage(value: unknown): string {
  if (value instanceof Error) {
    // A ManifoldError's message is written to say what happened already; others may only wrap the cause.
    const root = value instanceof ManifoldError ? undefined : systemCause(value);
    return root && !value.message.includes(root) ? `${root} (${value.message})` : value.message;
  }
  if (typeof value === 'string') return value;
  try {
    return JSON.stringify(value);
  } catch {
    return String(value);
  }
}

/** The message of the deepest Node system error (string code like ECONNREFUSED, UND_ERR_*, *CERT*) in a cause chain. */
function systemCause(error: Error): string | undefined {
  let found: string | undefined;
  let current: unknown = error.cause;
  for (let depth = 0; current instanceof Error && depth < 10; depth++) {
    const code = (current as { code?: unknown }).code;
    if (typeof code === 'string' && /^(E[A-Z0-9]+|UND_ERR_[A-Z_]+|[A-Z_]*CERT[A-Z_]*)$/.test(code) && current.message)
      found = current.message;
    current = current.cause;
  }
  return found;
}
