#!/usr/bin/env node
/**
 * The conformance fixture: an MCP server with every tool, prompt, resource and template that the server
 * scenarios of the official conformance suite call (requirement sets 2025-11-25 and 2026-07-28), written on
 * SDK v2. It is the upstream Manifold is tested in front of, and the control the suite also runs against
 * directly.
 *
 *   fixture-server.ts --http <port>  [--era both|legacy|modern]   Streamable HTTP at http://127.0.0.1:<port>/mcp
 *   fixture-server.ts --stdio        [--era both|legacy|modern]
 *
 * `--era both` (default) serves 2025-11-25 clients in sessions (initialize, Mcp-Session-Id, GET stream) and
 * 2026-07-28 requests statelessly, on one endpoint. `legacy` is a server as most are in the field today: it
 * only knows `initialize` (a 2026-07-28 request without a session is a 400, `server/discover` on stdio is
 * "method not found"). `modern` serves 2026-07-28 only (`initialize` gets -32022).
 *
 * Handlers are written once for both eras: sampling, elicitation and roots are asked for by returning
 * `inputRequired(...)`; on a 2025 connection the SDK's legacy shim turns that into real requests to the client.
 */
import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

import { hostHeaderValidation, NodeStreamableHTTPServerTransport, originValidation, toNodeHandler } from '@modelcontextprotocol/node';
import type {
  CallToolResult,
  ClientCapabilities,
  GetPromptResult,
  InputRequest,
  InputRequiredResult,
  McpHttpHandler,
  RegisteredPrompt,
  RegisteredTool,
  ServerContext
} from '@modelcontextprotocol/server';
import {
  classifyInboundRequest,
  CLIENT_CAPABILITIES_META_KEY,
  completable,
  createMcpHandler,
  createRequestStateCodec,
  fromJsonSchema,
  inputRequired,
  inputResponse,
  isInitializeRequest,
  McpServer,
  ResourceTemplate
} from '@modelcontextprotocol/server';
import { serveStdio, StdioServerTransport } from '@modelcontextprotocol/server/stdio';
import * as z from 'zod/v4';

type Era = 'both' | 'legacy' | 'modern';

// A 1x1 PNG and a minimal WAV, for the image and audio content scenarios.
const pngBase64 = 'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8DwHwAFBQIAX8jx0gAAAABJRU5ErkJggg==';
const wavBase64 = 'UklGRiYAAABXQVZFZm10IBAAAAABAAEAQB8AAAB9AAACABAAZGF0YQIAAAA=';

/** JSON Schema 2020-12 keywords that must survive every hop unchanged (json-schema-2020-12 scenario). */
const schema202012 = {
  $schema: 'https://json-schema.org/draft/2020-12/schema',
  type: 'object',
  $defs: {
    address: { $anchor: 'addressDef', type: 'object', properties: { street: { type: 'string' }, city: { type: 'string' } } }
  },
  properties: {
    name: { type: 'string' },
    address: { $ref: '#/$defs/address' },
    contactMethod: { type: 'string', enum: ['phone', 'email'] },
    phone: { type: 'string' },
    email: { type: 'string' }
  },
  allOf: [{ anyOf: [{ required: ['phone'] }, { required: ['email'] }] }],
  if: { properties: { contactMethod: { const: 'phone' } }, required: ['contactMethod'] },
  then: { required: ['phone'] },
  else: { required: ['email'] },
  additionalProperties: false
};

/** requestState is attacker-controlled when it comes back: it is HMAC-sealed, with a TTL. */
const stateCodec = createRequestStateCodec<{ tool: string; round: number }>({ key: crypto.getRandomValues(new Uint8Array(32)), ttlSeconds: 600 });

function parseArgs(argv: string[]): { mode: 'http' | 'stdio'; port: number; era: Era } {
  let mode: 'http' | 'stdio' | undefined;
  let port = 0;
  let era: Era = 'both';
  for (let index = 0; index < argv.length; index++) {
    const arg = argv[index];
    if (arg === '--stdio') mode = 'stdio';
    else if (arg === '--http') {
      mode = 'http';
      port = Number(argv[++index] ?? '0');
    } else if (arg === '--era') {
      const value = argv[++index];
      if (value !== 'both' && value !== 'legacy' && value !== 'modern') throw new Error(`--era must be both, legacy or modern (got ${value})`);
      era = value;
    } else throw new Error(`unknown argument ${arg}`);
  }
  if (!mode) throw new Error('usage: fixture-server.ts --http <port> | --stdio  [--era both|legacy|modern]');
  return { mode, port, era };
}

