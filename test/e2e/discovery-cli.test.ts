import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import { main } from '../../src/cli/main.js';
import { defaultServers, writeConfig } from '../helpers/gateway.js';

async function run(args: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  const code = await main(args, { out: text => (out += text + '\n'), err: text => (err += text + '\n') });
  return { code, out, err };
}

const views = {
  agent: { discovery: 'search' },
  memory: { servers: ['memory'], discovery: 'hybrid', pin: ['memory__read_graph'] }
};

describe('discovery commands against the default npm servers', () => {
  it('manifold search ranks tools with scores, in a view, as JSON', async () => {
    await using config = writeConfig({ servers: defaultServers('/tmp'), views });
    const table = await run([
      'search',
      'list the files in a directory',
      '--config',
      config.path,
      '--limit',
      '3',
      '--log-level',
      'error'
    ]);
    assert.equal(table.code, 0, table.err);
    const lines = table.out.trim().split('\n');
    assert.match(lines[0] ?? '', /#\s+SCORE\s+TOOL\s+DESCRIPTION/);
    assert.equal(lines.length, 5, table.out); // header, rule, three rows
    assert.match(table.out, /fs__list_directory/);

    const json = await run([
      'search',
      'find entities in the knowledge graph',
      '--view',
      'memory',
      '--json',
      '--config',
      config.path,
      '--log-level',
      'error'
    ]);
    const results = JSON.parse(json.out) as Array<{
      name: string;
      server: string;
      score: number;
      inputSchema: unknown;
    }>;
    assert.ok(results.length > 0);
    assert.equal(results[0]?.name, 'memory__search_nodes');
    for (const result of results) assert.equal(result.server, 'memory');
    for (let i = 1; i < results.length; i++) assert.ok(results[i - 1]!.score >= results[i]!.score);
  });

  it('manifold views and tools --tokens count tokens of definitions and lists', async () => {
    await using config = writeConfig({ servers: defaultServers('/tmp'), views });
    const listed = await run(['views', '--json', '--config', config.path, '--log-level', 'error']);
    assert.equal(listed.code, 0, listed.err);
    const report = JSON.parse(listed.out) as { encoding: string; views: Array<Record<string, unknown>> };
    assert.equal(report.encoding, 'o200k_base');
    assert.deepEqual(
      report.views.map(view => [view.name, view.endpoint, view.discovery]),
      [
        ['default', '/mcp', 'all'],
        ['agent', '/mcp/agent', 'search'],
        ['memory', '/mcp/memory', 'hybrid']
      ]
    );
    const [all, agent, memory] = report.views as Array<{
      tools: number;
      listed: number;
      listTokens: number;
      allTokens: number;
    }>;
    assert.equal(agent!.listed, 2);
    assert.equal(agent!.tools, all!.tools);
    assert.equal(
      agent!.allTokens,
      all!.listTokens,
      'the search view would cost what the default view costs if it listed everything'
    );
    assert.ok(agent!.listTokens < all!.listTokens / 5);
    assert.equal(memory!.listed, 3); // read_graph + the two meta tools

    const tools = await run(['tools', '--tokens', '--config', config.path, '--log-level', 'error']);
    assert.equal(tools.code, 0, tools.err);
    assert.match(tools.out, /TOOL\s+SERVER\s+TOKENS\s+DESCRIPTION/);
    const total = /tools\/list of (\d+) tools: (\d+) tokens \(o200k_base/.exec(tools.out);
    assert.ok(total, tools.out);
    assert.equal(Number(total[2]), all!.listTokens);
    const echoRow = tools.out.split('\n').find(line => line.startsWith('everything__echo '));
    assert.ok(echoRow && Number(echoRow.split(/\s+/)[2]) > 10, echoRow);
  });

  it('an unknown view is a config error (exit 2) that names the views', async () => {
    await using config = writeConfig({ servers: {}, views });
    const result = await run(['search', 'anything', '--view', 'nope', '--config', config.path, '--log-level', 'error']);
    assert.equal(result.code, 2);
    assert.match(result.err, /no view "nope" in the config \(views: agent, memory\)/);
  });
});
