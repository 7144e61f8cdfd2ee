import type { UsageRow } from '../store/index.js';

/** What `manifold usage --by` groups on. */
export const usageGroups = ['tool', 'server', 'view', 'workflow', 'principal'] as const;
export type UsageGroup = (typeof usageGroups)[number];

/** Totals of one group (`key` is `''` for none: no view, the gateway's own tools, no workflow). */
export interface UsageTotal {
  key: string;
  calls: number;
  inputTokens: number;
  resultTokens: number;
  modelTokens: number;
  totalTokens: number;
}

/** Sums hourly rows per group, largest total first (then by name). */
export function summarizeUsage(rows: readonly UsageRow[], by: UsageGroup): UsageTotal[] {
  const groups = new Map<string, UsageTotal>();
  for (const row of rows) {
    const key = row[by];
    const total = groups.get(key) ?? { key, calls: 0, inputTokens: 0, resultTokens: 0, modelTokens: 0, totalTokens: 0 };
    total.calls += row.calls;
    total.inputTokens += row.inputTokens;
    total.resultTokens += row.resultTokens;
    total.modelTokens += row.modelTokens;
    total.totalTokens = total.resultTokens + total.modelTokens;
    groups.set(key, total);
  }
  return [...groups.values()].sort((a, b) => b.totalTokens - a.totalTokens || a.key.localeCompare(b.key));
}
