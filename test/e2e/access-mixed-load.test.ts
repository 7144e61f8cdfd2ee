/**
 * Issue 11, the cross-part check: three principals (API keys) over two views (`ops`: every tool it may see;
 * `find`: retrieve_tools + call_tool), each on every face it may reach (2025 Streamable HTTP sessions,
 * 2026-07-28 stateless requests, legacy SSE), all at once. Every message the gateway sends each client — list
 * answers, search results, call results, errors and notifications — is recorded at the client's transport and
 * scanned for the names of tools outside that caller's scope: none may appear anywhere. A hidden tool called by
 * name fails as an unknown one does, and a server's list change reaches only the callers who can see it.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';

import { Client, SSEClientTransport, StreamableHTTPClientTransport, type Transport } from '@modelcontextprotocol/client';

import { fixtureServer, waitFor } from '../helpers/gateway.js';
import { type AuthGateway, startAuthGateway } from './auth-helpers.js';

type Face = 'legacy' | 'modern' | 'sse';
type Name = 'alice' | 'bob' | 'carol';

const keys: Record<Name, string> = {
  alice: `alice-${randomBytes(12).toString('hex')}`,
  bob: `bob-${randomBytes(12).toString('hex')}`,
  carol: `carol-${randomBytes(12).toString('hex')}`
};
/** The tool carol adds to `vault` during the load: only vault's viewers may ever hear its name. */
const addedTool = `zz_added_${randomBytes(4).toString('hex')}`;

/** Every tool of the catalog, and what each principal's rules let it see. */
const allTools = ['ledger__read', 'ledger__sleep', 'ledger__write', 'echo__echo', 'vault__add_tool', `vault__${addedTool}`];
const visible: Record<Name, readonly string[]> = {
  alice: ['ledger__read', 'ledger__sleep'],
  bob: ['ledger__read', 'ledger__sleep', 'echo__echo'],
  carol: ['echo__echo', 'vault__add_tool', `vault__${addedTool}`]
};
const views: Record<Name, readonly string[]> = { alice: ['ops'], bob: ['ops', 'find'], carol: ['find', 'ops'] };
const hiddenFrom = (name: Name) => allTools.filter(tool => !visible[name].includes(tool));

/** A client and everything the gateway sent it. */
interface Recorded {
  name: Name;
  face: Face;
  view: string;
  client: Client;
  messages: unknown[];
  /** Messages that answer a probe (a hidden tool called by name), with that name: they may echo it, and no other. */
  probes: Map<number | string, string>;
}

/** Wraps the transport so every message it delivers to the client is recorded first. */
function recording(transport: Transport, messages: unknown[]): Transport {
  let handler: Transport['onmessage'];
  Object.defineProperty(transport, 'onmessage', {
    configurable: true,
    get: () => handler,
    set: (next: Transport['onmessage']) => {
      handler = next
        ? (message, extra) => {
            messages.push(message);
            next(message, extra);
          }
        : undefined;
    }
  });
  return transport;
}

async function connect(gateway: AuthGateway, name: Name, face: Face, view: string): Promise<Recorded> {
  const messages: unknown[] = [];
  const client = new Client(
    { name: `mixed-${name}-${face}`, version: '1.0.0' },
    { capabilities: {}, versionNegotiation: face === 'modern' ? { mode: { pin: '2026-07-28' } } : { mode: 'legacy' } }
  );
  const authProvider = { token: async () => keys[name] };
  const url = new URL(`${gateway.origin}/${face === 'sse' ? 'sse' : 'mcp'}/${view}`);
  const transport = face === 'sse' ? new SSEClientTransport(url, { authProvider }) : new StreamableHTTPClientTransport(url, { authProvider });
  await client.connect(recording(transport, messages), { timeout: 15_000 });
  return { name, face, view, client, messages, probes: new Map() };
}

/** The ids the client's next request will carry cannot be read from the SDK: a probe is marked by its result instead. */
function idsAnswering(messages: unknown[], from: number): Array<number | string> {
  return messages
    .slice(from)
    .map(message => (message as { id?: number | string }).id)
    .filter((id): id is number | string => id !== undefined);
}

