import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import type { Tool } from '@modelcontextprotocol/client';

import { Catalog, type LocalTool } from '../../src/catalog/index.js';
import { parseConfig } from '../../src/config/index.js';
import type { DownstreamContext, GatewayRequest } from '../../src/core/pipeline.js';
import { CatalogView } from '../../src/discovery/index.js';
import { composePipeline, createDispatcher, InflightRegistry, SessionRegistry } from '../../src/gateway/index.js';
import { silentLogger } from '../../src/telemetry/logger.js';

/** A tool served by the catalog itself that answers with its own name and arguments (a real local tool). */
function local(name: string, description: string, options: { readOnly?: boolean; tags?: string[] } = {}): LocalTool {
  const definition: Tool = {
    name,
    description,
    inputSchema: { type: 'object', properties: { text: { type: 'string' } } },
    ...(options.readOnly !== undefined ? { annotations: { readOnlyHint: options.readOnly } } : {})
  };
  return {
    definition,
    ...(options.tags ? { tags: options.tags } : {}),
    call: async (request: GatewayRequest) => ({
      content: [
        { type: 'text', text: `${String(request.params.name)} ${JSON.stringify(request.params.arguments ?? {})}` }
      ]
    })
  };
}

const config = parseConfig(
  `
servers:
  github: { command: unused, description: "Code hosting: repositories, issues and pull requests", tags: [code], toolTags: { "*issue*": [tracker] } }
  fs: { command: unused }
views:
  everything: {}
  find: { discovery: search }
  mixed: { discovery: hybrid, pin: ["fs__*"] }
  readonly: { readOnly: true }
  tracker: { tags: [tracker] }
  code-only: { servers: [github], exclude: ["github__delete_*"] }
  renamed:
    include: ["fs__read_file", "github__create_issue"]
    discovery: search
    tools:
      fs__read_file: { name: cat, description: "Print a file's text" }
`,
  { env: {} }
).config;

function createCatalog(): Catalog {
  const catalog = new Catalog([], silentLogger);
  catalog.setLocalTools('github', [
    local('github__create_issue', 'Create an issue in a repository'),
    local('github__list_issues', 'List the issues of a repository', { readOnly: true }),
    local('github__delete_repository', 'Delete a repository')
  ]);
  catalog.setLocalTools('fs', [
    local('fs__read_file', 'Read a file', { readOnly: true }),
    local('fs__write_file', 'Write a file', { readOnly: false })
  ]);
  return catalog;
}

function downstream(): DownstreamContext {
  return {
    era: 'legacy',
    sessionId: 'test',
    signal: new AbortController().signal,
    clientCapabilities: {},
    progressToken: undefined,
    notify: async () => {},
    log: () => {}
  };
}

function setUp(viewName: string) {
  const catalog = createCatalog();
  const sessions = new SessionRegistry(silentLogger);
  const pipeline = composePipeline(
    [],
    createDispatcher(catalog, new Map(), new InflightRegistry(sessions, silentLogger))
  );
  const view = new CatalogView({ name: viewName, catalog, config, logger: silentLogger });
  return { catalog, pipeline, view };
}

const listed = (view: CatalogView) => view.listTools().map(tool => tool.name);

