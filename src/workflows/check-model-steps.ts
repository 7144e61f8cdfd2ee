import { type CompiledStep, type CompiledWorkflow, eachStep, type WorkflowProblem } from './compile-workflow.js';
import { toZodSchema } from './ask-model.js';

/** The names model steps may refer to: the config's `models`, `agents` and `servers`. */
export interface ModelNames {
  models: readonly string[];
  agents: readonly string[];
  servers: readonly string[];
}

/**
 * Checks a workflow's model steps against the configured names: a model, agent or server that does not exist
 * is a config error naming the step's path (`workflows.brief.steps.1.agent`), as an unknown tool is.
 */
export function checkModelSteps(workflow: CompiledWorkflow, known: ModelNames, problems: WorkflowProblem[]): void {
  const problem = (path: string, message: string) => problems.push({ workflow: workflow.name, path, message, severity: 'error' });
  const list = (names: readonly string[], what: string) => (names.length > 0 ? `the ${what} are ${names.map(name => `"${name}"`).join(', ')}` : `no ${what} are configured`);
  const checkModel = (model: string, path: string) => {
    if (!known.models.includes(model)) problem(path, `there is no model "${model}" (${list(known.models, 'models')}; see docs/AGENTS.md)`);
  };
  const checkAgent = (agent: string, path: string) => {
    if (!known.agents.includes(agent)) problem(path, `there is no agent "${agent}" (${list(known.agents, 'agents')})`);
  };
  eachStep(workflow.steps, step => {
    switch (step.kind) {
      case 'parallel': {
        const aggregate = step.step.aggregate;
        if (aggregate) {
          checkModel(aggregate.model, `${step.path}.aggregate.model`);
          if (aggregate.schema && !toZodSchema(aggregate.schema)) problem(`${step.path}.aggregate.schema`, 'not a JSON Schema that can be checked (use objects, arrays, strings, numbers, booleans, enums)');
        }
        break;
      }
      case 'agent': {
        const agent = step.step.agent;
        if (typeof agent === 'string') checkAgent(agent, `${step.path}.agent`);
        else {
          checkModel(agent.model, `${step.path}.agent.model`);
          agent.servers.forEach((server, index) => {
            if (!known.servers.includes(server)) problem(`${step.path}.agent.servers.${index}`, `there is no server "${server}" (${list(known.servers, 'servers')})`);
          });
        }
        break;
      }
      case 'evaluate': {
        const { generator, evaluator } = step.step.evaluate;
        if ('agent' in generator) checkAgent(generator.agent, `${step.path}.evaluate.generator.agent`);
        else checkModel(generator.model, `${step.path}.evaluate.generator.model`);
        checkModel(evaluator.model, `${step.path}.evaluate.evaluator.model`);
        break;
      }
      case 'call':
      case 'map':
      case 'switch':
        break;
    }
  });
}

/** The kinds of model step a workflow has (nested ones and fallbacks too). */
export function modelStepKinds(steps: readonly CompiledStep[]): Set<'agent' | 'evaluate' | 'aggregate'> {
  const kinds = new Set<'agent' | 'evaluate' | 'aggregate'>();
  eachStep(steps, step => {
    if (step.kind === 'parallel' && step.step.aggregate) kinds.add('aggregate');
    if (step.kind === 'agent') kinds.add('agent');
    if (step.kind === 'evaluate') {
      kinds.add('evaluate');
      // An agent that writes the answer calls tools as an agent step does.
      if ('agent' in step.step.evaluate.generator) kinds.add('agent');
    }
  });
  return kinds;
}
