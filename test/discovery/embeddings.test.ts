import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';

import type { Tool } from '@modelcontextprotocol/client';

import type { LocalTool } from '../../src/catalog/index.js';
import { main } from '../../src/cli/main.js';
import { parseConfig } from '../../src/config/index.js';
import type { DownstreamContext } from '../../src/core/pipeline.js';
import {
  createOpenAiEmbedder,
  HybridToolSearch,
  type SearchableTool,
  ToolIndex,
  VectorIndex
} from '../../src/discovery/index.js';
import { GatewayCore, viewOf } from '../../src/gateway/index.js';
import { createLogger } from '../../src/telemetry/logger.js';

/**
 * A scripted OpenAI-compatible /embeddings endpoint: each dimension is a concept, and a text's vector counts
 * the words of each concept it contains. Enough to find tools that share meaning but no word with a query.
 */
const concepts = [
  ['translate', 'language', 'french', 'spanish', 'bonjour'],
  ['weather', 'forecast', 'rain', 'umbrella', 'temperature', 'precipitation'],
  ['file', 'read', 'directory'],
  ['issue', 'bug', 'ticket']
];

interface Endpoint {
  url: string;
  requests: Array<{ authorization: string | undefined; model: string; input: string[] }>;
  failing: boolean;
  close(): Promise<void>;
}

