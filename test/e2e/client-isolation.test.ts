/**
 * Regression tests for issue 9, defect 2: per-client state never crosses clients. Several real SDK clients
 * (2025-11-25 and 2026-07-28, over Streamable HTTP and stdio) with different roots and different elicitation
 * answers, in front of the official filesystem server and the asks-client fixture (a 2025-era server that
 * asks the client during calls). Shared servers see the config's roots; a `perClient` server gives each client
 * session its own upstream session, closed when the client goes.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, realpathSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { describe, it } from 'node:test';

import type { Client, StreamableHTTPClientTransport } from '@modelcontextprotocol/client';

import { firstText, pidsWithArg } from '../helpers/fixtures.js';
import {
  connectHttp,
  connectSse,
  connectStdio,
  defaultServers,
  type Era,
  fixtureServer,
  startHttpGateway,
  waitFor,
  writeConfig
} from '../helpers/gateway.js';

const asker = (extra: Record<string, unknown> = {}) =>
  fixtureServer('asks-client.ts', [], { protocol: 'legacy', ...extra });

/** A client that declares roots and elicitation, lists `roots` and answers every elicitation with `name`. */
async function clientOf(
  url: string,
  era: Era,
  name: string,
  roots: string[] = []
): Promise<Client & AsyncDisposable & { asked: string[] }> {
  const client = await connectHttp(url, {
    era,
    name,
    capabilities: { roots: { listChanged: true }, elicitation: { form: {} } }
  });
  return Object.assign(client, { asked: answerAs(client, name, roots) });
}

/** Installs the handlers of a client called `name`; returns the elicitation messages it is asked. */
function answerAs(client: Client, name: string, roots: string[]): string[] {
  const asked: string[] = [];
  client.setRequestHandler('roots/list', () => ({ roots: roots.map(uri => ({ uri, name: uri })) }));
  client.setRequestHandler('elicitation/create', request => {
    asked.push((request.params as { message: string }).message);
    return { action: 'accept', content: { name } };
  });
  return asked;
}

async function text(client: Client, name: string, args: Record<string, unknown> = {}): Promise<string> {
  return firstText(await client.callTool({ name, arguments: args }));
}

