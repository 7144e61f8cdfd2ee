import * as z from 'zod/v4';

/** Paths the HTTP face serves itself; `metrics.path` may not take one of them. */
const reservedPaths = ['/mcp', '/sse', '/messages', '/healthz', '/console'];

/**
 * Prometheus metrics on the HTTP port (docs/OBSERVABILITY.md "Metrics"). On by default: the gateway counts
 * every call either way, and the page is served only where the HTTP face is (loopback without `auth:`).
 */
export const metricsOptionsSchema = z.strictObject({
  /** Off: nothing is counted and the path answers 404. */
  enabled: z.boolean().default(true),
  /** Where the text exposition format is served, on the HTTP face's port. */
  path: z
    .string()
    .regex(/^\/[A-Za-z0-9._~\-/]*$/, 'expected an absolute URL path such as /metrics')
    .refine(path => !reservedPaths.some(reserved => path === reserved || path.startsWith(`${reserved}/`)) && !path.startsWith('/.well-known/'), {
      message: `expected a path the gateway does not serve already (not ${reservedPaths.join(', ')} or /.well-known/…)`
    })
    .default('/metrics'),
  /**
   * With `auth:` (keys or tokens), a scrape needs a valid credential like any other request; `public: true`
   * serves the page to anyone who passes the request guard (put a firewall or the scraper's network in front).
   * Without `auth:` (loopback only, or `auth: none`) the page is open either way.
   */
  public: z.boolean().default(false)
});

export type MetricsOptions = z.infer<typeof metricsOptionsSchema>;
