import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import type { Principal } from '../../src/core/principal.js';
import { followListenedResources } from '../../src/gateway/follow-listened-resources.js';
import type { HttpNotifier } from '../../src/gateway/sessions.js';
import { visibleNotifier } from '../../src/gateway/visible-lists.js';
import { fixtureServer, repoRoot, waitFor } from '../helpers/gateway.js';
import { startRulesGateway } from './helpers.js';

const bob: Principal = { name: 'bob', kind: 'key' };
const carol: Principal = { name: 'carol', kind: 'key' };

describe('notifications tell a caller only of what it may see', { timeout: 60_000 }, () => {
  it('tools/list_changed: a session hears of a change only when its own list changed', async () => {
    await using gateway = await startRulesGateway({
      servers: { changing: fixtureServer('changing-tools.ts'), fix: fixtureServer('workflow-tools.ts', [], { cwd: repoRoot }) },
      rules: [{ deny: 'principal.name == "bob" && server == "changing"' }]
    });
    const asBob = await gateway.connect(bob);
    const asCarol = await gateway.connect(carol);
    const heard = { bob: 0, carol: 0, bobStreams: 0, carolStreams: 0 };
    asBob.setNotificationHandler('notifications/tools/list_changed', () => void heard.bob++);
    asCarol.setNotificationHandler('notifications/tools/list_changed', () => void heard.carol++);
    // The 2026-07-28 HTTP handler's listen streams, one notifier per principal.
    const streams = (count: () => void): HttpNotifier => ({ toolsChanged: count, promptsChanged: () => {}, resourcesChanged: () => {}, resourceUpdated: () => {} });
    gateway.core.sessions.addNotifier(visibleNotifier(gateway.core, undefined, bob, streams(() => void heard.bobStreams++)));
    gateway.core.sessions.addNotifier(visibleNotifier(gateway.core, undefined, carol, streams(() => void heard.carolStreams++)));
    await asCarol.callTool({ name: 'changing__add_tool', arguments: { name: 'fresh', description: 'A tool added while serving' } });
    await waitFor(() => heard.carol > 0 && heard.carolStreams > 0, 'carol to hear of the new tool');
    assert.ok((await asCarol.listTools()).tools.some(tool => tool.name === 'changing__fresh'));
    // Give a notification to bob every chance to arrive: carol's came, and bob's list did not change.
    await asBob.listTools();
    await new Promise(resolve => setTimeout(resolve, 300));
    assert.equal(heard.bob, 0);
    assert.equal(heard.bobStreams, 0);
    assert.ok(!(await asBob.listTools()).tools.some(tool => tool.name.startsWith('changing__')));
    // A server's log message that belongs to no call goes to the sessions that can see something of that server.
    const logs: Record<string, unknown[]> = { bob: [], carol: [] };
    asBob.setNotificationHandler('notifications/message', notification => void logs.bob!.push(notification.params.data));
    asCarol.setNotificationHandler('notifications/message', notification => void logs.carol!.push(notification.params.data));
    await asBob.setLoggingLevel('debug');
    await asCarol.setLoggingLevel('debug');
    gateway.core.sessions.broadcastLog({ level: 'info', data: 'about changing' }, 'changing');
    gateway.core.sessions.broadcastLog({ level: 'info', data: 'about fix' }, 'fix');
    await waitFor(() => logs.carol!.length === 2 && logs.bob!.length === 1, 'the log messages');
    assert.deepEqual(logs.bob, ['about fix']);
  });

  it('resources/updated reaches a session only for a URI it may read; a listen keeps only such URIs', async () => {
    await using gateway = await startRulesGateway({
      servers: {},
      rules: [{ deny: 'kind == "resource" && uri.startsWith("secret://") && principal.name != "carol"' }]
    });
    const asBob = await gateway.connect(bob);
    const asCarol = await gateway.connect(carol);
    const heard: Record<string, string[]> = { bob: [], carol: [] };
    asBob.setNotificationHandler('notifications/resources/updated', notification => void heard.bob!.push(notification.params.uri));
    asCarol.setNotificationHandler('notifications/resources/updated', notification => void heard.carol!.push(notification.params.uri));
    // Subscriptions as they stand in the registry (a subscribe the rules refuse never gets there; see rules-core).
    for (const session of gateway.core.sessions.all()) {
      await gateway.core.sessions.subscribe(session, 'secret://key');
      await gateway.core.sessions.subscribe(session, 'file:///open');
    }
    gateway.core.sessions.resourceUpdated('secret://key');
    gateway.core.sessions.resourceUpdated('file:///open');
    await waitFor(() => heard.carol!.length === 2 && heard.bob!.length === 1, 'the updates');
    assert.deepEqual(heard.bob, ['file:///open']);
    assert.deepEqual(heard.carol!.sort(), ['file:///open', 'secret://key']);

    // A 2026-07-28 listen: the URIs bob may not read are taken out before the SDK sees the request.
    const listen = { jsonrpc: '2.0', id: 1, method: 'subscriptions/listen', params: { notifications: { resourceSubscriptions: ['secret://key', 'file:///open'] } } };
    const following = followListenedResources(gateway.core, listen, bob);
    following?.();
    assert.deepEqual(listen.params.notifications.resourceSubscriptions, ['file:///open']);
    const carolListen = { jsonrpc: '2.0', id: 2, method: 'subscriptions/listen', params: { notifications: { resourceSubscriptions: ['secret://key'] } } };
    followListenedResources(gateway.core, carolListen, carol)?.();
    assert.deepEqual(carolListen.params.notifications.resourceSubscriptions, ['secret://key']);
  });
});
