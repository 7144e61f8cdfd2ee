import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import { ManifoldError } from '../core/errors.js';
import { usageEnabled } from './budgets-schema.js';
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

const base = `servers:
  fs: { command: node }
views:
  search: { discovery: search }
`;

describe('budgets and usage in the config', () => {
  it('counts nothing unless usage.enabled or a budget is configured', () => {
    assert.equal(usageEnabled(parseConfig(base, { env: {} }).config), false);
    assert.equal(usageEnabled(parseConfig(`${base}usage: { enabled: true }\n`, { env: {} }).config), true);
    const { config } = parseConfig(`${base}budgets:\n  - { per: day, by: view, view: search, tokens: 1000 }\n  - { name: runs, per: run, workflow: "report-*", resultTokens: 50 }\n`, { env: {} });
    assert.equal(usageEnabled(config), true);
    assert.deepEqual(config.budgets[0], { per: 'day', by: 'view', principal: '*', view: 'search', tokens: 1000 });
    assert.equal(config.usage.maxPending, 10_000);
  });

  it('refuses a budget without an amount, a workflow on an hour budget, an unknown view, two of one name, budgets with usage off', () => {
    assert.match(messageOf(`${base}budgets:\n  - { per: hour }\n`), /budgets\.0.*a budget needs "tokens", "resultTokens" or "modelTokens"/s);
    assert.match(messageOf(`${base}budgets:\n  - { per: hour, workflow: x, tokens: 5 }\n`), /budgets\.0\.workflow.*"workflow" is for per: run budgets/s);
    assert.match(messageOf(`${base}budgets:\n  - { per: day, by: view, view: serch, tokens: 5 }\n`), /budgets\.0\.view.*no view "serch" is declared under views:/s);
    assert.match(messageOf(`${base}budgets:\n  - { name: a, per: day, tokens: 5 }\n  - { name: a, per: hour, tokens: 5 }\n`), /budgets\.1\.name.*the name "a" is already used by budgets\.0/s);
    assert.match(messageOf(`${base}usage: { enabled: false }\nbudgets:\n  - { per: day, tokens: 5 }\n`), /usage\.enabled.*budgets need token accounting/s);
    assert.match(messageOf(`${base}budgets:\n  - { per: week, tokens: 5 }\n`), /budgets\.0\.per/);
  });
});
