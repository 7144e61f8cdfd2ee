#!/usr/bin/env node
/**
 * The conformance suite's client scenarios, played by Manifold's upstream side: `conformance client --command
 * "node --import tsx test/conformance/connector-client.ts" --scenario <name>` starts a mock server and runs this
 * with its URL. It connects an `UpstreamConnection` (the connector every configured server gets: era probe,
 * lists) and sends the scenario's requests through the real dispatcher, as a 2026-07-28 client of the gateway
 * would; `input_required` results are answered the way such a client answers them, and retried.
 *
 * Scenarios (MCP_CONFORMANCE_SCENARIO): tools_call, request-metadata, sep-2322-client-request-state,
 * http-standard-headers, http-custom-headers, http-invalid-tool-headers, json-schema-ref-no-deref, and the
 * `auth/*` scenarios: the mock server demands OAuth, and the connector is configured with `oauth:` as a user
 * would configure it (authorization code with dynamic registration; the CIMD URL, or the pre-registered
 * client, or the client credentials the scenario's context gives). The browser of `manifold login` is played
 * here: it GETs the authorization URL (the mock approves at once) and hands back the redirect's query.
 */
import { Catalog } from '../../src/catalog/index.js';
import { parseConfig } from '../../src/config/index.js';
import { createDispatcher } from '../../src/gateway/dispatcher.js';
import { InflightRegistry } from '../../src/gateway/inflight.js';
import type { DispatchMethod, DownstreamContext, GatewayResult } from '../../src/core/pipeline.js';
import { SessionRegistry } from '../../src/gateway/sessions.js';
import { createLogger } from '../../src/telemetry/logger.js';
import { MemoryCredentialStore } from '../../src/store/index.js';
import { UpstreamConnection } from '../../src/upstream/index.js';
import { nodeFetch } from '../../src/upstream/node-fetch.js';

const url = process.argv.at(-1) ?? '';
const scenario = process.env.MCP_CONFORMANCE_SCENARIO ?? '';
const context = JSON.parse(process.env.MCP_CONFORMANCE_CONTEXT ?? '{}') as {
  toolCalls?: { name: string; arguments: Record<string, unknown> }[];
  client_id?: string;
  client_secret?: string;
};
const isAuth = scenario.startsWith('auth/');

/** The `oauth:` a user would write for the scenario's server. */
function oauthFor(name: string): Record<string, unknown> {
  if (name === 'auth/basic-cimd') return { clientMetadataUrl: 'https://conformance-test.local/client-metadata.json' };
  if (name.startsWith('auth/client-credentials')) return { grant: 'client_credentials', clientId: context.client_id, clientSecret: context.client_secret };
  if (context.client_id) return { clientId: context.client_id, ...(context.client_secret ? { clientSecret: context.client_secret } : {}) };
  return {};
}

/** The person's browser: the mock authorization server approves at once and redirects with the code. */
async function browser(authorizationUrl: URL): Promise<URLSearchParams> {
  const response = await fetch(authorizationUrl, { redirect: 'manual' });
  await response.body?.cancel();
  const location = response.headers.get('location');
  if (!location) throw new Error(`the authorization endpoint answered HTTP ${response.status} without a redirect`);
  return new URL(location).searchParams;
}

/**
 * Some of the suite's client mocks implement only tools/list and tools/call: they answer both `server/discover`
 * and `initialize` with -32601, so no client can establish an era with them. For those, the connect-time
 * `server/discover` is answered here (as the SDK's own conformance client does); every other request reaches
 * the mock. Only the probe is local: what the scenarios measure is what the connector sends afterwards.
 */
const mocksWithoutDiscover = new Set(['sep-2322-client-request-state', 'http-custom-headers', 'http-invalid-tool-headers']);

function localDiscover(): typeof fetch {
  return async (input, init) => {
    if (typeof init?.body === 'string') {
      const message = JSON.parse(init.body) as { method?: string; id?: unknown };
      if (message.method === 'server/discover') {
        return Response.json({
          jsonrpc: '2.0',
          id: message.id,
          result: {
            resultType: 'complete',
            supportedVersions: ['2026-07-28'],
            capabilities: { tools: { listChanged: true } },
            _meta: { 'io.modelcontextprotocol/serverInfo': { name: 'conformance-mock', version: '1.0.0' } },
            ttlMs: 0,
            cacheScope: 'private'
          }
        });
      }
    }
    return nodeFetch(input, init);
  };
}

