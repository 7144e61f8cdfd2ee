import * as z from 'zod/v4';

import { durationSchema } from './duration.js';
import { declaredNames, type ReferenceIssue } from './references.js';

/** What splits a call limit's count into separate buckets. */
export const limitDimensions = ['principal', 'server', 'tool'] as const;
export type LimitDimension = (typeof limitDimensions)[number];

/**
 * One limit on calls (`limits.calls[i]`): the calls it matches (globs on the principal's name, the serving
 * server, the public tool name), how many may start per window, and how many may run at once. docs/CONFIG.md
 * "Limit calls".
 */
export const callLimitSchema = z
  .strictObject({
    /** Named in the error a limited caller gets; default `limits.calls[<index>]`. */
    name: z.string().min(1).optional(),
    /** Glob on the caller's principal name (`local`, a key's name, a token's subject); default every caller. */
    principal: z.string().min(1).default('*'),
    /** Glob on the server that serves the call; default every server (and the gateway's own tools). */
    server: z.string().min(1).optional(),
    /** Glob on the public tool name; given, the limit applies to tool calls only (not prompts, resources). */
    tool: z.string().min(1).optional(),
    /** Calls that may start per window (`per`), per bucket. */
    requests: z.number().int().min(1).optional(),
    /** The window of `requests`: a duration such as 30s or 1m. */
    per: durationSchema.optional(),
    /** Calls that may be in progress at once, per bucket. */
    inFlight: z.number().int().min(1).optional(),
    /** What gets its own bucket: each principal (default), each server, each tool; `[]` is one bucket for all. */
    by: z.array(z.enum(limitDimensions)).default(['principal'])
  })
  .superRefine((limit, context) => {
    if (limit.requests === undefined && limit.inFlight === undefined) {
      context.addIssue({ code: 'custom', message: 'a call limit needs "requests" (with "per"), "inFlight", or both' });
    }
    if (limit.requests !== undefined && limit.per === undefined) {
      context.addIssue({
        code: 'custom',
        path: ['per'],
        message: 'required with "requests": the window, e.g. per: 1m'
      });
    }
    if (limit.per !== undefined && limit.requests === undefined) {
      context.addIssue({
        code: 'custom',
        path: ['requests'],
        message: 'required with "per": how many calls per window'
      });
    }
    if (limit.per !== undefined && limit.per <= 0) {
      context.addIssue({ code: 'custom', path: ['per'], message: 'the window must be longer than 0' });
    }
  });

/** A cap on one upstream server's concurrent calls (`limits.upstreams.<server>`): more wait, up to `maxQueue`. */
export const upstreamLimitSchema = z.strictObject({
  /** Calls to this server in progress at once (over every session with it); more wait their turn. */
  maxInFlight: z.number().int().min(1),
  /** Calls that may wait for a turn; one more is refused with an error naming this key. */
  maxQueue: z.number().int().min(0).default(100)
});

/** A limit on whole HTTP requests per principal (`limits.http`): over it, 429 with Retry-After. */
export const httpLimitSchema = z.strictObject({
  /** HTTP requests (POSTs and stream GETs to /mcp, /sse, /messages) each principal may make per window. */
  requests: z.number().int().min(1),
  /** The window: a duration such as 1m. */
  per: durationSchema.refine(value => value > 0, 'the window must be longer than 0')
});

/** `limits:` rate limits and concurrency caps (docs/CONFIG.md "Limit calls"); none unless configured. */
export const limitsSchema = z
  .strictObject({
    calls: z.array(callLimitSchema).default([]),
    http: httpLimitSchema.optional(),
    upstreams: z.record(z.string(), upstreamLimitSchema).default({})
  })
  .superRefine((limits, context) => {
    const seen = new Map<string, number>();
    limits.calls.forEach((limit, index) => {
      if (limit.name === undefined) return;
      const first = seen.get(limit.name);
      if (first !== undefined) {
        context.addIssue({
          code: 'custom',
          path: ['calls', index, 'name'],
          message: `"${limit.name}" names limits.calls[${first}] too; give each limit its own name`
        });
      } else seen.set(limit.name, index);
    });
  });

export type LimitsConfig = z.output<typeof limitsSchema>;
export type CallLimitConfig = z.output<typeof callLimitSchema>;
export type UpstreamLimitConfig = z.output<typeof upstreamLimitSchema>;
export type HttpLimitConfig = z.output<typeof httpLimitSchema>;

const hasGlob = (value: string) => /[*?]/.test(value);

/** The servers `limits` names must be configured: each key of `upstreams`, and a `server` that is not a glob. */
export function checkLimitsReferences(config: {
  servers: Record<string, unknown>;
  limits: LimitsConfig;
}): ReferenceIssue[] {
  const issues: ReferenceIssue[] = [];
  for (const name of Object.keys(config.limits.upstreams)) {
    if (!(name in config.servers)) {
      issues.push({
        path: ['limits', 'upstreams', name],
        message: `unknown server "${name}"; configured servers: ${declaredNames(config.servers)}`
      });
    }
  }
  config.limits.calls.forEach((limit, index) => {
    if (limit.server !== undefined && !hasGlob(limit.server) && !(limit.server in config.servers)) {
      issues.push({
        path: ['limits', 'calls', index, 'server'],
        message: `unknown server "${limit.server}"; configured servers: ${declaredNames(config.servers)} (or a glob such as "git*")`
      });
    }
  });
  return issues;
}