describe('per-client state never crosses clients (issue 9, defect 2)', { timeout: 180_000 }, () => {
  it('default config: a client declaring roots file:///etc does not re-target the shared filesystem server for others, during or after its session', async () => {
    const sandbox = realpathSync(mkdtempSync(join(tmpdir(), 'manifold-isolation-')));
    try {
      await using config = writeConfig({ servers: defaultServers(sandbox) });
      await using gateway = await startHttpGateway(config.path);
      await using modernB = await clientOf(gateway.url, 'modern', 'B');
      await using legacyC = await clientOf(gateway.url, 'legacy', 'C');
      const allowed = (client: Client) => text(client, 'fs__list_allowed_directories');
      for (const client of [modernB, legacyC]) assert.match(await allowed(client), new RegExp(sandbox));

      const legacyA = await clientOf(gateway.url, 'legacy', 'A', ['file:///etc']);
      assert.doesNotMatch(await allowed(legacyA), /\/etc/, 'the shared server keeps its own directories for A too');
      await legacyA.sendRootsListChanged();
      // Give a server that would be told (the old behaviour) the time to ask and switch.
      await new Promise(resolve => setTimeout(resolve, 1500));
      for (const client of [modernB, legacyC]) {
        const directories = await allowed(client);
        assert.match(directories, new RegExp(sandbox));
        assert.doesNotMatch(directories, /\/etc/);
        const read = await client
          .callTool({ name: 'fs__read_text_file', arguments: { path: '/etc/hostname' } })
          .catch((error: Error) => ({ isError: true, error }));
        assert.equal(
          read.isError,
          true,
          `a client without those roots must not read /etc/hostname: ${JSON.stringify(read).slice(0, 200)}`
        );
      }
      await (legacyA.transport as StreamableHTTPClientTransport | undefined)?.terminateSession();
      await legacyA.close();
      await new Promise(resolve => setTimeout(resolve, 500));
      assert.doesNotMatch(await allowed(modernB), /\/etc/, 'nor after A disconnected');
    } finally {
      rmSync(sandbox, { recursive: true, force: true });
    }
  });

  it('shared 2025 server, three concurrent clients (two 2025, one 2026-07-28): no client is asked another client’s elicitation', async () => {
    await using config = writeConfig({ servers: { asker: asker() } });
    await using gateway = await startHttpGateway(config.path);
    const clients = [
      await clientOf(gateway.url, 'legacy', 'A'),
      await clientOf(gateway.url, 'legacy', 'B'),
      await clientOf(gateway.url, 'modern', 'C')
    ];
    try {
      const names = ['A', 'B', 'C'];
      // All three calls are in flight when the server asks: it cannot say for which call it asks.
      const outcomes = await Promise.all(
        clients.map((client, index) =>
          text(client, 'asker__ask', { message: `for ${names[index]}`, delayMs: 1500 }).catch(
            (error: Error) => error.message
          )
        )
      );
      clients.forEach((client, index) => {
        for (const message of client.asked)
          assert.equal(message, `for ${names[index]}`, `client ${names[index]} was asked another client's question`);
        // Its own answer, or the refusal (the server reports it as the tool's failure): never another client's.
        const outcome = outcomes[index] ?? '';
        if (!outcome.includes('cannot relay elicitation/create'))
          assert.equal(outcome, `answer: accept {"name":"${names[index]}"}`);
      });
      assert.ok(
        outcomes.some(outcome =>
          /Manifold cannot relay elicitation\/create from server "asker": calls of \d different clients are in flight/.test(
            outcome
          )
        ),
        `an unattributable request is refused: ${JSON.stringify(outcomes)}`
      );
      // One client alone: attributable, relayed.
      assert.equal(await text(clients[0]!, 'asker__ask', { message: 'for A' }), 'answer: accept {"name":"A"}');
    } finally {
      for (const client of clients) await client.close();
    }
  });

  it('perClient server: three concurrent clients each get their own roots and elicitation answers; sessions are closed on DELETE and when idle', async () => {
    await using config = writeConfig({
      servers: { own: asker({ perClient: true }) },
      gateway: { perClientIdle: '4s' }
    });
    await using gateway = await startHttpGateway(config.path);
    const marker = 'asks-client.ts';
    const before = pidsWithArg(marker).length;
    const spec = [
      { era: 'legacy' as const, name: 'A', roots: ['file:///tmp/root-a'] },
      { era: 'legacy' as const, name: 'B', roots: ['file:///tmp/root-b'] },
      { era: 'modern' as const, name: 'C', roots: ['file:///tmp/root-c'] }
    ];
    const clients = await Promise.all(spec.map(({ era, name, roots }) => clientOf(gateway.url, era, name, roots)));
    try {
      const [roots, answers] = await Promise.all([
        Promise.all(clients.map(client => text(client, 'own__roots'))),
        Promise.all(
          clients.map((client, index) =>
            text(client, 'own__ask', { message: `for ${spec[index]?.name}`, delayMs: 1000 })
          )
        )
      ]);
      assert.deepEqual(roots, ['roots: file:///tmp/root-a', 'roots: file:///tmp/root-b', 'roots: file:///tmp/root-c']);
      assert.deepEqual(answers, [
        'answer: accept {"name":"A"}',
        'answer: accept {"name":"B"}',
        'answer: accept {"name":"C"}'
      ]);
      clients.forEach((client, index) => assert.deepEqual(client.asked, [`for ${spec[index]?.name}`]));

      // A 2025 session keeps its upstream session between calls; another client has its own.
      const a = clients[0] as Client;
      const b = clients[1] as Client;
      const pidA = await text(a, 'own__pid');
      assert.equal(await text(a, 'own__pid'), pidA);
      const pidB = await text(b, 'own__pid');
      assert.notEqual(pidA, pidB);
      // The template (running before) + A + B; C's sessions are per request, closed with it.
      await waitFor(() => pidsWithArg(marker).length - before === 2, 'the template and two client sessions').catch(
        (error: Error) => {
          throw new Error(`${error.message}: ${before} before, now ${pidsWithArg(marker).join(' ')}`);
        }
      );

      // A ends its session (DELETE): its upstream session ends with it.
      await (a.transport as StreamableHTTPClientTransport | undefined)?.terminateSession();
      await waitFor(() => !pidsWithArg(marker).includes(Number(pidA)), `A's upstream process ${pidA} to be reaped`);
      assert.equal(await text(b, 'own__pid'), pidB, "B's session is still open");
      // B goes quiet: its session is closed after perClientIdle.
      await waitFor(
        () => !pidsWithArg(marker).includes(Number(pidB)),
        `B's idle upstream process ${pidB} to be reaped`,
        15_000
      );
      assert.equal(pidsWithArg(marker).length, before, 'only the template is left');
    } finally {
      for (const client of clients) await client.close();
    }
  });

  it('perClient server, legacy HTTP+SSE client: its own roots, and its upstream session ends when its stream closes', async () => {
    await using config = writeConfig({ servers: { own: asker({ perClient: true }) } });
    await using gateway = await startHttpGateway(config.path);
    const client = await connectSse(gateway.url.replace(/\/mcp$/, '/sse'), {
      capabilities: { roots: { listChanged: true }, elicitation: { form: {} } }
    });
    answerAs(client, 'S', ['file:///tmp/sse-client']);
    assert.equal(await text(client, 'own__roots'), 'roots: file:///tmp/sse-client');
    const pid = Number(await text(client, 'own__pid'));
    assert.ok(pidsWithArg('asks-client.ts').includes(pid));
    await client.close();
    await waitFor(
      () => !pidsWithArg('asks-client.ts').includes(pid),
      `the SSE client's upstream process ${pid} to be reaped`
    );
  });

  it('perClient server: the pool is bounded by gateway.perClientMax, with an error that names the key', async () => {
    await using config = writeConfig({ servers: { own: asker({ perClient: true }) }, gateway: { perClientMax: 1 } });
    await using gateway = await startHttpGateway(config.path);
    await using first = await clientOf(gateway.url, 'legacy', 'A');
    await using second = await clientOf(gateway.url, 'legacy', 'B');
    assert.match(await text(first, 'own__pid'), /^\d+$/);
    await assert.rejects(
      text(second, 'own__pid'),
      /server "own" is per-client and already has 1 client sessions open \(gateway\.perClientMax = 1\)/
    );
  });

  for (const era of ['legacy', 'modern'] as const) {
    it(`stdio, ${era} client: a shared server sees the config's roots (relative to the config file), a perClient server the client's`, async () => {
      await using config = writeConfig({
        servers: { shared: asker({ roots: ['data', 'file:///srv/shared'] }), own: asker({ perClient: true }) }
      });
      await using connected = await connectStdio(config.path, {
        era,
        capabilities: { roots: { listChanged: true }, elicitation: { form: {} } }
      });
      answerAs(connected.client, 'S', ['file:///tmp/stdio-client']);
      const configured = `${pathToFileURL(join(config.dir, 'data')).href}, file:///srv/shared`;
      assert.equal(await text(connected.client, 'shared__roots'), `roots: ${configured}`);
      assert.equal(await text(connected.client, 'own__roots'), 'roots: file:///tmp/stdio-client');
    });
  }
});
