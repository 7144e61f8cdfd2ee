import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import { Client } from '@modelcontextprotocol/client';
import { StdioClientTransport } from '@modelcontextprotocol/client/stdio';

import {
  type Era,
  connectHttp,
  defaultServers,
  fixtureServer,
  manifoldCommand,
  repoRoot,
  tsEntry,
  startHttpGateway,
  waitFor,
  writeConfig
} from '../helpers/gateway.js';

const views = {
  find: { discovery: 'search' },
  pinned: { discovery: 'hybrid', pin: ['everything__echo'] },
  ro: { servers: ['memory'], readOnly: true },
  renamed: {
    servers: ['everything'],
    include: ['everything__echo', 'everything__get-sum'],
    tools: { everything__echo: { name: 'say', description: 'Say a message back' } }
  }
};

/** `manifold serve --view <view>` over stdio with a real SDK client. */
async function connectStdioView(configPath: string, view: string, era: Era): Promise<Client & AsyncDisposable> {
  const transport = new StdioClientTransport({
    command: manifoldCommand.command,
    args: [...manifoldCommand.args, 'serve', '--view', view, '--config', configPath, '--log-level', 'warn'],
    stderr: 'pipe',
    env: { ...(process.env as Record<string, string>) }
  });
  const client = new Client(
    { name: 'discovery-test', version: '1.0.0' },
    { capabilities: {}, versionNegotiation: era === 'modern' ? { mode: { pin: '2026-07-28' } } : { mode: 'legacy' } }
  );
  await client.connect(transport, { timeout: 30_000 });
  return Object.assign(client, { [Symbol.asyncDispose]: async () => void (await client.close().catch(() => {})) });
}

interface Retrieved {
  tools: Array<{
    name: string;
    server: string;
    score: number;
    description?: string;
    inputSchema: { properties?: Record<string, unknown> };
  }>;
}

describe('discovery through the gateway (default npm servers)', () => {
  for (const era of ['legacy', 'modern'] as const) {
    it(`stdio --view (search), ${era} client: sees only the meta tools, finds echo and calls it`, async () => {
      await using config = writeConfig({ servers: defaultServers('/tmp'), views });
      await using client = await connectStdioView(config.path, 'find', era);
      assert.match(client.getInstructions() ?? '', /call retrieve_tools with what you want to do/);
      const { tools } = await client.listTools();
      assert.deepEqual(
        tools.map(tool => tool.name),
        ['retrieve_tools', 'call_tool']
      );
      const found = await client.callTool({
        name: 'retrieve_tools',
        arguments: { query: 'echo back a message', limit: 3 }
      });
      const retrieved = found.structuredContent as Retrieved;
      assert.equal(retrieved.tools[0]?.name, 'everything__echo');
      assert.equal(retrieved.tools[0]?.server, 'everything');
      assert.ok(retrieved.tools[0]?.inputSchema.properties?.message, 'the full input schema comes back');
      const called = await client.callTool({
        name: 'call_tool',
        arguments: { name: 'everything__echo', arguments: { message: 'found it' } }
      });
      assert.deepEqual(called.content, [{ type: 'text', text: 'Echo: found it' }]);

      // A tool of another server, found by what it does, called with the arguments its schema asks for.
      const sum = (await client.callTool({ name: 'retrieve_tools', arguments: { query: 'add two numbers', limit: 1 } }))
        .structuredContent as Retrieved;
      assert.equal(sum.tools[0]?.name, 'everything__get-sum');
      const result = await client.callTool({
        name: 'call_tool',
        arguments: { name: 'everything__get-sum', arguments: { a: 2, b: 3 } }
      });
      assert.match(JSON.stringify(result.content), /5/);
    });
  }

  for (const era of ['legacy', 'modern'] as const) {
    it(`http /mcp/<view>, ${era} client: views filter, rename, pin; /mcp is unchanged; unknown view is 404`, async () => {
      await using config = writeConfig({ servers: defaultServers('/tmp'), views });
      await using gateway = await startHttpGateway(config.path);

      await using all = await connectHttp(gateway.url, { era });
      const everyTool = (await all.listTools()).tools.map(tool => tool.name);
      assert.ok(
        everyTool.includes('everything__echo') &&
          everyTool.includes('fs__read_file') &&
          everyTool.includes('memory__read_graph')
      );
      assert.ok(!everyTool.includes('retrieve_tools'));

      await using ro = await connectHttp(`${gateway.url}/ro`, { era });
      assert.deepEqual((await ro.listTools()).tools.map(tool => tool.name).sort(), [
        'memory__open_nodes',
        'memory__read_graph',
        'memory__search_nodes'
      ]);
      await assert.rejects(
        ro.callTool({ name: 'memory__create_entities', arguments: { entities: [] } }),
        /unknown tool "memory__create_entities" in view "ro"/
      );
      // servers: [memory] holds memory's prompts and resources only; everything's are not there.
      const everythingResource = (await all.listResources()).resources.find(resource =>
        resource.uri.startsWith('demo://')
      );
      assert.ok(everythingResource, 'server-everything lists resources');
      assert.ok((await all.listPrompts()).prompts.some(prompt => prompt.name.startsWith('everything__')));
      assert.deepEqual(
        (await ro.listResources()).resources.map(resource => resource.uri),
        ['memory://knowledge-graph']
      );
      for (const prompt of (await ro.listPrompts()).prompts) assert.match(prompt.name, /^memory__/);
      assert.deepEqual((await ro.listResourceTemplates()).resourceTemplates, []);
      await assert.rejects(ro.readResource({ uri: everythingResource.uri }), /not found in view "ro"/);
      assert.ok((await all.readResource({ uri: everythingResource.uri })).contents.length > 0);

      await using renamed = await connectHttp(`${gateway.url}/renamed`, { era });
      const renamedTools = (await renamed.listTools()).tools;
      assert.deepEqual(
        renamedTools.map(tool => tool.name),
        ['say', 'everything__get-sum']
      );
      assert.equal(renamedTools[0]?.description, 'Say a message back');
      const said = await renamed.callTool({ name: 'say', arguments: { message: 'renamed' } });
      assert.deepEqual(said.content, [{ type: 'text', text: 'Echo: renamed' }]);

      await using pinned = await connectHttp(`${gateway.url}/pinned`, { era });
      assert.deepEqual(
        (await pinned.listTools()).tools.map(tool => tool.name),
        ['everything__echo', 'retrieve_tools', 'call_tool']
      );
      const files = (
        await pinned.callTool({
          name: 'retrieve_tools',
          arguments: { query: 'list the files in a directory', server: 'fs', limit: 3 }
        })
      ).structuredContent as Retrieved;
      assert.ok(files.tools.length > 0);
      for (const tool of files.tools) assert.equal(tool.server, 'fs');
      assert.match(files.tools.map(tool => tool.name).join(' '), /fs__list_directory/);

      const missing = await fetch(`${gateway.url}/nope`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: '{}'
      });
      assert.equal(missing.status, 404);
      assert.match(((await missing.json()) as { error: string }).error, /no view "nope"/);
    });
  }
});