// ---- Shared state: every server instance (per session, per request, per stdio connection) sees the same. ----

interface LiveInstance {
  mcp: McpServer;
  dynamicTool: RegisteredTool;
  dynamicPrompt: RegisteredPrompt;
  subscriptions: Set<string>;
  era: 'legacy' | 'modern';
}

const live = new Set<LiveInstance>();
let modernHandler: McpHttpHandler | undefined;
let dynamicToolOn = false;
let dynamicPromptOn = false;

function announceToolsChanged(): void {
  dynamicToolOn = !dynamicToolOn;
  // Registered-tool toggles send notifications/tools/list_changed on connected (lasting) instances.
  for (const instance of live) {
    if (dynamicToolOn) instance.dynamicTool.enable();
    else instance.dynamicTool.disable();
  }
  modernHandler?.notify.toolsChanged();
}

function announcePromptsChanged(): void {
  dynamicPromptOn = !dynamicPromptOn;
  for (const instance of live) {
    if (dynamicPromptOn) instance.dynamicPrompt.enable();
    else instance.dynamicPrompt.disable();
  }
  modernHandler?.notify.promptsChanged();
}

function announceResourceUpdated(uri: string): void {
  for (const instance of live) {
    // Legacy sessions get it when they subscribed; a modern stdio connection's listen filter is applied by the SDK.
    if (instance.era === 'legacy' && !instance.subscriptions.has(uri)) continue;
    void instance.mcp.server.sendResourceUpdated({ uri }).catch(() => {});
  }
  modernHandler?.notify.resourceUpdated(uri);
}

// ---- The server ----

const text = (value: string): CallToolResult => ({ content: [{ type: 'text', text: value }] });

function elicitation(message: string, properties: Record<string, unknown>, required?: string[]): InputRequest {
  return {
    method: 'elicitation/create',
    params: { message, requestedSchema: { type: 'object', properties, ...(required ? { required } : {}) } }
  } as InputRequest;
}

function sampling(prompt: string, maxTokens: number): InputRequest {
  return inputRequired.createMessage({ messages: [{ role: 'user', content: { type: 'text', text: prompt } }], maxTokens });
}

function samplingText(result: { content?: unknown }): string {
  const content = result.content as { type?: string; text?: string } | { type?: string; text?: string }[] | undefined;
  const first = Array.isArray(content) ? content[0] : content;
  return first?.type === 'text' && typeof first.text === 'string' ? first.text : JSON.stringify(content);
}

function describeElicit(view: ReturnType<typeof inputResponse>): string {
  return view.kind === 'elicit' ? `action=${view.action}, content=${JSON.stringify(view.content ?? {})}` : 'no response';
}

