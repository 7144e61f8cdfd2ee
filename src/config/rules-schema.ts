import * as z from 'zod/v4';

import type { ReferenceIssue } from './references.js';
import { compileRuleExpression } from './rule-expression.js';

/** What a rule's `kind` can be (docs/SECURITY.md, "Variables"). */
export const ruleKinds = ['tool', 'workflow', 'agent', 'orchestrator', 'router', 'prompt', 'resource', 'run'] as const;

/** The sources of the gateway's own tools, which `server` names for them. */
export const localToolSources = ['workflows', 'agents', 'orchestrators', 'routers'] as const;

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

/**
 * A rule that compares `server`, `kind` or `principal.views` with a name the config does not have would never
 * match (a deny that never denies): an issue at the rule's path for each such name.
 */
export function checkRuleReferences(config: { rules: AccessRule[]; servers: Record<string, unknown>; views?: Record<string, unknown> | undefined }): ReferenceIssue[] {
  const issues: ReferenceIssue[] = [];
  const servers = [...Object.keys(config.servers), ...localToolSources];
  const views = ['default', ...Object.keys(config.views ?? {})];
  for (const [index, rule] of config.rules.entries()) {
    const effect = rule.allow !== undefined ? 'allow' : 'deny';
    const source = rule.allow ?? rule.deny;
    if (source === undefined) continue;
    let names;
    try {
      names = compileRuleExpression(source).names;
    } catch {
      continue; // reported by the expression's own check
    }
    for (const { variable, value } of names) {
      const known = variable === 'server' ? servers : variable === 'kind' ? (ruleKinds as readonly string[]) : views;
      if (known.includes(value)) continue;
      const what = variable === 'server' ? 'server' : variable === 'kind' ? 'kind' : 'view';
      issues.push({
        path: ['rules', index, effect],
        message: `${what} "${value}" is not ${variable === 'kind' ? 'a kind' : 'configured'}, so the rule would never match; ${what === 'kind' ? 'kinds' : `${what}s`}: ${known.map(name => `"${name}"`).join(', ')}`
      });
    }
  }
  return issues;
}
