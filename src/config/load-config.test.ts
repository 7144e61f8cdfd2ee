import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';

import { stringify } from 'yaml';

import { loadConfig } from './load-config.js';
import { parseConfig } from './parse-config.js';

function withDir(run: (dir: string) => void): void {
  const dir = mkdtempSync(join(tmpdir(), 'manifold-load-'));
  try {
    run(dir);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

const githubActions = `name: CI
on: [push]
jobs:
  test:
    runs-on: ubuntu-latest
    steps:
      - uses: actions/checkout@v4
      - run: npm test
`;

describe('regression issue 9: loadConfig (defect 5)', () => {
  it('a workflows/ folder the config does not name is left alone (a GitHub Actions file there does not stop the load)', () => {
    withDir(dir => {
      writeFileSync(join(dir, 'manifold.yaml'), stringify({ servers: {}, workflows: { inline: { steps: [{ id: 'a', call: 'x__y' }] } } }));
      mkdirSync(join(dir, 'workflows'));
      writeFileSync(join(dir, 'workflows', 'ci.yml'), githubActions);
      const loaded = loadConfig(join(dir, 'manifold.yaml'), {});
      assert.deepEqual(Object.keys(loaded.config.workflows), ['inline']);
      assert.deepEqual(loaded.warnings, []);
      // A workflow file left there (a config written before workflowDirs) is not loaded, but named in a warning.
      writeFileSync(join(dir, 'workflows', 'mine.yaml'), stringify({ steps: [{ id: 'a', call: 'x__y' }] }));
      const hinted = loadConfig(join(dir, 'manifold.yaml'), {});
      assert.deepEqual(Object.keys(hinted.config.workflows), ['inline']);
      assert.deepEqual(hinted.warnings, [
        `workflows/ beside ${join(dir, 'manifold.yaml')} holds workflow files (mine.yaml) that are not loaded: add "workflowDirs: [workflows]" to the config to load them`
      ]);
    });
  });

  it('workflowDirs names the folders to load, beside inline workflows; a missing folder is an error', () => {
    withDir(dir => {
      mkdirSync(join(dir, 'flows'));
      writeFileSync(join(dir, 'flows', 'from_file.yaml'), stringify({ steps: [{ id: 'a', call: 'x__y' }] }));
      writeFileSync(join(dir, 'manifold.yaml'), stringify({ servers: {}, workflowDirs: ['flows'], workflows: { dir: { steps: [{ id: 'a', call: 'x__y' }] } } }));
      assert.deepEqual(Object.keys(loadConfig(join(dir, 'manifold.yaml'), {}).config.workflows).sort(), ['dir', 'from_file']);
      writeFileSync(join(dir, 'manifold.yaml'), stringify({ servers: {}, workflowDirs: ['nope'] }));
      assert.throws(() => loadConfig(join(dir, 'manifold.yaml'), {}), /workflowDirs: "nope" is not a folder/);
    });
  });

  it('$$ in a workflow file survives ${…} expansion (JSONata $$)', () => {
    withDir(dir => {
      mkdirSync(join(dir, 'workflows'));
      writeFileSync(join(dir, 'workflows', 'root.yaml'), "steps:\n  - id: a\n    call: x__y\n    with: { all: '{{ $$ }}', dir: '${MANIFOLD_CONFIG_DIR}' }\n");
      writeFileSync(join(dir, 'manifold.yaml'), stringify({ servers: {}, workflowDirs: ['workflows'], workflows: { inline: { steps: [{ id: 'a', call: 'x__y', with: { all: '{{ $$.input }}' } }] } } }));
      const { workflows } = loadConfig(join(dir, 'manifold.yaml'), {}).config;
      const fromFile = workflows.root?.steps[0];
      const inline = workflows.inline?.steps[0];
      assert.deepEqual(fromFile?.kind === 'call' && fromFile.with, { all: '{{ $$ }}', dir });
      assert.deepEqual(inline?.kind === 'call' && inline.with, { all: '{{ $$.input }}' });
    });
  });

  it('${workspaceFolder} in .vscode/mcp.json is the workspace that holds .vscode; elsewhere the config file\'s folder', () => {
    withDir(dir => {
      mkdirSync(join(dir, '.vscode'));
      const mcpJson = JSON.stringify({ servers: { fs: { type: 'stdio', command: 'node', args: ['${workspaceFolder}/server.js'] } }, inputs: [] });
      writeFileSync(join(dir, '.vscode', 'mcp.json'), mcpJson);
      writeFileSync(join(dir, 'mcp.json'), mcpJson);
      for (const [file, folder] of [[join(dir, '.vscode', 'mcp.json'), dir], [join(dir, 'mcp.json'), dir]] as const) {
        const fs = loadConfig(file, {}).config.servers.fs;
        assert.ok(fs && 'command' in fs);
        assert.deepEqual(fs.args, [`${folder}/server.js`]);
      }
    });
  });
});

describe('regression issue 9: the example configs (defect 9)', () => {
  const examples = new URL('../../examples/', import.meta.url).pathname;

  it('examples/portable.yaml has the default servers through npx, pinned to the installed versions, and loads from a copy', () => {
    const defaults = loadConfig(join(examples, 'default.yaml'), {}).config;
    withDir(dir => {
      const copy = join(dir, 'manifold.yaml');
      writeFileSync(copy, readFileSync(join(examples, 'portable.yaml')));
      const portable = loadConfig(copy, {}).config;
      assert.deepEqual(Object.keys(portable.servers), Object.keys(defaults.servers));
      for (const [name, server] of Object.entries(portable.servers)) {
        assert.ok('command' in server && server.command === 'npx', name);
        const spec = server.args[1] ?? '';
        const [, pkg, version] = /^(@modelcontextprotocol\/[a-z-]+)@(.+)$/.exec(spec) ?? [];
        assert.ok(pkg && version, `${name}: ${spec}`);
        const installed = JSON.parse(readFileSync(new URL(`../../node_modules/${pkg}/package.json`, import.meta.url), 'utf8')) as { version: string };
        assert.equal(version, installed.version, `${name}: pinned ${version}, installed ${installed.version}`);
        assert.ok(!JSON.stringify(server).includes('node_modules'), name);
      }
    });
  });
});

describe('regression issue 9: the README Configure example loads with DOCS_TOKEN unset', () => {
  it('docs is unavailable with the reason; memory is kept', () => {
    const readme = readFileSync(new URL('../../README.md', import.meta.url), 'utf8');
    const section = readme.slice(readme.indexOf('## Configure'));
    const yaml = /```yaml\n([\s\S]*?)```/.exec(section)?.[1];
    assert.ok(yaml?.includes('${DOCS_TOKEN}'), 'the README example uses ${DOCS_TOKEN}');
    const { config } = parseConfig(yaml ?? '', { env: {} });
    assert.deepEqual(Object.keys(config.servers), ['memory', 'docs']);
    assert.match(config.unavailableServers?.docs ?? '', /^server "docs": environment variable DOCS_TOKEN is not set \(servers\.docs\.headers\.Authorization\)/);
    assert.equal(config.unavailableServers?.memory, undefined);
  });
});