export function createFixtureServer(era: 'legacy' | 'modern', lasting: boolean): McpServer {
  const mcp = new McpServer(
    { name: 'manifold-conformance-fixture', version: '1.0.0' },
    {
      capabilities: {
        tools: { listChanged: true },
        prompts: { listChanged: true },
        resources: { subscribe: true, listChanged: true },
        completions: {},
        logging: {}
      },
      instructions: 'Conformance fixture for Manifold: every tool, prompt and resource the MCP conformance suite calls.',
      cacheHints: {
        'tools/list': { ttlMs: 60_000, cacheScope: 'public' },
        'prompts/list': { ttlMs: 45_000, cacheScope: 'public' },
        'resources/list': { ttlMs: 30_000, cacheScope: 'public' },
        'resources/templates/list': { ttlMs: 30_000, cacheScope: 'public' },
        'resources/read': { ttlMs: 5000, cacheScope: 'private' },
        'server/discover': { ttlMs: 60_000, cacheScope: 'public' }
      },
      requestState: { verify: (state, ctx) => stateCodec.verify(state, ctx) }
    }
  );
  const subscriptions = new Set<string>();
  const clientCapabilities = (ctx: ServerContext): ClientCapabilities =>
    ((ctx.mcpReq.envelope as Record<string, unknown> | undefined)?.[CLIENT_CAPABILITIES_META_KEY] as ClientCapabilities | undefined) ?? mcp.server.getClientCapabilities() ?? {};
  const stateRound = (ctx: ServerContext, tool: string): number => {
    const state = ctx.mcpReq.requestState<{ tool: string; round: number }>();
    return state && typeof state === 'object' && state.tool === tool ? state.round : 0;
  };
  const noArgs = z.object({});

  // --- content ---
  mcp.registerTool('test_simple_text', { description: 'Returns one text block', inputSchema: noArgs }, () => text('This is a simple text response for testing.'));
  mcp.registerTool('test_image_content', { description: 'Returns an image block', inputSchema: noArgs }, () => ({
    content: [{ type: 'image', data: pngBase64, mimeType: 'image/png' }]
  }));
  mcp.registerTool('test_audio_content', { description: 'Returns an audio block', inputSchema: noArgs }, () => ({
    content: [{ type: 'audio', data: wavBase64, mimeType: 'audio/wav' }]
  }));
  mcp.registerTool('test_embedded_resource', { description: 'Returns an embedded resource', inputSchema: noArgs }, () => ({
    content: [{ type: 'resource', resource: { uri: 'test://embedded-resource', mimeType: 'text/plain', text: 'This is an embedded resource content.' } }]
  }));
  mcp.registerTool('test_multiple_content_types', { description: 'Returns text, image and resource blocks', inputSchema: noArgs }, () => ({
    content: [
      { type: 'text', text: 'Multiple content types test:' },
      { type: 'image', data: pngBase64, mimeType: 'image/png' },
      { type: 'resource', resource: { uri: 'test://mixed-content-resource', mimeType: 'application/json', text: JSON.stringify({ test: 'data', value: 123 }) } }
    ]
  }));
  mcp.registerTool('test_error_handling', { description: 'Always fails (an isError result)', inputSchema: noArgs }, () => {
    throw new Error('This tool intentionally returns an error for testing');
  });

  // --- notifications during a call ---
  mcp.registerTool('test_tool_with_logging', { description: 'Logs three messages while it runs', inputSchema: noArgs }, async (_args, ctx) => {
    for (const [index, message] of ['Tool execution started', 'Tool processing data', 'Tool execution completed'].entries()) {
      if (index > 0) await delay(50);
      await ctx.mcpReq.log('info', message, 'conformance-fixture');
    }
    return text('Tool with logging executed successfully');
  });
  mcp.registerTool('test_logging_tool', { description: 'Logs once, through the per-request level gate', inputSchema: noArgs }, async (_args, ctx) => {
    await ctx.mcpReq.log('info', 'test_logging_tool ran', 'conformance-fixture');
    return text('logged (delivered only if the request asked for logs)');
  });
  mcp.registerTool('test_tool_with_progress', { description: 'Reports progress 0, 50, 100 of 100', inputSchema: noArgs }, async (_args, ctx) => {
    const progressToken = ctx.mcpReq._meta?.progressToken;
    for (const progress of [0, 50, 100]) {
      if (progressToken !== undefined) {
        await ctx.mcpReq.notify({ method: 'notifications/progress', params: { progressToken, progress, total: 100, message: `step ${progress}` } });
      }
      if (progress < 100) await delay(50);
    }
    return text(`progress reported for token ${String(progressToken ?? 'none')}`);
  });

  // --- list changes and resource updates (diagnostic hooks) ---
  mcp.registerTool('test_trigger_tool_change', { description: 'Adds or removes test_dynamic_tool (tools list_changed)', inputSchema: noArgs }, () => {
    announceToolsChanged();
    return text(`test_dynamic_tool is now ${dynamicToolOn ? 'listed' : 'gone'}`);
  });
  mcp.registerTool('test_trigger_prompt_change', { description: 'Adds or removes test_dynamic_prompt (prompts list_changed)', inputSchema: noArgs }, () => {
    announcePromptsChanged();
    return text(`test_dynamic_prompt is now ${dynamicPromptOn ? 'listed' : 'gone'}`);
  });
  mcp.registerTool('test_trigger_resource_update', { description: 'Sends resources/updated for test://watched-resource', inputSchema: noArgs }, () => {
    announceResourceUpdated('test://watched-resource');
    return text('test://watched-resource updated');
  });
  const dynamicTool = mcp.registerTool('test_dynamic_tool', { description: 'Listed only while toggled on', inputSchema: noArgs }, () => text('dynamic'));
  if (!dynamicToolOn) dynamicTool.disable();

  // --- JSON Schema 2020-12, advertised as written ---
  mcp.registerTool('json_schema_2020_12_tool', { description: 'Tool with JSON Schema 2020-12 features', inputSchema: fromJsonSchema(schema202012) }, () =>
    text('json schema 2020-12 tool called')
  );

  // --- SEP-2243: an argument mirrored into an Mcp-Param-Region header (validated by the SDK's HTTP entry) ---
  mcp.registerTool(
    'test_x_mcp_header',
    {
      description: 'Its region argument travels in the Mcp-Param-Region header too',
      // `x-mcp-header` is not in the SDK's JSON Schema type: the schema is passed as written.
      inputSchema: fromJsonSchema<{ region?: string; level?: number }>({
        type: 'object',
        properties: {
          region: { type: 'string', description: 'mirrored into Mcp-Param-Region', 'x-mcp-header': 'Region' },
          level: { type: 'integer', description: 'not mirrored' }
        }
      } as Parameters<typeof fromJsonSchema>[0])
    },
    args => text(`region=${args.region ?? '(none)'}`)
  );

  // --- sampling, elicitation, roots: asked for by returning input_required (pushed by the SDK on 2025 connections) ---
  mcp.registerTool('test_sampling', { description: 'Asks the client to sample', inputSchema: z.object({ prompt: z.string().describe('The prompt to send to the LLM') }) }, (args, ctx) => {
    const answer = inputResponse(ctx.mcpReq.inputResponses, 'llm');
    if (answer.kind !== 'sampling') return inputRequired({ inputRequests: { llm: sampling(args.prompt, 100) } });
    return text(`LLM response: ${samplingText(answer.result)}`);
  });
  mcp.registerTool(
    'test_elicitation',
    { description: 'Asks the user for a username and email', inputSchema: z.object({ message: z.string().describe('The message to show the user') }) },
    (args, ctx) => {
      const answer = inputResponse(ctx.mcpReq.inputResponses, 'user');
      if (answer.kind !== 'elicit') {
        return inputRequired({
          inputRequests: {
            user: elicitation(args.message, { username: { type: 'string', description: "User's response" }, email: { type: 'string', description: "User's email address" } }, [
              'username',
              'email'
            ])
          }
        });
      }
      return text(`User response: ${describeElicit(answer)}`);
    }
  );
  mcp.registerTool('test_elicitation_sep1034_defaults', { description: 'Elicits with a default for every primitive type', inputSchema: noArgs }, (_args, ctx) => {
    const answer = inputResponse(ctx.mcpReq.inputResponses, 'defaults');
    if (answer.kind !== 'elicit') {
      return inputRequired({
        inputRequests: {
          defaults: elicitation('Please review your details (defaults provided)', {
            name: { type: 'string', description: 'Name', default: 'John Doe' },
            age: { type: 'integer', description: 'Age', default: 30 },
            score: { type: 'number', description: 'Score', default: 95.5 },
            status: { type: 'string', description: 'Status', enum: ['active', 'inactive', 'pending'], default: 'active' },
            verified: { type: 'boolean', description: 'Verified', default: true }
          })
        }
      });
    }
    return text(`Elicitation completed: ${describeElicit(answer)}`);
  });
  mcp.registerTool('test_elicitation_sep1330_enums', { description: 'Elicits with all five enum shapes', inputSchema: noArgs }, (_args, ctx) => {
    const answer = inputResponse(ctx.mcpReq.inputResponses, 'enums');
    if (answer.kind !== 'elicit') {
      return inputRequired({
        inputRequests: {
          enums: elicitation('Choose your options', {
            untitledSingle: { type: 'string', description: 'Untitled single-select', enum: ['option1', 'option2', 'option3'] },
            titledSingle: {
              type: 'string',
              description: 'Titled single-select',
              oneOf: [
                { const: 'value1', title: 'First Option' },
                { const: 'value2', title: 'Second Option' },
                { const: 'value3', title: 'Third Option' }
              ]
            },
            legacyEnum: {
              type: 'string',
              description: 'Legacy titled enum',
              enum: ['opt1', 'opt2', 'opt3'],
              enumNames: ['Option One', 'Option Two', 'Option Three']
            },
            untitledMulti: { type: 'array', description: 'Untitled multi-select', items: { type: 'string', enum: ['option1', 'option2', 'option3'] } },
            titledMulti: {
              type: 'array',
              description: 'Titled multi-select',
              items: {
                anyOf: [
                  { const: 'value1', title: 'First Choice' },
                  { const: 'value2', title: 'Second Choice' },
                  { const: 'value3', title: 'Third Choice' }
                ]
              }
            }
          })
        }
      });
    }
    return text(`Elicitation completed: ${describeElicit(answer)}`);
  });

  // --- 2026-07-28 diagnostics (server-stateless) ---
  mcp.registerTool('test_missing_capability', { description: 'Needs the sampling capability (undeclared: -32021)', inputSchema: noArgs }, (_args, ctx) => {
    const answer = inputResponse(ctx.mcpReq.inputResponses, 'pong');
    if (answer.kind !== 'sampling') return inputRequired({ inputRequests: { pong: sampling('Reply with the single word: pong', 16) } });
    return text(`sampled: ${samplingText(answer.result)}`);
  });
  mcp.registerTool('test_streaming_elicitation', { description: 'Asks for input in its result, never with a request on the stream', inputSchema: noArgs }, (_args, ctx) => {
    if (!clientCapabilities(ctx).elicitation) return text('no elicitation capability: nothing to ask');
    const answer = inputResponse(ctx.mcpReq.inputResponses, 'confirm');
    if (answer.kind !== 'elicit') return inputRequired({ inputRequests: { confirm: elicitation('Continue?', { ok: { type: 'boolean' } }, ['ok']) } });
    return text(`streamed elicitation answered: ${describeElicit(answer)}`);
  });

  // --- SEP-2322 multi round-trip tools ---
  mcp.registerTool('test_input_required_result_elicitation', { description: 'MRTR: one elicitation', inputSchema: noArgs }, (_args, ctx) => {
    const name = nameFrom(inputResponse(ctx.mcpReq.inputResponses, 'user_name'));
    if (name === undefined) return inputRequired({ inputRequests: { user_name: elicitation('What is your name?', { name: { type: 'string' } }, ['name']) } });
    return text(`Hello, ${name}!`);
  });
  mcp.registerTool('test_input_required_result_sampling', { description: 'MRTR: one sampling request', inputSchema: noArgs }, (_args, ctx) => {
    const answer = inputResponse(ctx.mcpReq.inputResponses, 'capital_question');
    if (answer.kind !== 'sampling') return inputRequired({ inputRequests: { capital_question: sampling('What is the capital of France?', 100) } });
    return text(`The model said: ${samplingText(answer.result)}`);
  });
  mcp.registerTool('test_input_required_result_list_roots', { description: 'MRTR: one roots/list', inputSchema: noArgs }, (_args, ctx) => {
    const answer = inputResponse(ctx.mcpReq.inputResponses, 'client_roots');
    if (answer.kind !== 'roots') return inputRequired({ inputRequests: { client_roots: inputRequired.listRoots() } });
    return text(`Roots: ${answer.roots.map(root => root.uri).join(', ') || '(none)'}`);
  });
  mcp.registerTool('test_input_required_result_request_state', { description: 'MRTR: state carried across the round', inputSchema: noArgs }, async (_args, ctx) => {
    const answer = inputResponse(ctx.mcpReq.inputResponses, 'confirm');
    if (answer.kind !== 'elicit' || stateRound(ctx, 'request_state') !== 1) {
      return inputRequired({
        inputRequests: { confirm: elicitation('Please confirm', { ok: { type: 'boolean' } }, ['ok']) },
        requestState: await stateCodec.mint({ tool: 'request_state', round: 1 })
      });
    }
    return text(`state-ok: confirmed with ${describeElicit(answer)}`);
  });
  mcp.registerTool('test_input_required_result_multiple_inputs', { description: 'MRTR: elicitation, sampling and roots at once', inputSchema: noArgs }, async (_args, ctx) => {
    const responses = ctx.mcpReq.inputResponses;
    const name = nameFrom(inputResponse(responses, 'user_name'));
    const greeting = inputResponse(responses, 'greeting');
    const roots = inputResponse(responses, 'client_roots');
    if (name === undefined || greeting.kind !== 'sampling' || roots.kind !== 'roots' || stateRound(ctx, 'multiple_inputs') !== 1) {
      return inputRequired({
        inputRequests: {
          user_name: elicitation('What is your name?', { name: { type: 'string' } }, ['name']),
          greeting: sampling('Generate a greeting', 50),
          client_roots: inputRequired.listRoots()
        },
        requestState: await stateCodec.mint({ tool: 'multiple_inputs', round: 1 })
      });
    }
    return text(`name=${name}; greeting=${samplingText(greeting.result)}; roots=${roots.roots.length}`);
  });
  mcp.registerTool('test_input_required_result_multi_round', { description: 'MRTR: two rounds, the state changes', inputSchema: noArgs }, async (_args, ctx) => {
    const round = stateRound(ctx, 'multi_round');
    const responses = ctx.mcpReq.inputResponses;
    if (round === 1) {
      const name = nameFrom(inputResponse(responses, 'step1'));
      if (name !== undefined) {
        return inputRequired({
          inputRequests: { step2: elicitation('Step 2: What is your favorite color?', { color: { type: 'string' } }, ['color']) },
          requestState: await stateCodec.mint({ tool: 'multi_round', round: 2 })
        });
      }
    }
    if (round === 2) {
      const color = inputResponse(responses, 'step2');
      if (color.kind === 'elicit' && color.action === 'accept') return text(`multi-round complete: ${JSON.stringify(color.content ?? {})}`);
      return inputRequired({
        inputRequests: { step2: elicitation('Step 2: What is your favorite color?', { color: { type: 'string' } }, ['color']) },
        requestState: await stateCodec.mint({ tool: 'multi_round', round: 2 })
      });
    }
    return inputRequired({
      inputRequests: { step1: elicitation('Step 1: What is your name?', { name: { type: 'string' } }, ['name']) },
      requestState: await stateCodec.mint({ tool: 'multi_round', round: 1 })
    });
  });
  mcp.registerTool('test_input_required_result_tampered_state', { description: 'MRTR: a sealed state (tampering is rejected)', inputSchema: noArgs }, async (_args, ctx) => {
    const answer = inputResponse(ctx.mcpReq.inputResponses, 'confirm');
    if (answer.kind !== 'elicit' || stateRound(ctx, 'tampered_state') !== 1) {
      return inputRequired({
        inputRequests: { confirm: elicitation('Please confirm', { ok: { type: 'boolean' } }, ['ok']) },
        requestState: await stateCodec.mint({ tool: 'tampered_state', round: 1 })
      });
    }
    return text('state verified');
  });
  mcp.registerTool('test_input_required_result_capabilities', { description: 'MRTR: asks only for what the client declared', inputSchema: noArgs }, (_args, ctx) => {
    const capabilities = clientCapabilities(ctx);
    const responses = ctx.mcpReq.inputResponses;
    const requests: Record<string, InputRequest> = {};
    if (capabilities.sampling && inputResponse(responses, 'sample').kind !== 'sampling') requests.sample = sampling('Say hello', 20);
    if (capabilities.elicitation && inputResponse(responses, 'ask').kind !== 'elicit') requests.ask = elicitation('Say hello', { text: { type: 'string' } });
    if (Object.keys(requests).length > 0) return inputRequired({ inputRequests: requests });
    return text(`done with capabilities: ${Object.keys(capabilities).join(', ') || '(none)'}`);
  });

  // --- prompts ---
  mcp.registerPrompt('test_simple_prompt', { description: 'A prompt without arguments' }, () => ({
    messages: [{ role: 'user', content: { type: 'text', text: 'This is a simple prompt for testing.' } }]
  }));
  mcp.registerPrompt(
    'test_prompt_with_arguments',
    {
      description: 'A prompt with two arguments',
      argsSchema: z.object({
        arg1: completable(z.string().describe('First test argument'), value => ['paris', 'park', 'party'].filter(option => option.startsWith(value))),
        arg2: z.string().describe('Second test argument')
      })
    },
    ({ arg1, arg2 }) => ({ messages: [{ role: 'user', content: { type: 'text', text: `Prompt with arguments: arg1='${arg1}', arg2='${arg2}'` } }] })
  );
  mcp.registerPrompt(
    'test_prompt_with_embedded_resource',
    { description: 'A prompt embedding a resource', argsSchema: z.object({ resourceUri: z.string().describe('URI of the resource to embed') }) },
    ({ resourceUri }) => ({
      messages: [
        { role: 'user', content: { type: 'resource', resource: { uri: resourceUri, mimeType: 'text/plain', text: 'Embedded resource content for testing.' } } },
        { role: 'user', content: { type: 'text', text: 'Please process the embedded resource above.' } }
      ]
    })
  );
  mcp.registerPrompt('test_prompt_with_image', { description: 'A prompt with an image' }, () => ({
    messages: [
      { role: 'user', content: { type: 'image', data: pngBase64, mimeType: 'image/png' } },
      { role: 'user', content: { type: 'text', text: 'Please analyze the image above.' } }
    ]
  }));
  mcp.registerPrompt('test_input_required_result_prompt', { description: 'MRTR on prompts/get' }, (ctx): GetPromptResult | InputRequiredResult => {
    const answer = inputResponse(ctx.mcpReq.inputResponses, 'user_context');
    if (answer.kind !== 'elicit' || answer.action !== 'accept') {
      return inputRequired({
        inputRequests: { user_context: elicitation('What context should the prompt use?', { context: { type: 'string' } }, ['context']) }
      });
    }
    return { messages: [{ role: 'user', content: { type: 'text', text: `Use this context: ${JSON.stringify(answer.content?.context ?? '')}` } }] };
  });
  const dynamicPrompt = mcp.registerPrompt('test_dynamic_prompt', { description: 'Listed only while toggled on' }, () => ({
    messages: [{ role: 'user', content: { type: 'text', text: 'dynamic' } }]
  }));
  if (!dynamicPromptOn) dynamicPrompt.disable();

  // --- resources ---
  mcp.registerResource('static-text', 'test://static-text', { description: 'A static text resource', mimeType: 'text/plain' }, uri => ({
    contents: [{ uri: uri.href, mimeType: 'text/plain', text: 'This is the content of the static text resource.' }]
  }));
  mcp.registerResource(
    'static-binary',
    'test://static-binary',
    { description: 'A static binary resource', mimeType: 'image/png', cacheHint: { ttlMs: 120_000, cacheScope: 'public' } },
    uri => ({ contents: [{ uri: uri.href, mimeType: 'image/png', blob: pngBase64 }] })
  );
  mcp.registerResource('watched-resource', 'test://watched-resource', { description: 'A resource to subscribe to', mimeType: 'text/plain' }, uri => ({
    contents: [{ uri: uri.href, mimeType: 'text/plain', text: 'Watched resource content' }]
  }));
  mcp.registerResource(
    'template',
    new ResourceTemplate('test://template/{id}/data', { list: undefined }),
    { description: 'A resource template with an id', mimeType: 'application/json' },
    (uri, variables) => {
      const id = String(variables.id);
      return { contents: [{ uri: uri.href, mimeType: 'application/json', text: JSON.stringify({ id, templateTest: true, data: `Data for ID: ${id}` }) }] };
    }
  );

  // 2025-era subscriptions (2026-07-28 subscribes through subscriptions/listen, handled by the SDK).
  if (era === 'legacy') {
    mcp.server.setRequestHandler('resources/subscribe', request => {
      subscriptions.add(request.params.uri);
      return {};
    });
    mcp.server.setRequestHandler('resources/unsubscribe', request => {
      subscriptions.delete(request.params.uri);
      return {};
    });
  }

  if (lasting) {
    const instance: LiveInstance = { mcp, dynamicTool, dynamicPrompt, subscriptions, era };
    live.add(instance);
    mcp.server.onclose = () => live.delete(instance);
  }
  return mcp;
}