describe('search follows the catalog', () => {
  it('a tool an upstream adds at run time (list_changed) is found by retrieve_tools and callable', async () => {
    await using config = writeConfig({
      servers: { changing: { ...fixtureServer('changing-tools.ts'), protocol: 'legacy' } },
      views: { find: { discovery: 'search' } }
    });
    await using client = await connectStdioView(config.path, 'find', 'legacy');
    const before = (
      await client.callTool({ name: 'retrieve_tools', arguments: { query: 'translate a sentence into French' } })
    ).structuredContent as Retrieved;
    assert.equal(
      before.tools.some(tool => tool.name === 'changing__translate_text'),
      false
    );

    const added = await client.callTool({
      name: 'call_tool',
      arguments: {
        name: 'changing__add_tool',
        arguments: { name: 'translate_text', description: 'Translate a sentence into another language' }
      }
    });
    assert.deepEqual(added.content, [{ type: 'text', text: 'added translate_text' }]);

    let found: Retrieved | undefined;
    await waitFor(async () => {
      found = (
        await client.callTool({ name: 'retrieve_tools', arguments: { query: 'translate a sentence into French' } })
      ).structuredContent as Retrieved;
      return found.tools[0]?.name === 'changing__translate_text';
    }, 'the new tool to be found');
    const called = await client.callTool({
      name: 'call_tool',
      arguments: { name: 'changing__translate_text', arguments: { text: 'bonjour' } }
    });
    assert.deepEqual(called.content, [{ type: 'text', text: 'translate_text: bonjour' }]);
  });
});

describe('a tool renamed in a view, over HTTP (SEP-2243)', () => {
  it('keeps its Mcp-Param header check: a header that contradicts the body is refused with -32020', async () => {
    await using config = writeConfig({
      servers: { conf: { command: process.execPath, args: [...tsEntry('test/conformance/fixture-server.ts'), '--stdio'], cwd: repoRoot, prefix: false } },
      views: { regional: { tools: { test_x_mcp_header: { name: 'by_region' } } } }
    });
    await using gateway = await startHttpGateway(config.path);
    // The client mirrors region into Mcp-Param-Region from the listed schema; this fetch rewrites it on the way.
    let tamper = false;
    const tampering: typeof fetch = (input, init) => {
      if (!tamper) return fetch(input, init);
      const headers = new Headers(init?.headers);
      if (headers.has('mcp-param-region')) headers.set('mcp-param-region', 'us');
      return fetch(input, { ...init, headers });
    };
    await using client = await connectHttp(`${gateway.url}/regional`, { era: 'modern', fetch: tampering });
    await waitFor(async () => (await client.listTools()).tools.some(tool => tool.name === 'by_region'), 'the renamed tool to be listed', 20_000);
    const honest = await client.callTool({ name: 'by_region', arguments: { region: 'eu' } });
    assert.deepEqual(honest.content, [{ type: 'text', text: 'region=eu' }]);
    tamper = true;
    await assert.rejects(client.callTool({ name: 'by_region', arguments: { region: 'eu' } }), (error: Error & { code?: number }) => {
      assert.equal(error.code, -32020, error.message);
      assert.match(error.message, /Mcp-Param-Region header does not match the body's region/);
      return true;
    });
  });
});
