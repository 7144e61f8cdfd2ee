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
    // Outside servers a missing variable stops the load, with its path.
    const error = errorOf(() => parseConfig('servers: {}\ngateway: { name: "${NAME}" }\n', { env: {} }));
    assert.match(error.message, /gateway\.name: environment variable NAME is not set/);
    // In a server it makes that server unavailable, with the same path (see the issue-9 tests below).
    const { config: withMissing } = parseConfig('servers:\n  a: { url: "https://x/${TOKEN}" }\n', { env: {} });
    assert.match(withMissing.unavailableServers?.a ?? '', /environment variable TOKEN is not set \(servers\.a\.url\)/);
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

describe('regression issue 9: configs that load (defect 5)', () => {
  it('a disabled server is not expanded: its unset variable does not stop the load (README Configure example)', () => {
    const text = `servers:
  memory: { command: npx, args: [-y, "@modelcontextprotocol/server-memory"] }
  docs:
    enabled: false
    url: https://example.com/mcp
    headers: { Authorization: "Bearer \${DOCS_TOKEN}" }
  other: { enabled: false, url: "\${OTHER_URL}" }
`;
    const { config } = parseConfig(text, { env: {} });
    assert.equal(config.servers.docs?.enabled, false);
    assert.equal(config.servers.other?.enabled, false);
    assert.equal(config.unavailableServers, undefined);
  });

  it('an enabled server whose variable is not set is unavailable with the reason; the others load', () => {
    const text = `servers:
  memory: { command: npx, args: [-y, "@modelcontextprotocol/server-memory"] }
  docs:
    url: https://example.com/mcp
    headers: { Authorization: "Bearer \${DOCS_TOKEN}" }
  api: { url: "\${API_URL}" }
`;
    const { config } = parseConfig(text, { env: {} });
    assert.deepEqual(Object.keys(config.servers), ['memory', 'docs', 'api']);
    assert.equal(
      config.unavailableServers?.docs,
      'server "docs": environment variable DOCS_TOKEN is not set (servers.docs.headers.Authorization); set it or use ${DOCS_TOKEN:-default}'
    );
    assert.match(config.unavailableServers?.api ?? '', /^server "api": environment variable API_URL is not set \(servers\.api\.url\)/);
    assert.equal(config.unavailableServers?.memory, undefined);
    // Set, it is expanded as before.
    const set = parseConfig(text, { env: { DOCS_TOKEN: 't', API_URL: 'https://api.example.com/mcp' } }).config;
    assert.equal(set.unavailableServers, undefined);
    const docs = set.servers.docs;
    assert.ok(docs && 'url' in docs);
    assert.equal(docs.headers.Authorization, 'Bearer t');
  });

  it('a server entry with a malformed reference is still a config error', () => {
    assert.match(errorOf(() => parseConfig('servers:\n  a: { command: "${not a ref}" }\n')).message, /servers\.a\.command: "\$\{not a ref\}" is not a variable reference/);
  });

  it('$$ survives expansion (JSONata\'s root, passwords); $${ writes a literal ${', () => {
    const { config } = parseConfig('servers:\n  a: { command: node, args: ["pa$$word", "$${HOME}", "${X}$$"] }\n', { env: { X: 'x' } });
    const a = config.servers.a;
    assert.ok(a && 'command' in a);
    assert.deepEqual(a.args, ['pa$$word', '${HOME}', 'x$$']);
  });

  it('a VS Code mcp.json with ${input:…}, ${env:…} and ${workspaceFolder} loads', () => {
    const text = JSON.stringify({
      inputs: [{ id: 'github-token', type: 'promptString', description: 'GitHub token', password: true }],
      servers: {
        gh: { type: 'http', url: 'https://api.example.com/mcp', headers: { Authorization: 'Bearer ${input:github-token}' } },
        fs: { type: 'stdio', command: 'node', args: ['server.js', '${workspaceFolder}'], env: { HOME_DIR: '${env:HOME}' } }
      }
    });
    const { config, warnings } = parseConfig(text, { env: { MANIFOLD_INPUT_GITHUB_TOKEN: 'ghp_x', HOME: '/home/u' }, workspaceFolder: '/work/project' });
    const gh = config.servers.gh;
    const fs = config.servers.fs;
    assert.ok(gh && 'url' in gh && fs && 'command' in fs);
    assert.equal(gh.headers.Authorization, 'Bearer ghp_x');
    assert.deepEqual(fs.args, ['server.js', '/work/project']);
    assert.equal(fs.env.HOME_DIR, '/home/u');
    assert.ok(warnings.some(warning => warning.includes('MANIFOLD_INPUT_GITHUB_TOKEN for "github-token"')), warnings.join('\n'));
    // The input not set: that server is down with the variable to set, the other loads.
    const unset = parseConfig(text, { env: { HOME: '/home/u' }, workspaceFolder: '/work/project' }).config;
    assert.match(unset.unavailableServers?.gh ?? '', /MANIFOLD_INPUT_GITHUB_TOKEN \(for the VS Code input "github-token"\) is not set \(servers\.gh\.headers\.Authorization\)/);
    assert.equal(unset.unavailableServers?.fs, undefined);
  });
});
