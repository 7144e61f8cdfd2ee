export { AgentRunner, type AgentRunnerOptions, agentSource } from './agent-runner.js';
export { agentAnnotations, agentTools, toModelTool } from './agent-tools.js';
export { OrchestratorRunner, type OrchestratorRunnerOptions, orchestratorSource } from './orchestrator-runner.js';
export {
  type OrchestratorFailure,
  runOrchestrator,
  type RunOrchestratorOptions,
  type WorkerSetup
} from './run-orchestrator.js';
export { createModelBackend } from './create-model-backend.js';
export { extractJsonObject } from './extract-json.js';
export { type GeneratedJson, generateJson, type GenerateJsonOptions, type JsonCallUsage } from './generate-json.js';
export { LanguageModelBackend, type LanguageModelBackendOptions } from './language-model-backend.js';
export type {
  ModelBackend,
  ModelMessage,
  ModelRequest,
  ModelToolCall,
  ModelToolDefinition,
  ModelToolResult,
  ModelTurn,
  ModelUsage
} from './model-backend.js';
export {
  type AgentFailure,
  type AgentStep,
  type AgentUsage,
  type ModelCallUsage,
  runAgent,
  type RunAgentOptions,
  resultText,
  type StepOutcome
} from './run-agent.js';
export { type AgentRunHooks, type HookUnit, type ModelRunResume, type ModelRunsContext, recordModelRun } from './agent-run-hooks.js';
export {
  agentResumer,
  modelRunResumer,
  type ModelRunResumer,
  orchestratorResumer,
  parseRunDefinition,
  type ResumableModelRunner,
  type RunDefinition
} from './resume-agent-run.js';
export { journalHooks, type StepSink } from './journal-hooks.js';