/** Calls a hidden tool (directly on `ops`, through call_tool on `find`): the answer, marked as a probe's. */
async function probe(entry: Recorded, tool: string): Promise<string> {
  const before = entry.messages.length;
  const text = await callText(entry, tool, entry.view === 'find' ? { message: 'x', key: 'k', text: 't', name: 'n', description: 'd' } : { message: 'x', key: 'k' });
  for (const id of idsAnswering(entry.messages, before)) entry.probes.set(id, tool);
  return text;
}

/** A tool's answer as text: its error text for a failed call (tool error or JSON-RPC error). */
async function callText(entry: Recorded, tool: string, args: Record<string, unknown>): Promise<string> {
  try {
    const result =
      entry.view === 'find'
        ? await entry.client.callTool({ name: 'call_tool', arguments: { name: tool, arguments: args } })
        : await entry.client.callTool({ name: tool, arguments: args });
    return `${result.isError ? 'tool error' : 'ok'}: ${JSON.stringify(result.content)}`;
  } catch (error) {
    return `protocol error: ${(error as Error).message}`;
  }
}

/** One round of what a real agent does: list, search, call what it may, and try what it may not. */
async function round(entry: Recorded, index: number): Promise<void> {
  const listed = (await entry.client.listTools()).tools.map(tool => tool.name);
  if (entry.view === 'find') {
    assert.deepEqual(listed.sort(), ['call_tool', 'retrieve_tools'], `${entry.name} on find lists only the meta tools`);
    for (const query of ['write a ledger line', 'add a tool to the vault', 'echo a message', 'read sleep count']) {
      const found = await entry.client.callTool({ name: 'retrieve_tools', arguments: { query } });
      assert.notEqual(found.isError, true, `retrieve_tools "${query}" answers ${entry.name}`);
    }
  } else {
    for (const tool of listed) assert.ok(visible[entry.name].includes(tool), `${entry.name} on ${entry.face} lists ${tool}, outside its scope`);
  }
  await entry.client.listPrompts().catch(() => undefined);
  await entry.client.listResources().catch(() => undefined);
  const mine = visible[entry.name].find(tool => tool !== 'vault__add_tool' && !tool.startsWith(`vault__zz`)) as string;
  const args = mine === 'echo__echo' ? { message: `hi ${index}` } : mine === 'ledger__sleep' ? { key: `k${index}`, ms: 1 } : { key: `k${index}` };
  const own = await callText(entry, mine, args);
  assert.match(own, /^ok: /, `${entry.name} may call ${mine} on ${entry.face}/${entry.view}: ${own}`);
  for (const hidden of hiddenFrom(entry.name)) await probe(entry, hidden);
}