describe('CatalogView filters', () => {
  it('an empty view holds and lists every tool', () => {
    const { view } = setUp('everything');
    assert.deepEqual(listed(view), [
      'github__create_issue',
      'github__list_issues',
      'github__delete_repository',
      'fs__read_file',
      'fs__write_file'
    ]);
  });

  it('readOnly keeps only tools annotated readOnlyHint: true', () => {
    assert.deepEqual(listed(setUp('readonly').view), ['github__list_issues', 'fs__read_file']);
  });

  it('tags match server tags and toolTags globs', () => {
    assert.deepEqual(listed(setUp('tracker').view), ['github__create_issue', 'github__list_issues']);
  });

  it('servers and exclude globs', () => {
    assert.deepEqual(listed(setUp('code-only').view), ['github__create_issue', 'github__list_issues']);
  });

  it('search lists only the meta tools; hybrid the pinned tools and the meta tools', () => {
    assert.deepEqual(listed(setUp('find').view), ['retrieve_tools', 'call_tool']);
    assert.deepEqual(listed(setUp('mixed').view), ['fs__read_file', 'fs__write_file', 'retrieve_tools', 'call_tool']);
  });

  it('an unknown view is a config error that names the views', () => {
    assert.throws(() => setUp('nope'), /no view "nope" in the config \(views: everything, find/);
  });
});

describe('CatalogView search and calls', () => {
  it('retrieve_tools returns full definitions with server and score, best first, within the view', async () => {
    const { view, pipeline } = setUp('find');
    const result = await view.callTool(
      { name: 'retrieve_tools', arguments: { query: 'open a new issue', limit: 2 } },
      downstream(),
      pipeline
    );
    const tools = (result.structuredContent as { tools: Array<Record<string, unknown>> }).tools;
    assert.equal(tools[0]?.name, 'github__create_issue');
    assert.equal(tools[0]?.server, 'github');
    assert.equal(tools[0]?.description, 'Create an issue in a repository');
    assert.deepEqual(tools[0]?.inputSchema, { type: 'object', properties: { text: { type: 'string' } } });
    assert.ok(typeof tools[0]?.score === 'number' && tools[0].score > 0);
    assert.ok(tools.length <= 2);
    assert.deepEqual(JSON.parse((result.content as Array<{ text: string }>)[0]!.text), result.structuredContent);
  });

  it('retrieve_tools with server searches one server; bad input is a tool error', async () => {
    const { view, pipeline } = setUp('find');
    const result = await view.callTool(
      { name: 'retrieve_tools', arguments: { query: 'read or write a file', server: 'github' } },
      downstream(),
      pipeline
    );
    for (const tool of (result.structuredContent as { tools: Array<{ server: string }> }).tools)
      assert.equal(tool.server, 'github');
    const bad = await view.callTool({ name: 'retrieve_tools', arguments: {} }, downstream(), pipeline);
    assert.equal(bad.isError, true);
  });

  it('call_tool calls through the pipeline; an unknown name is a tool error with the closest names', async () => {
    const { view, pipeline } = setUp('find');
    const result = await view.callTool(
      { name: 'call_tool', arguments: { name: 'fs__read_file', arguments: { text: 'x' } } },
      downstream(),
      pipeline
    );
    assert.deepEqual(result.content, [{ type: 'text', text: 'fs__read_file {"text":"x"}' }]);
    const unknown = await view.callTool({ name: 'call_tool', arguments: { name: 'fs__read' } }, downstream(), pipeline);
    assert.equal(unknown.isError, true);
    assert.match(
      (unknown.content as Array<{ text: string }>)[0]!.text,
      /No tool named "fs__read".*Closest: fs__read_file/
    );
  });

  it('a renamed tool is listed, searched and called by its new name and description; the pipeline sees the catalog name', async () => {
    const { view, pipeline } = setUp('renamed');
    const [top] = view.search('print text of a file');
    assert.equal(top?.view.name, 'cat');
    assert.equal(top?.view.definition.description, "Print a file's text");
    const result = await view.callTool({ name: 'call_tool', arguments: { name: 'cat' } }, downstream(), pipeline);
    assert.deepEqual(result.content, [{ type: 'text', text: 'fs__read_file {}' }]);
    const direct = await view.callTool({ name: 'cat', arguments: {} }, downstream(), pipeline);
    assert.deepEqual(direct.content, [{ type: 'text', text: 'fs__read_file {}' }]);
  });

  it('retrieve_tools searches only the view: tools outside it are never returned', async () => {
    const { view, pipeline } = setUp('renamed');
    const result = await view.callTool(
      { name: 'retrieve_tools', arguments: { query: 'write a file', limit: 50 } },
      downstream(),
      pipeline
    );
    const names = (result.structuredContent as { tools: Array<{ name: string }> }).tools.map(tool => tool.name);
    assert.ok(names.length > 0);
    for (const name of names) assert.ok(['cat', 'github__create_issue'].includes(name), name);
  });

  it('a tool outside the view cannot be called, directly or through call_tool', async () => {
    const { view, pipeline } = setUp('renamed');
    await assert.rejects(
      view.callTool({ name: 'fs__write_file', arguments: {} }, downstream(), pipeline),
      /unknown tool "fs__write_file" in view "renamed"/
    );
    const viaMeta = await view.callTool(
      { name: 'call_tool', arguments: { name: 'fs__write_file' } },
      downstream(),
      pipeline
    );
    assert.equal(viaMeta.isError, true);
    // Its original name is not callable either once renamed.
    await assert.rejects(
      view.callTool({ name: 'fs__read_file', arguments: {} }, downstream(), pipeline),
      /unknown tool/
    );
  });

  it('a catalog change updates search results (only the changed source is re-indexed)', () => {
    const { view, catalog } = setUp('find');
    assert.notEqual(view.search('translate a sentence')[0]?.view.name, 'fs__translate');
    catalog.setLocalTools('fs', [
      local('fs__read_file', 'Read a file'),
      local('fs__translate', 'Translate a sentence into another language')
    ]);
    assert.equal(view.search('translate a sentence')[0]?.view.name, 'fs__translate');
    assert.equal(
      view.search('write a file').some(match => match.view.name === 'fs__write_file'),
      false
    );
    catalog.setLocalTools('fs', []);
    assert.equal(view.search('translate a sentence').length, 0);
    assert.equal(view.search('create an issue')[0]?.view.name, 'github__create_issue');
  });

  it('counts the tokens of its tools/list, listed and if all were listed', () => {
    const cost = setUp('find').view.tokenCost();
    assert.equal(cost.listedTools, 2);
    assert.equal(cost.allTools, 5);
    assert.ok(cost.listed > 0 && cost.all > 0);
  });
});
