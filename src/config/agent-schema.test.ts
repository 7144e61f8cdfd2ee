import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import { ManifoldError } from '../core/errors.js';
import { parseConfig } from './parse-config.js';

function messageOf(text: string, env: Record<string, string> = {}): string {
  try {
    parseConfig(text, { env });
  } catch (error) {
    assert.ok(error instanceof ManifoldError, `expected ManifoldError, got ${String(error)}`);
    assert.equal(error.code, 'CONFIG_INVALID');
    return error.message;
  }
  assert.fail('expected a config error');
}

const servers = 'servers:\n  everything: { command: node }\n';

describe('models and agents in the config', () => {
  it('parses a model and an agent with defaults; apiKey takes ${ENV}', () => {
    const { config } = parseConfig(
      `${servers}models:\n  local: { provider: openai, baseURL: "http://127.0.0.1:11434/v1", model: llama3.1, apiKey: "\${KEY}", timeout: 30s }\nagents:\n  probe: { model: local, servers: [everything] }\n`,
      { env: { KEY: 'sk-test' } }
    );
    assert.deepEqual(config.models.local, {
      provider: 'openai',
      baseURL: 'http://127.0.0.1:11434/v1',
      model: 'llama3.1',
      apiKey: 'sk-test',
      headers: {},
      timeout: 30_000,
      maxRetries: 2
    });
    assert.deepEqual(config.agents.probe, { model: 'local', servers: ['everything'], maxTurns: 10 });
  });

  it('an agent naming an unknown model or server is an error naming the path', () => {
    const message = messageOf(
      `${servers}models:\n  local: { provider: anthropic, model: claude }\nagents:\n  probe: { model: locl, servers: [everything, nope] }\n`
    );
    assert.match(message, /agents\.probe\.model: unknown model "locl"; declared models: "local"/);
    assert.match(message, /agents\.probe\.servers\.1: unknown server "nope"; declared servers: "everything"/);
  });

  it('an agent named like a workflow is an error (both would be one tool)', () => {
    const message = messageOf(
      `${servers}models:\n  m: { provider: anthropic, model: x }\nagents:\n  report: { model: m, servers: [everything] }\nworkflows:\n  report: { steps: [{ id: a, call: everything__echo }] }\n`
    );
    assert.match(message, /agents\.report: a workflow is named "report" too/);
  });

  it('an agent with no models declared says there are none', () => {
    assert.match(
      messageOf(`${servers}agents:\n  probe: { model: local, servers: [everything] }\n`),
      /agents\.probe\.model: unknown model "local"; declared models: none/
    );
  });

  it('rejects an unknown provider, an openai model without baseURL, typos, bad names and a missing variable', () => {
    assert.match(
      messageOf('models:\n  m: { provider: llama, model: x }\n'),
      /models\.m\.provider: expected "openai" .* "anthropic" .* or "sampling" \(the calling client.s own model\)/
    );
    assert.match(
      messageOf('models:\n  m: { provider: openai, model: x }\n'),
      /models\.m\.baseURL: required for provider "openai"/
    );
    assert.match(
      messageOf('models:\n  m: { provider: anthropic }\n'),
      /models\.m\.model: required for provider "anthropic"/
    );
    assert.match(
      messageOf('models:\n  m: { provider: sampling, baseURL: "http://x/v1" }\n'),
      /models\.m\.baseURL: not used by provider "sampling"/
    );
    assert.equal(parseConfig('models:\n  m: { provider: sampling }\n').config.models.m?.provider, 'sampling');
    assert.match(
      messageOf('models:\n  m: { provider: anthropic, model: x, api_key: y }\n'),
      /models\.m: unknown key "api_key"/
    );
    assert.match(
      messageOf(
        `${servers}models:\n  m: { provider: anthropic, model: x }\nagents:\n  a__b: { model: m, servers: [everything] }\n`
      ),
      /agents\.a__b: agent name "a__b" must use/
    );
    assert.match(
      messageOf(`${servers}models:\n  m: { provider: anthropic, model: x }\nagents:\n  a: { model: m, servers: [] }\n`),
      /agents\.a\.servers: name at least one server/
    );
    assert.match(
      messageOf('models:\n  m: { provider: anthropic, model: x, apiKey: "${ANTHROPIC_KEY}" }\n'),
      /models\.m\.apiKey: .*ANTHROPIC_KEY/
    );
  });
});