describe('access: three principals over two views, all faces at once', () => {
  let gateway: AuthGateway;
  let dir: string;
  const entries: Recorded[] = [];

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'manifold-mixed-'));
    gateway = await startAuthGateway({
      servers: {
        ledger: fixtureServer('counter.ts', [join(dir, 'calls.log')]),
        echo: fixtureServer('echo.ts'),
        vault: fixtureServer('changing-tools.ts')
      },
      views: { ops: { discovery: 'all' }, find: { discovery: 'search' } },
      auth: { keys: (Object.keys(keys) as Name[]).map(name => ({ name, key: keys[name], views: views[name] })) },
      rules: [
        { deny: 'principal.name == "bob" && (server == "vault" || annotations.destructiveHint)', description: 'bob: no vault, nothing destructive' },
        { allow: 'principal.name == "bob"' },
        { allow: 'principal.name == "alice" && server == "ledger" && annotations.readOnlyHint' },
        { allow: 'principal.name == "carol" && (server == "vault" || server == "echo")' }
      ]
    });
    for (const name of Object.keys(keys) as Name[]) {
      for (const view of views[name]) for (const face of ['legacy', 'modern', 'sse'] as const) entries.push(await connect(gateway, name, face, view));
    }
  });

  after(async () => {
    await Promise.all(entries.map(entry => entry.client.close().catch(() => {})));
    await gateway?.[Symbol.asyncDispose]();
    rmSync(dir, { recursive: true, force: true });
  });

  it('no response, search result, error or notification names a tool outside its caller’s scope', async () => {
    const carolLegacy = entries.find(entry => entry.name === 'carol' && entry.face === 'legacy' && entry.view === 'ops') as Recorded;
    const carolSearch = entries.find(entry => entry.name === 'carol' && entry.face === 'legacy' && entry.view === 'find') as Recorded;
    const bobLegacy = entries.find(entry => entry.name === 'bob' && entry.face === 'legacy' && entry.view === 'ops') as Recorded;
    const changed = { carol: 0, bob: 0 };
    carolLegacy.client.setNotificationHandler('notifications/tools/list_changed', () => void changed.carol++);
    bobLegacy.client.setNotificationHandler('notifications/tools/list_changed', () => void changed.bob++);

    // The load: every client runs rounds at once; halfway, carol adds a tool to vault (a list change upstream).
    const rounds = 3;
    await Promise.all([
      ...entries.map(async entry => {
        for (let index = 0; index < rounds; index++) await round(entry, index);
      }),
      (async () => {
        const added = await callText(carolLegacy, 'vault__add_tool', { name: addedTool, description: 'a tool only vault viewers may know of' });
        assert.match(added, /^ok: /, added);
      })()
    ]);
    await waitFor(() => changed.carol > 0, 'carol hears that her list changed');
    // One more round each, after the change, so the new tool is in every list and search.
    await Promise.all(entries.map(entry => round(entry, rounds)));
    const found = await carolSearch.client.callTool({ name: 'retrieve_tools', arguments: { query: addedTool } });
    assert.match(JSON.stringify(found.content), new RegExp(addedTool), 'carol finds the tool she added');

    let scanned = 0;
    for (const entry of entries) {
      for (const message of entry.messages) {
        const id = (message as { id?: number | string }).id;
        const asked = id === undefined ? undefined : entry.probes.get(id);
        const text = asked ? JSON.stringify(message).replaceAll(asked, '<asked>') : JSON.stringify(message);
        scanned++;
        for (const hidden of hiddenFrom(entry.name)) {
          const bare = hidden.split('__')[1] as string;
          assert.ok(!text.includes(hidden), `${entry.name} on ${entry.face}/${entry.view} was sent "${hidden}": ${text.slice(0, 400)}`);
          // Not even the server's own name for it (retrieve_tools results and instructions carry descriptions and titles).
          if (bare === addedTool || bare === 'add_tool' || bare === 'write') {
            assert.ok(!text.includes(`"${bare}"`), `${entry.name} on ${entry.face}/${entry.view} was sent "${bare}": ${text.slice(0, 400)}`);
          }
        }
      }
    }
    assert.ok(scanned > entries.length * 20, `every client's traffic was scanned (${scanned} messages)`);
    assert.equal(changed.bob, 0, 'bob, who cannot see vault, is not told its list changed');
  });

  it('a hidden tool fails exactly as an unknown one, on every face and view', async () => {
    for (const entry of entries) {
      const hidden = hiddenFrom(entry.name)[0] as string;
      const server = hidden.split('__')[0] as string;
      const unknown = `${server}__${hidden.split('__')[1]?.replace(/./g, 'q')}`;
      const answers = [await probe(entry, hidden), await probe(entry, unknown)].map((text, index) =>
        text.replaceAll(index === 0 ? hidden : unknown, '<tool>')
      );
      // Suggestions ("did you mean") may differ with the name asked for; what they name is checked by the scan above.
      const shape = (text: string) => text.replace(/did you mean[^"\\]*/gi, 'did you mean …');
      assert.equal(shape(answers[0] as string), shape(answers[1] as string), `${entry.name} on ${entry.face}/${entry.view}`);
    }
  });
});
