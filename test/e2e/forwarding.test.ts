/**
 * Forwarding e2e: everything a client and servers say to each other, through the gateway over stdio, over
 * Streamable HTTP (2025-11-25 and 2026-07-28 SDK clients) and over the legacy HTTP+SSE transport (2025 clients). Upstreams: the official everything server (a 2025
 * server over stdio; shared, and again as a perClient server for the client's roots), the slow fixture and the changing-tools fixture (dual-era servers the gateway reaches
 * as 2026-07-28 ones).
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';

import type { Client } from '@modelcontextprotocol/client';

import { assertProgress, firstText } from '../helpers/fixtures.js';
import {
  type ConnectedClient,
  connectHttp,
  connectSse,
  connectStdio,
  type Era,
  fixtureServer,
  type HttpGatewayProcess,
  npmServerPath,
  startHttpGateway,
  waitFor,
  writeConfig
} from '../helpers/gateway.js';

const servers = {
  everything: { command: process.execPath, args: [npmServerPath('server-everything'), 'stdio'] },
  // The same server with a session per client: only such a server sees the client's own roots.
  everythingPerClient: { command: process.execPath, args: [npmServerPath('server-everything'), 'stdio'], perClient: true },
  slow: fixtureServer('slow.ts'),
  // The same fixture reached as a 2025 server: cancellation as notifications/cancelled, logging per session.
  slowLegacy: fixtureServer('slow.ts', [], { protocol: 'legacy' }),
  changing: fixtureServer('changing-tools.ts'),
  changingLegacy: fixtureServer('changing-tools.ts', [], { protocol: 'legacy' })
};

const legacyCapabilities = { sampling: {}, elicitation: { form: {} }, roots: { listChanged: true } };

interface Received {
  toolsChanged: number;
  updated: string[];
  logs: { level: string; data: unknown; logger?: string }[];
  requests: string[];
}

/** Handlers a real client would have: it samples, declines elicitations, has one root; records what came. */
function instrument(client: Client, era: Era): Received {
  const received: Received = { toolsChanged: 0, updated: [], logs: [], requests: [] };
  client.setNotificationHandler('notifications/tools/list_changed', () => void received.toolsChanged++);
  client.setNotificationHandler('notifications/resources/updated', notification => void received.updated.push(notification.params.uri));
  client.setNotificationHandler('notifications/message', notification => {
    const { level, data, logger } = notification.params;
    received.logs.push({ level, data, ...(logger ? { logger } : {}) });
  });
  if (era === 'legacy') {
    client.setRequestHandler('sampling/createMessage', async () => {
      received.requests.push('sampling');
      return { model: 'test-model', role: 'assistant', content: { type: 'text', text: 'sampled by the test client' } };
    });
    client.setRequestHandler('elicitation/create', async () => {
      received.requests.push('elicitation');
      return { action: 'decline' };
    });
    client.setRequestHandler('roots/list', async () => {
      received.requests.push('roots');
      return { roots: [{ uri: 'file:///tmp/manifold-test-root', name: 'test root' }] };
    });
  }
  return received;
}

