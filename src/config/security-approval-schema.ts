import * as z from 'zod/v4';

import { durationSchema } from './duration.js';
import { compileRuleExpression } from './rule-expression.js';

/** A CEL condition over the rule variables (docs/SECURITY.md "Rules"), checked at load. */
const conditionSchema = z
  .string()
  .min(1, 'an empty condition; write a CEL condition such as server == "github" && tool.endsWith("delete_repo")')
  .superRefine((source, context) => {
    try {
      compileRuleExpression(source);
    } catch (error) {
      context.addIssue({ code: 'custom', message: `invalid approval condition: ${(error as Error).message}` });
    }
  });

const toolGlobs = z.array(z.string().min(1)).default([]);

/**
 * `security.approval` (docs/SECURITY.md "Approval before destructive calls"): which tool calls wait for a person.
 * A call needs approval when its tool matches `always`; else not when it matches `never`; else when `when` holds
 * or (with `destructive`, the default) the tool says `destructiveHint: true` (after the server's `annotations`
 * corrections) and its server is not `trust: trusted`.
 */
export const approvalOptionsSchema = z.strictObject({
  /** Off switch: no call waits for anyone. */
  enabled: z.boolean().default(true),
  /** Ask for tools that declare `destructiveHint: true` on servers not marked `trust: trusted`. */
  destructive: z.boolean().default(true),
  /** Public tool names (globs) whose calls always need approval, trusted server or not. */
  always: toolGlobs,
  /** Public tool names (globs) whose calls never need approval (`always` wins over it). */
  never: toolGlobs,
  /** A CEL condition over the call (the `rules:` variables: principal, server, tool, annotations, arguments, …). */
  when: conditionSchema.optional(),
  /** How long an approval asked for stays open: the retry with an input_required state, or a CLI grant, must come within it. */
  expiry: durationSchema.default(600_000)
});

export type ApprovalOptions = z.infer<typeof approvalOptionsSchema>;

