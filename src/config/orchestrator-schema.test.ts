import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import { ManifoldError } from '../core/errors.js';
import { parseConfig } from './parse-config.js';

function messageOf(text: string): string {
  try {
    parseConfig(text, { env: {} });
  } catch (error) {
    assert.ok(error instanceof ManifoldError, `expected ManifoldError, got ${String(error)}`);
    assert.equal(error.code, 'CONFIG_INVALID');
    return error.message;
  }
  assert.fail('expected a config error');
}

const base =
  'servers:\n  everything: { command: node }\nmodels:\n  local: { provider: anthropic, model: claude }\nagents:\n  researcher: { model: local, servers: [everything] }\n';

describe('orchestrators in the config', () => {
  it('parses an orchestrator with defaults; budget.time takes a duration', () => {
    const { config } = parseConfig(
      `${base}orchestrators:\n  lead: { model: local, workers: [researcher], budget: { tokens: 5000, time: 90s } }\n`,
      { env: {} }
    );
    assert.deepEqual(config.orchestrators.lead, {
      model: 'local',
      workers: ['researcher'],
      plan: 'full',
      maxIterations: 5,
      maxParallel: 8,
      budget: { tokens: 5000, time: 90_000 }
    });
  });

  it('an unknown model or worker agent is an error naming the path', () => {
    const message = messageOf(`${base}orchestrators:\n  lead: { model: locl, workers: [researcher, ghost] }\n`);
    assert.match(message, /orchestrators\.lead\.model: unknown model "locl"; declared models: "local"/);
    assert.match(
      message,
      /orchestrators\.lead\.workers\.1: unknown worker agent "ghost"; declared agents: "researcher"/
    );
  });

  it('a name taken by an agent or a workflow is an error (both would be one tool)', () => {
    assert.match(
      messageOf(`${base}orchestrators:\n  researcher: { model: local, workers: [researcher] }\n`),
      /orchestrators\.researcher: an agent is named "researcher" too/
    );
    assert.match(
      messageOf(
        `${base}orchestrators:\n  report: { model: local, workers: [researcher] }\nworkflows:\n  report: { steps: [{ id: a, call: everything__echo }] }\n`
      ),
      /orchestrators\.report: a workflow is named "report" too/
    );
  });

  it('rejects no workers, an unknown plan mode, a typo, a bad budget and a bad name', () => {
    assert.match(
      messageOf(`${base}orchestrators:\n  lead: { model: local, workers: [] }\n`),
      /orchestrators\.lead\.workers: name at least one agent/
    );
    assert.match(
      messageOf(`${base}orchestrators:\n  lead: { model: local, workers: [researcher], plan: greedy }\n`),
      /orchestrators\.lead\.plan: expected "full" \(plan once\) or "iterative"/
    );
    assert.match(
      messageOf(`${base}orchestrators:\n  lead: { model: local, workers: [researcher], maxIteration: 3 }\n`),
      /orchestrators\.lead.*maxIteration/
    );
    assert.match(
      messageOf(`${base}orchestrators:\n  lead: { model: local, workers: [researcher], budget: { tokens: 0 } }\n`),
      /orchestrators\.lead\.budget\.tokens/
    );
    assert.match(
      messageOf(`${base}orchestrators:\n  lead__x: { model: local, workers: [researcher] }\n`),
      /orchestrator name "lead__x" must use letters/
    );
  });
});
