import * as z from 'zod/v4';

/** Finding severities, most severe first. `off` (in `rules`) drops a rule's findings. */
export const scanSeverities = ['high', 'medium', 'low'] as const;
export type ScanSeverity = (typeof scanSeverities)[number];

/** Labels a view's tools carry for toxic-flow checks (docs/SECURITY.md "Scanner"). */
export const flowLabels = ['untrusted-content', 'private-data', 'public-sink', 'destructive'] as const;
export type FlowLabel = (typeof flowLabels)[number];

/**
 * How much a server is trusted (`servers.<name>.trust`). A `trusted` server's scanner findings are lowered
 * one severity (high → medium → low), so they are reported but never hide a tool nor fail `manifold scan`.
 */
export const serverTrustSchema = z.enum(['trusted', 'untrusted']).default('untrusted');

const allowEntrySchema = z.strictObject({
  /** Glob on the server's config name; any when absent. */
  server: z.string().min(1).optional(),
  /** Glob on the tool's public name (`(instructions)` for a server's instructions); any when absent. */
  tool: z.string().min(1).optional(),
  /** A rule id (`E001`) or glob (`W*`); any when absent. */
  rule: z.string().min(1).optional()
}).refine(entry => entry.server !== undefined || entry.tool !== undefined || entry.rule !== undefined, 'an allow entry needs server, tool or rule (an empty one would silence every finding)');

/** `security.scan`: the tool-definition scanner (docs/SECURITY.md "Scanner"). */
export const securityScanSchema = z.strictObject({
  /** Scan tool definitions as servers list them (at load time and on every change); `manifold scan` always scans. */
  enabled: z.boolean().default(true),
  /**
   * What a high finding does at load time: `hide` keeps the tool out of every list, view and search, and a call
   * to it gets a tool error naming the finding; `warn` only logs it. Default `hide`: a poisoned description is
   * text the model reads, so only keeping it out of the list protects the model.
   */
  onHigh: z.enum(['hide', 'warn']).default('hide'),
  /** Per rule id: another severity, or `off`. */
  rules: z.record(z.string().regex(/^[A-Z]{1,2}\d{3}$/, 'expected a rule id such as E001 or TF001'), z.enum([...scanSeverities, 'off'])).default({}),
  /** Findings to ignore, by server, tool and rule (globs); a matching finding is dropped. */
  allow: z.array(allowEntrySchema).default([]),
  /** Globs on public tool names → labels for toxic-flow checks, added to what annotations imply. */
  labels: z.record(z.string().min(1), z.array(z.enum(flowLabels))).default({})
});

export type SecurityScanOptions = z.infer<typeof securityScanSchema>;
