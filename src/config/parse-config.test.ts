import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import { ManifoldError } from '../core/errors.js';
import { parseConfig } from './parse-config.js';

function errorOf(fn: () => unknown): ManifoldError {
  try {
    fn();
  } catch (error) {
    assert.ok(error instanceof ManifoldError, `expected ManifoldError, got ${String(error)}`);
    return error;
  }
  assert.fail('expected an error');
}

describe('parseConfig', () => {
  it('gateway.reconnect: defaults 1 s doubling to 60 s; durations as elsewhere; unknown keys rejected', () => {
    assert.deepEqual(parseConfig('servers: {}\n').config.gateway.reconnect, { baseDelay: 1000, maxDelay: 60_000 });
    assert.deepEqual(parseConfig('gateway: { reconnect: { baseDelay: 200ms, maxDelay: 5s } }\n').config.gateway.reconnect, { baseDelay: 200, maxDelay: 5000 });
    assert.match(errorOf(() => parseConfig('gateway: { reconnect: { base: 1s } }\n')).message, /gateway\.reconnect: unknown key "base"/);
  });

  it('parses YAML with stdio and remote servers and fills defaults', () => {
    const { config } = parseConfig(
      `servers:
  memory: { command: npx, args: [-y, "@modelcontextprotocol/server-memory"] }
  docs: { url: "https://example.com/mcp", headers: { Authorization: "Bearer x" }, timeout: 30s }
`
    );
    const memory = config.servers.memory;
    assert.ok(memory && 'command' in memory);
    assert.deepEqual(memory.args, ['-y', '@modelcontextprotocol/server-memory']);
    assert.equal(memory.enabled, true);
    assert.equal(memory.prefix, true);
    const docs = config.servers.docs;
    assert.ok(docs && 'url' in docs);
    assert.equal(docs.timeout, 30_000);
    assert.equal(config.gateway.http.host, '127.0.0.1');
  });

  it('accepts a Claude Desktop mcpServers file unchanged', () => {
    const { config, warnings } = parseConfig(
      JSON.stringify({
        mcpServers: {
          fs: { command: 'npx', args: ['-y', '@modelcontextprotocol/server-filesystem', '/tmp'], env: { A: 'b' } },
          remote: { url: 'http://localhost:9/mcp', type: 'sse' },
          old: { command: 'x', disabled: true, autoApprove: ['a'] }
        }
      })
    );
    assert.deepEqual(Object.keys(config.servers), ['fs', 'remote', 'old']);
    assert.equal(config.servers.old?.enabled, false);
    assert.ok(warnings.some(warning => warning.includes('autoApprove')));
  });

  it('accepts a VS Code mcp.json with inputs', () => {
    const { config, warnings } = parseConfig(
      JSON.stringify({ inputs: [{ id: 'k', type: 'promptString' }], servers: { gh: { type: 'http', url: 'https://api.example.com/mcp' } } })
    );
    assert.ok(config.servers.gh);
    assert.ok(warnings.some(warning => warning.includes('inputs')));
  });

  it('expands ${VAR} and ${VAR:-default}, and names a missing variable with its path', () => {
    const { config } = parseConfig('servers:\n  a: { command: "${CMD}", args: ["${MISSING:-fallback}"] }\n', { env: { CMD: 'node' } });
    const a = config.servers.a;
    assert.ok(a && 'command' in a);
    assert.equal(a.command, 'node');
    assert.deepEqual(a.args, ['fallback']);
    const error = errorOf(() => parseConfig('servers:\n  a: { url: "https://x/${TOKEN}" }\n', { env: {} }));
    assert.match(error.message, /servers\.a\.url: environment variable TOKEN is not set/);
  });

  it('reports a bad URL with its path and the fix', () => {
    const error = errorOf(() => parseConfig('servers:\n  docs: { url: "ftp://example.com" }\n'));
    assert.match(error.message, /servers\.docs\.url: expected an http\(s\) URL/);
  });

  it('reports unknown keys (typos) instead of ignoring them', () => {
    const error = errorOf(() => parseConfig('servers:\n  a: { command: node, agrs: [x] }\n'));
    assert.match(error.message, /servers\.a: unknown key "agrs"/);
  });

  it('rejects server names that would make "__" ambiguous', () => {
    for (const name of ['a__b', '_a', 'a_', 'a b']) {
      const error = errorOf(() => parseConfig(`servers:\n  "${name}": { command: node }\n`));
      assert.match(error.message, /server name/);
    }
    assert.ok(parseConfig('servers:\n  my_server-2: { command: node }\n').config.servers['my_server-2']);
  });

  it('reports an entry that is neither stdio nor remote', () => {
    const error = errorOf(() => parseConfig('servers:\n  a: { args: [x] }\n'));
    assert.match(error.message, /servers\.a: expected a stdio server \(with "command"\) or a remote server \(with "url"\)/);
  });

  it('reports YAML syntax errors', () => {
    const error = errorOf(() => parseConfig('servers: [unclosed\n', { source: 'x.yaml' }));
    assert.match(error.message, /x\.yaml is not valid YAML or JSON/);
  });

  it('reports a bad duration', () => {
    const error = errorOf(() => parseConfig('servers:\n  a: { command: node, timeout: soon }\n'));
    assert.match(error.message, /servers\.a\.timeout: expected a duration/);
  });
});
