export { DurableRuns, type RunResumer } from './durable-runs.js';
export { type RunLeaseOptions, runLeasesWanted } from './run-leases.js';
export { deriveAnnotations, isRetrySafe } from './check-workflow-tools.js';
export { type CompiledStep, type CompiledWorkflow, compileWorkflow, findCycles, type WorkflowProblem } from './compile-workflow.js';
export { executeWorkflow, type ExecuteWorkflowOptions, isTruthy, newRunId } from './execute-workflow.js';
export { type ModelCallRecord, type RunUsageSummary, usageMetaKey, type WorkflowModels } from './model-steps.js';
export { runIdMetaKey } from './step-failure.js';
export { type CompiledTemplate, compileTemplate, evaluateTemplate, type Scope } from './template.js';
export { parseIfJson, toStepValue } from './to-step-value.js';
export {
  checkWorkflowDefinitions,
  formatProblem,
  runWorkflowToolName,
  WorkflowEngine,
  type WorkflowEngineOptions,
  workflowSource
} from './workflow-engine.js';
