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

const base = `servers:
  github: { command: node }
  fs: { command: node }
`;

describe('limits in the config', () => {
  it('has no limits unless configured', () => {
    const { config } = parseConfig(base, { env: {} });
    assert.deepEqual(config.limits, { calls: [], upstreams: {} });
  });

  it('parses call limits (durations in ms, defaults), the HTTP limit and server caps', () => {
    const { config } = parseConfig(
      `${base}limits:
  calls:
    - { name: search, principal: "agent-*", server: github, tool: "github__search*", requests: 100, per: 1m, inFlight: 5, by: [principal, tool] }
    - { server: "g*", inFlight: 2 }
  http: { requests: 600, per: 1m }
  upstreams:
    github: { maxInFlight: 20 }
    fs: { maxInFlight: 4, maxQueue: 0 }
`,
      { env: {} }
    );
    assert.deepEqual(config.limits.calls[0], {
      name: 'search',
      principal: 'agent-*',
      server: 'github',
      tool: 'github__search*',
      requests: 100,
      per: 60_000,
      inFlight: 5,
      by: ['principal', 'tool']
    });
    assert.deepEqual(config.limits.calls[1], { principal: '*', server: 'g*', inFlight: 2, by: ['principal'] });
    assert.deepEqual(config.limits.http, { requests: 600, per: 60_000 });
    assert.deepEqual(config.limits.upstreams, {
      github: { maxInFlight: 20, maxQueue: 100 },
      fs: { maxInFlight: 4, maxQueue: 0 }
    });
  });

  it('an unknown server is a startup error naming its config path and the servers there are', () => {
    const message = messageOf(`${base}limits:
  calls: [{ server: gitlab, requests: 1, per: 1s }]
  upstreams: { gitlub: { maxInFlight: 2 } }
`);
    assert.match(message, /limits\.upstreams\.gitlub: unknown server "gitlub"; configured servers: "github", "fs"/);
    assert.match(
      message,
      /limits\.calls\.0\.server: unknown server "gitlab"; configured servers: "github", "fs" \(or a glob such as "git\*"\)/
    );
  });

  it('bad durations, missing halves and unknown keys are errors with their paths', () => {
    assert.match(
      messageOf(`${base}limits: { calls: [{ requests: 10, per: soon }] }`),
      /limits\.calls\.0\.per: expected a duration such as 500ms, 30s or 2m, got "soon"/
    );
    assert.match(
      messageOf(`${base}limits: { calls: [{ requests: 10 }] }`),
      /limits\.calls\.0\.per: required with "requests"/
    );
    assert.match(
      messageOf(`${base}limits: { calls: [{ per: 1m, inFlight: 2 }] }`),
      /limits\.calls\.0\.requests: required with "per"/
    );
    assert.match(
      messageOf(`${base}limits: { calls: [{ tool: "x*" }] }`),
      /limits\.calls\.0: a call limit needs "requests" \(with "per"\), "inFlight", or both/
    );
    assert.match(
      messageOf(`${base}limits: { calls: [{ requests: 1, per: 0 }] }`),
      /limits\.calls\.0\.per: the window must be longer than 0/
    );
    assert.match(
      messageOf(`${base}limits: { http: { requests: 1, per: 0s } }`),
      /limits\.http\.per: the window must be longer than 0/
    );
    assert.match(
      messageOf(`${base}limits: { calls: [{ inFlight: 1, per_principal: true }] }`),
      /limits\.calls\.0: unknown key "per_principal"/
    );
    assert.match(
      messageOf(`${base}limits: { upstreams: { github: { maxQueue: 3 } } }`),
      /limits\.upstreams\.github\.maxInFlight: required/
    );
    assert.match(messageOf(`${base}limits: { calls: [{ inFlight: 1, by: [user] }] }`), /limits\.calls\.0\.by\.0/);
    assert.match(
      messageOf(`${base}limits: { calls: [{ name: a, inFlight: 1 }, { name: a, requests: 1, per: 1s }] }`),
      /limits\.calls\.1\.name: "a" names limits\.calls\[0\] too/
    );
  });
});
