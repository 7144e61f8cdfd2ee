import * as z from 'zod/v4';

import { compileRuleExpression } from './rule-expression.js';

/** A CEL condition, checked at load: a parse or type error (an unknown variable or field) names the rule. */
const expressionSchema = z
  .string()
  .min(1, 'an empty rule; write a CEL condition such as server == "github"')
  .superRefine((source, context) => {
    try {
      compileRuleExpression(source);
    } catch (error) {
      context.addIssue({ code: 'custom', message: `invalid rule expression: ${(error as Error).message}` });
    }
  });

const ruleSchema = z
  .strictObject({
    /** When the condition holds, the caller may see and call the thing. */
    allow: expressionSchema.optional(),
    /** When the condition holds (or cannot be evaluated), the thing is hidden from the caller and refused. */
    deny: expressionSchema.optional(),
    /** What the rule is for (shown in logs). */
    description: z.string().optional()
  })
  .refine(rule => (rule.allow === undefined) !== (rule.deny === undefined), {
    message: 'a rule has exactly one of "allow" or "deny" (a CEL condition), e.g. - deny: server == "github"'
  });

/**
 * `rules:`, an ordered list of `- allow: <CEL>` / `- deny: <CEL>` (docs/SECURITY.md, "Rules"): the first rule
 * whose condition holds decides; when none does, the thing is allowed if the list has no `allow` rule, and
 * denied if it has one.
 */
export const rulesSchema = z.array(ruleSchema).default([]);

export type AccessRule = z.infer<typeof ruleSchema>;