function nameFrom(view: ReturnType<typeof inputResponse>): string | undefined {
  if (view.kind !== 'elicit' || view.action !== 'accept') return undefined;
  const name = view.content?.name;
  return typeof name === 'string' ? name : undefined;
}

function delay(ms: number): Promise<void> {
  return new Promise(resolve => setTimeout(resolve, ms));
}

// ---- Serving ----

async function serveHttp(port: number, era: Era): Promise<void> {
  const localhost = ['localhost', '127.0.0.1', '[::1]'];
  const checkHost = hostHeaderValidation(localhost);
  const checkOrigin = originValidation(localhost);
  const handler = era === 'legacy' ? undefined : createMcpHandler(() => createFixtureServer('modern', false), { legacy: 'reject' });
  modernHandler = handler;
  const modern = handler ? toNodeHandler(handler) : undefined;
  const sessions = new Map<string, NodeStreamableHTTPServerTransport>();

  const startSession = async (): Promise<NodeStreamableHTTPServerTransport> => {
    const mcp = createFixtureServer('legacy', true);
    const transport = new NodeStreamableHTTPServerTransport({
      sessionIdGenerator: () => randomUUID(),
      onsessioninitialized: id => void sessions.set(id, transport)
    });
    transport.onclose = () => {
      if (transport.sessionId) sessions.delete(transport.sessionId);
    };
    await mcp.connect(transport);
    return transport;
  };

  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    if (!req.url?.startsWith('/mcp')) return reply(res, 404, { error: 'the MCP endpoint is /mcp' });
    if (!checkHost(req, res) || !checkOrigin(req, res)) return;
    const sessionId = headerOf(req, 'mcp-session-id');
    if (req.method === 'POST') {
      const body = await readJson(req);
      if (body === undefined) return reply(res, 400, { jsonrpc: '2.0', error: { code: -32700, message: 'Parse error' }, id: null });
      const inbound = classifyInboundRequest({
        httpMethod: 'POST',
        protocolVersionHeader: headerOf(req, 'mcp-protocol-version'),
        mcpMethodHeader: headerOf(req, 'mcp-method'),
        body
      });
      const legacyTraffic = inbound.kind === 'legacy' || sessionId !== undefined;
      if (era === 'modern' || (!legacyTraffic && modern)) return modern!(req, res, body);
      if (sessionId) {
        const transport = sessions.get(sessionId);
        if (!transport) return reply(res, 404, { jsonrpc: '2.0', error: { code: -32001, message: 'Session not found' }, id: null });
        return transport.handleRequest(req, res, body);
      }
      // A 2025 server knows nothing but initialize before a session exists.
      if (!isInitializeRequest(body)) return reply(res, 400, { jsonrpc: '2.0', error: { code: -32000, message: 'Bad Request: Server not initialized' }, id: null });
      const transport = await startSession();
      return transport.handleRequest(req, res, body);
    }
    if ((req.method === 'GET' || req.method === 'DELETE') && era !== 'modern' && sessionId) {
      const transport = sessions.get(sessionId);
      if (!transport) return reply(res, 404, { jsonrpc: '2.0', error: { code: -32001, message: 'Session not found' }, id: null });
      return transport.handleRequest(req, res);
    }
    if (modern) return modern(req, res);
    res.writeHead(405, { allow: 'POST' }).end();
  };

  const server = createServer((req, res) => {
    handle(req, res).catch(error => {
      process.stderr.write(`fixture: ${error instanceof Error ? error.stack : String(error)}\n`);
      if (!res.headersSent) reply(res, 500, { jsonrpc: '2.0', error: { code: -32603, message: 'internal error' }, id: null });
      else res.end();
    });
  });
  await new Promise<void>(resolve => server.listen(port, '127.0.0.1', resolve));
  const address = server.address() as AddressInfo;
  process.stderr.write(`conformance fixture (${era}) serving at http://localhost:${address.port}/mcp\n`);
  const stop = () => {
    server.closeAllConnections();
    server.close(() => process.exit(0));
  };
  process.once('SIGTERM', stop);
  process.once('SIGINT', stop);
}

async function serveOnStdio(era: Era): Promise<void> {
  if (era === 'legacy') {
    // Hand-wired: 2025 only, as a server written before 2026-07-28.
    const mcp = createFixtureServer('legacy', true);
    await mcp.connect(new StdioServerTransport());
    return;
  }
  serveStdio(context => createFixtureServer(context.era === 'modern' ? 'modern' : 'legacy', true), {
    legacy: era === 'modern' ? 'reject' : 'serve',
    onerror: error => process.stderr.write(`fixture: ${error.message}\n`)
  });
}

function headerOf(req: IncomingMessage, name: string): string | undefined {
  const value = req.headers[name];
  return Array.isArray(value) ? value[0] : value;
}

async function readJson(req: IncomingMessage): Promise<unknown> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  try {
    return JSON.parse(Buffer.concat(chunks).toString('utf8'));
  } catch {
    return undefined;
  }
}

function reply(res: ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body));
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const { mode, port, era } = parseArgs(process.argv.slice(2));
  if (mode === 'http') await serveHttp(port, era);
  else await serveOnStdio(era);
}
