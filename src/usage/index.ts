export { budgetExceeded, type BudgetInfo, budgetMetaKey, Budgets, toBudgetToolResult } from './budgets.js';
export { TokenAccounting, type UsageEntry, type WindowUse } from './token-accounting.js';
export { createUsageStage, modelTokensOf } from './usage-stage.js';
export { type AnswerSubject, Usage, type UsageSetup } from './usage.js';
export { summarizeUsage, type UsageGroup, usageGroups, type UsageTotal } from './summarize-usage.js';
export { answerText, canonicalJson } from './answer-text.js';
export type { SharedWindows, WindowIncrement, WindowRef } from './shared-windows.js';
export { RedisSharedWindows } from './redis/redis-shared-windows.js';