async function startEndpoint(): Promise<Endpoint> {
  const requests: Endpoint['requests'] = [];
  const state = { failing: false };
  const server: Server = createServer((req: IncomingMessage, res) => {
    let body = '';
    req.on('data', (chunk: Buffer) => (body += chunk.toString()));
    req.on('end', () => {
      if (req.url !== '/v1/embeddings' || req.method !== 'POST') {
        res.writeHead(404).end();
        return;
      }
      const parsed = JSON.parse(body) as { model: string; input: string[] };
      requests.push({ authorization: req.headers.authorization, model: parsed.model, input: parsed.input });
      if (state.failing) {
        res.writeHead(500, { 'content-type': 'application/json' }).end('{"error": "scripted failure"}');
        return;
      }
      const data = parsed.input.map((text, index) => {
        const words = text.toLowerCase().match(/[a-z]+/g) ?? [];
        // A constant dimension keeps every vector non-zero.
        return {
          object: 'embedding',
          index,
          embedding: [...concepts.map(concept => words.filter(word => concept.includes(word)).length), 0.1]
        };
      });
      // Out of order on purpose: clients must use `index`.
      res
        .writeHead(200, { 'content-type': 'application/json' })
        .end(JSON.stringify({ object: 'list', data: data.reverse(), model: parsed.model }));
    });
  });
  await new Promise<void>(resolve => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  const endpoint: Endpoint = Object.assign(state, {
    url: `http://127.0.0.1:${port}/v1`,
    requests,
    close: () => new Promise<void>(resolve => server.close(() => resolve()))
  });
  return endpoint;
}

function tool(server: string, name: string, description: string): SearchableTool {
  return {
    name: `${server}__${name}`,
    server,
    originalName: name,
    definition: { name: `${server}__${name}`, description, inputSchema: { type: 'object' } }
  };
}

const catalog = [
  tool('sky', 'outlook', 'Meteorological outlook: precipitation and temperature for the coming days'),
  tool('i18n', 'render', 'Render text in another language'),
  tool('fs', 'read_file', 'Read a file from the sandbox directory'),
  tool('tracker', 'open_ticket', 'Open a ticket for a bug')
];

describe('embeddings fused with BM25 (scripted endpoint)', () => {
  let endpoint: Endpoint;
  before(async () => {
    endpoint = await startEndpoint();
  });
  after(async () => {
    await endpoint.close();
  });

  it('the client sends model, input and the API key, batches, and orders vectors by index', async () => {
    const embedder = createOpenAiEmbedder({ url: endpoint.url, model: 'concepts-1', apiKey: 'secret', batchSize: 2 });
    endpoint.requests.length = 0;
    const vectors = await embedder.embed(['bonjour french', 'rain', 'a bug ticket']);
    assert.deepEqual(vectors, [
      [2, 0, 0, 0, 0.1],
      [0, 1, 0, 0, 0.1],
      [0, 0, 0, 2, 0.1]
    ]);
    assert.equal(endpoint.requests.length, 2);
    assert.deepEqual(endpoint.requests[0], {
      authorization: 'Bearer secret',
      model: 'concepts-1',
      input: ['bonjour french', 'rain']
    });
  });

  it('finds a tool that shares meaning but no word with the query, which BM25 alone misses', async () => {
    const index = new ToolIndex();
    index.sync(catalog);
    assert.equal(
      index.search('will I need an umbrella tomorrow', { limit: 5 }).some(match => match.tool.name === 'sky__outlook'),
      false
    );
    const hybrid = new HybridToolSearch(
      index,
      new VectorIndex(createOpenAiEmbedder({ url: endpoint.url, model: 'concepts-1' }))
    );
    const [top] = await hybrid.search('will I need an umbrella tomorrow', { limit: 3 });
    assert.equal(top?.tool.name, 'sky__outlook');
    // Lexical matches still rank: a query both rankings agree on comes first.
    const [file] = await hybrid.search('read a file', { limit: 3 });
    assert.equal(file?.tool.name, 'fs__read_file');
  });

  it('embeds each tool once; only changed tools are embedded again', async () => {
    const index = new ToolIndex();
    index.sync(catalog);
    const hybrid = new HybridToolSearch(
      index,
      new VectorIndex(createOpenAiEmbedder({ url: endpoint.url, model: 'concepts-1' }))
    );
    endpoint.requests.length = 0;
    await hybrid.search('rain', { limit: 2 });
    await hybrid.search('bonjour', { limit: 2 });
    const embeddedTexts = endpoint.requests.flatMap(request => request.input);
    assert.equal(embeddedTexts.length, catalog.length + 2, 'four tools once, then one text per query');
    index.sync(
      catalog.map(entry =>
        entry.name === 'i18n__render'
          ? { ...entry, definition: { ...entry.definition, description: 'Translate into Spanish' } }
          : entry
      )
    );
    endpoint.requests.length = 0;
    await hybrid.search('spanish', { limit: 2 });
    assert.deepEqual(
      endpoint.requests.map(request => request.input.length),
      [1, 1]
    );
  });

  it('falls back to BM25 when the endpoint fails, and logs why once', async () => {
    const lines: string[] = [];
    const logger = createLogger({ level: 'warn', sink: line => lines.push(line) });
    const index = new ToolIndex();
    index.sync(catalog);
    const hybrid = new HybridToolSearch(
      index,
      new VectorIndex(createOpenAiEmbedder({ url: endpoint.url, model: 'concepts-1' })),
      { logger }
    );
    endpoint.failing = true;
    try {
      const results = await hybrid.search('read a file', { limit: 2 });
      assert.deepEqual(
        results.map(match => match.tool.name),
        index.search('read a file', { limit: 2 }).map(match => match.tool.name)
      );
      await hybrid.search('open a ticket', { limit: 2 });
      assert.equal(lines.filter(line => line.includes('embeddings unavailable')).length, 1, lines.join('\n'));
      assert.match(lines.join('\n'), /answered 500/);
    } finally {
      endpoint.failing = false;
    }
  });

  it('config discovery.embeddings turns it on for retrieve_tools', async () => {
    const config = parseConfig(
      `views: { find: { discovery: search } }\ndiscovery: { embeddings: { url: "${endpoint.url}", model: concepts-1, apiKey: k } }`,
      { env: {} }
    ).config;
    await using core = new GatewayCore({ config, logger: createLogger({ level: 'silent' }) });
    await core.start();
    const local = (definition: Tool): LocalTool => ({ definition, call: async () => ({ content: [] }) });
    core.catalog.setLocalTools(
      'sky',
      catalog.map(entry => local(entry.definition))
    );
    const downstream: DownstreamContext = {
      era: 'legacy',
      sessionId: 't',
      signal: new AbortController().signal,
      clientCapabilities: {},
      progressToken: undefined,
      notify: async () => {},
      log: () => {}
    };
    const result = await viewOf(core, 'find').callTool(
      { name: 'retrieve_tools', arguments: { query: 'will I need an umbrella tomorrow', limit: 1 } },
      downstream,
      core.pipeline
    );
    assert.deepEqual(
      (result.structuredContent as { tools: Array<{ name: string }> }).tools.map(found => found.name),
      ['sky__outlook']
    );
    assert.equal(endpoint.requests.at(-1)?.authorization, 'Bearer k');
  });

  it('eval retrieval --embeddings-url measures the fused search', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'manifold-eval-'));
    try {
      writeFileSync(
        join(dir, 'tools.jsonl'),
        catalog
          .map(entry =>
            JSON.stringify({
              id: entry.name,
              server: entry.server,
              name: entry.originalName,
              description: entry.definition.description
            })
          )
          .join('\n')
      );
      writeFileSync(
        join(dir, 'queries.jsonl'),
        JSON.stringify({ id: 'q', query: 'will I need an umbrella tomorrow', gold: ['sky__outlook'] }) + '\n'
      );
      const run = async (extra: string[]) => {
        let out = '';
        const code = await main(
          [
            'eval',
            'retrieval',
            '--tools',
            join(dir, 'tools.jsonl'),
            '--queries',
            join(dir, 'queries.jsonl'),
            '--json',
            ...extra
          ],
          {
            out: text => (out += text),
            err: () => {}
          }
        );
        assert.equal(code, 0);
        return JSON.parse(out) as Record<string, number>;
      };
      assert.equal((await run([]))['hit@1'], 0);
      assert.equal((await run(['--embeddings-url', endpoint.url, '--embeddings-model', 'concepts-1']))['hit@1'], 100);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