for (const transport of ['stdio', 'http', 'sse'] as const) {
  // The legacy HTTP+SSE transport predates 2026-07-28: only 2025 clients use it.
  for (const era of transport === 'sse' ? (['legacy'] as const) : (['legacy', 'modern'] as const)) {
    describe(`forwarding over ${transport}, ${era} client`, { timeout: 120_000 }, () => {
      let client: Client;
      let received: Received;
      const cleanup: AsyncDisposable[] = [];

      before(async () => {
        const config = writeConfig({ servers });
        cleanup.push(config);
        const options = { era, ...(era === 'legacy' ? { capabilities: legacyCapabilities } : {}) };
        if (transport === 'stdio') {
          const connected: ConnectedClient = await connectStdio(config.path, options);
          cleanup.push(connected);
          client = connected.client;
        } else {
          const gateway: HttpGatewayProcess = await startHttpGateway(config.path);
          cleanup.push(gateway);
          client = transport === 'sse' ? await connectSse(gateway.url.replace(/\/mcp$/, '/sse'), options) : await connectHttp(gateway.url, options);
          cleanup.push(client as Client & AsyncDisposable);
        }
        received = instrument(client, era);
        // The gateway serves as soon as each upstream connected or failed once (fail open): on a loaded
        // machine one may still be reconnecting.
        await waitFor(async () => {
          const { tools } = await client.listTools();
          return ['everything__echo', 'everythingPerClient__echo', 'slow__slow', 'slowLegacy__slow', 'changing__add_tool', 'changingLegacy__add_tool'].every(
            name => tools.some(tool => tool.name === name)
          );
        }, 'the six upstreams to be up', 30_000);
      });

      after(async () => {
        for (const item of cleanup.reverse()) await item[Symbol.asyncDispose]();
      });

      it('resources: list, templates, read', async () => {
        const { resources } = await client.listResources();
        assert.ok(resources.some(resource => resource.uri.startsWith('demo://resource/static/document/')));
        const { resourceTemplates } = await client.listResourceTemplates();
        assert.ok(resourceTemplates.some(template => template.uriTemplate === 'demo://resource/dynamic/text/{resourceId}'));
        const { contents } = await client.readResource({ uri: 'demo://resource/dynamic/text/7' });
        assert.equal(contents[0]?.uri, 'demo://resource/dynamic/text/7');
        assert.match(String((contents[0] as { text?: string }).text), /7/);
      });

      it('prompts: get with arguments', async () => {
        const prompt = await client.getPrompt({ name: 'everything__args-prompt', arguments: { city: 'Lyon', state: 'Rhône' } });
        const text = JSON.stringify(prompt.messages);
        assert.match(text, /Lyon/);
        assert.match(text, /Rhône/);
      });

      it('completion/complete, with context arguments', async () => {
        const ref = { type: 'ref/prompt' as const, name: 'everything__completable-prompt' };
        const departments = await client.complete({ ref, argument: { name: 'department', value: 'Eng' } });
        assert.deepEqual(departments.completion.values, ['Engineering']);
        const names = await client.complete({ ref, argument: { name: 'name', value: 'A' }, context: { arguments: { department: 'Engineering' } } });
        assert.deepEqual(names.completion.values, ['Alice']);
      });

      it('progress from long-running tools (a 2025 upstream and a 2026 upstream)', async () => {
        const fromEverything: number[] = [];
        const result = await client.callTool(
          { name: 'everything__trigger-long-running-operation', arguments: { duration: 0.45, steps: 3 } },
          { onprogress: progress => void fromEverything.push(progress.progress) }
        );
        assert.match(firstText(result), /completed/i);
        assertProgress(fromEverything, 3, 'progress from everything');

        const fromSlow: { progress: number; total?: number; message?: string }[] = [];
        await client.callTool({ name: 'slow__slow', arguments: { ms: 450, steps: 3 } }, { onprogress: progress => void fromSlow.push(progress) });
        assertProgress(fromSlow.map(update => update.progress), 3, 'progress from slow');
        for (const update of fromSlow) assert.deepEqual(update, { progress: update.progress, total: 3, message: `step ${update.progress}` });
      });

      for (const upstream of ['slow', 'slowLegacy']) {
        it(`cancellation reaches the upstream (${upstream === 'slow' ? '2026' : '2025'} server)`, async () => {
          assert.equal(firstText(await client.callTool({ name: `${upstream}__last_cancelled`, arguments: {} })), 'none');
          const controller = new AbortController();
          const call = client.callTool(
            { name: `${upstream}__slow`, arguments: { ms: 60_000, steps: 600 } },
            { signal: controller.signal, onprogress: () => controller.abort('the test cancels') }
          );
          await assert.rejects(call);
          let recorded = 'none';
          await waitFor(async () => {
            recorded = firstText(await client.callTool({ name: `${upstream}__last_cancelled`, arguments: {} }));
            return recorded !== 'none';
          }, 'the upstream to record the cancellation');
          const { step, steps } = JSON.parse(recorded) as { step: number; steps: number };
          assert.equal(steps, 600);
          assert.ok(step < 600, `stopped early, after ${step} steps`);
        });
      }

      it('logging: the client’s level decides which upstream log messages it gets (2026 and 2025 servers)', async () => {
        const level = (value: string) => (era === 'modern' ? { _meta: { 'io.modelcontextprotocol/logLevel': value } } : {});
        if (era === 'legacy') await client.setLoggingLevel('warning');
        for (const upstream of ['slow', 'slowLegacy']) {
          const before = received.logs.length;
          const tag = `${transport}-${upstream}`;
          await client.callTool({ name: `${upstream}__log`, arguments: { level: 'info', message: `quiet-${tag}` }, ...level('warning') });
          await client.callTool({ name: `${upstream}__log`, arguments: { level: 'error', message: `loud-${tag}` }, ...level('warning') });
          await waitFor(() => received.logs.some(log => log.data === `loud-${tag}`), `the error log message from ${upstream}`);
          const got = received.logs.slice(before);
          assert.ok(!got.some(log => log.data === `quiet-${tag}`), `an info message got through a warning level: ${JSON.stringify(got)}`);
          const loud = got.find(log => log.data === `loud-${tag}`);
          assert.equal(loud?.level, 'error');
          assert.equal(loud?.logger, 'slow-fixture');
        }
      });

      it('list_changed: a tool added upstream reaches the client, and the new tool is callable (2026 and 2025 servers)', async () => {
        if (era === 'modern') await client.listen({ toolsListChanged: true });
        for (const upstream of ['changing', 'changingLegacy']) {
          const before = received.toolsChanged;
          const name = `added_${transport}_${era}`;
          await client.callTool({ name: `${upstream}__add_tool`, arguments: { name, description: 'added by the forwarding test' } });
          await waitFor(() => received.toolsChanged > before, `notifications/tools/list_changed from ${upstream}`);
          await waitFor(async () => (await client.listTools()).tools.some(tool => tool.name === `${upstream}__${name}`), `${upstream}__${name} listed`);
          assert.match(firstText(await client.callTool({ name: `${upstream}__${name}`, arguments: { text: 'hi' } })), /hi/);
        }
      });

      if (era === 'legacy') {
        it('resources/subscribe: notifications/resources/updated from the upstream reach the subscriber', async () => {
          const uri = 'demo://resource/dynamic/text/1';
          await client.subscribeResource({ uri });
          await client.callTool({ name: 'everything__toggle-subscriber-updates', arguments: {} });
          try {
            await waitFor(() => received.updated.includes(uri), `notifications/resources/updated for ${uri}`, 15_000);
          } finally {
            await client.callTool({ name: 'everything__toggle-subscriber-updates', arguments: {} });
            await client.unsubscribeResource({ uri });
          }
        });

        it('sampling, elicitation and roots requests are relayed to the calling client', async () => {
          const sampled = await client.callTool({ name: 'everything__trigger-sampling-request', arguments: { prompt: 'say hi', maxTokens: 20 } });
          assert.match(JSON.stringify(sampled.content), /sampled by the test client/);
          const elicited = await client.callTool({ name: 'everything__trigger-elicitation-request', arguments: {} });
          assert.match(JSON.stringify(elicited.content), /declined/);
          const roots = await client.callTool({ name: 'everythingPerClient__get-roots-list', arguments: {} });
          assert.match(JSON.stringify(roots.content), /file:\/\/\/tmp\/manifold-test-root/);
          assert.ok(received.requests.includes('sampling') && received.requests.includes('elicitation') && received.requests.includes('roots'));
        });
      } else {
        it('resources: a subscription on the listen stream gets notifications/resources/updated', async () => {
          const uri = 'demo://resource/dynamic/text/1';
          const subscription = await client.listen({ resourceSubscriptions: [uri] });
          await client.callTool({ name: 'everything__toggle-subscriber-updates', arguments: {} });
          try {
            await waitFor(() => received.updated.includes(uri), `notifications/resources/updated for ${uri}`, 15_000);
          } finally {
            await client.callTool({ name: 'everything__toggle-subscriber-updates', arguments: {} });
            await subscription.close();
          }
        });
      }
    });
  }
}