const logger = createLogger({ level: process.env.MANIFOLD_TEST_LOG === 'debug' ? 'debug' : 'warn' });
const { config } = parseConfig(JSON.stringify({ servers: { mock: { type: 'http', url, prefix: false, ...(isAuth ? { oauth: oauthFor(scenario) } : {}) } } }));
const server = config.servers.mock;
if (!server) throw new Error('no server config');
const sessions = new SessionRegistry(logger);
const inflight = new InflightRegistry(sessions, logger);
const upstream = new UpstreamConnection({
  name: 'mock',
  config: server,
  logger,
  relay: inflight,
  defaultTimeoutMs: 10_000,
  connectTimeoutMs: 10_000,
  clientInfo: { name: 'manifold', version: '0.1.0' },
  backoff: { baseMs: 60_000, maxMs: 60_000 },
  ...(mocksWithoutDiscover.has(scenario) ? { fetch: localDiscover() } : {}),
  ...(isAuth ? { credentials: new MemoryCredentialStore(), userAgent: browser, redirectUri: 'http://localhost:3000/callback' } : {})
});
const catalog = new Catalog([upstream], logger);
const dispatch = createDispatcher(catalog, new Map([['mock', upstream]]), inflight);

/** What a 2026-07-28 client of the gateway would give when asked for input. */
function answer(request: { method: string; params?: Record<string, unknown> }): Record<string, unknown> {
  switch (request.method) {
    case 'elicitation/create':
      return { action: 'accept', content: { confirmed: true } };
    case 'sampling/createMessage':
      return { role: 'assistant', content: { type: 'text', text: 'ok' }, model: 'test', stopReason: 'endTurn' };
    default:
      return { roots: [] };
  }
}

/** Sends one request through the dispatcher as a modern client would, answering input_required rounds. */
async function send(method: DispatchMethod, params: Record<string, unknown>): Promise<GatewayResult> {
  let inputResponses: Record<string, unknown> | undefined;
  let requestState: string | undefined;
  for (let round = 0; round < 8; round++) {
    const downstream: DownstreamContext = {
      era: 'modern',
      sessionId: '',
      signal: new AbortController().signal,
      clientCapabilities: { elicitation: {} },
      progressToken: undefined,
      notify: () => Promise.resolve(),
      log: () => {},
      ...(inputResponses ? { inputResponses } : {}),
      ...(requestState !== undefined ? { requestState } : {})
    };
    const result = await dispatch({ method, params, downstream });
    if (result.resultType !== 'input_required') return result;
    const requests = (result.inputRequests ?? {}) as Record<string, { method: string; params?: Record<string, unknown> }>;
    inputResponses = Object.fromEntries(Object.entries(requests).map(([key, request]) => [key, answer(request)]));
    requestState = typeof result.requestState === 'string' ? result.requestState : undefined;
  }
  throw new Error(`${method}: still input_required after 8 rounds`);
}

async function attempt(what: string, run: () => Promise<unknown>): Promise<void> {
  try {
    await run();
  } catch (error) {
    process.stderr.write(`${what} failed: ${error instanceof Error ? error.message : String(error)}\n`);
  }
}

await upstream.start();
if (upstream.state.kind !== 'ready') {
  process.stderr.write(`could not connect to ${url}: ${JSON.stringify(upstream.state)}\n`);
  await upstream.stop();
  process.exit(1);
}

switch (isAuth ? 'auth' : scenario) {
  case 'auth':
    for (const tool of catalog.tools) await attempt(tool.name, () => send('tools/call', { name: tool.name, arguments: {} }));
    break;
  case 'tools_call':
  case 'request-metadata':
    for (const tool of catalog.tools) await attempt(tool.name, () => send('tools/call', { name: tool.name, arguments: { a: 5, b: 3 } }));
    break;
  case 'sep-2322-client-request-state':
  case 'json-schema-ref-no-deref':
    for (const tool of catalog.tools) await attempt(tool.name, () => send('tools/call', { name: tool.name, arguments: {} }));
    break;
  case 'http-standard-headers': {
    const [tool] = catalog.tools;
    if (tool) await attempt('tools/call', () => send('tools/call', { name: tool.name, arguments: {} }));
    const [resource] = catalog.resources;
    if (resource) await attempt('resources/read', () => send('resources/read', { uri: resource.uri }));
    const [prompt] = catalog.prompts;
    if (prompt) await attempt('prompts/get', () => send('prompts/get', { name: prompt.name, arguments: {} }));
    break;
  }
  case 'http-custom-headers':
    for (const call of context.toolCalls ?? []) await attempt(call.name, () => send('tools/call', { name: call.name, arguments: call.arguments }));
    break;
  case 'http-invalid-tool-headers':
    // Every tool the connector kept; tools with invalid x-mcp-header annotations must not be among them.
    for (const tool of catalog.tools) await attempt(tool.name, () => send('tools/call', { name: tool.name, arguments: { region: 'us-west1' } }));
    break;
  default:
    process.stderr.write(`unknown scenario "${scenario}"\n`);
    await upstream.stop();
    process.exit(2);
}
await upstream.stop();
