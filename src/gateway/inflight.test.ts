import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import { silentLogger } from '../telemetry/logger.js';
import { InflightRegistry } from './inflight.js';
import type { DownstreamContext } from '../core/pipeline.js';
import { SessionRegistry } from './sessions.js';

/** A 2025 client's call context that answers every request with its own name, and records its logs. */
function callOf(sessionId: string, logs: string[] = []): DownstreamContext {
  return {
    era: 'legacy',
    sessionId,
    signal: new AbortController().signal,
    clientCapabilities: { elicitation: {}, sampling: {}, roots: {} },
    progressToken: undefined,
    notify: async () => {},
    log: (_level, data) => void logs.push(`${sessionId}: ${String(data)}`),
    requestClient: async method => ({ answeredBy: sessionId, method })
  };
}

const signal = new AbortController().signal;

describe('InflightRegistry: what a 2025 server sends during calls reaches only the client it belongs to', () => {
  const roots = new Map([['fs', [{ uri: 'file:///srv/data', name: 'data' }]]]);

  it('a shared server gets its config roots, never a calling client’s', async () => {
    const inflight = new InflightRegistry(new SessionRegistry(silentLogger), silentLogger, roots);
    const leave = inflight.enter('fs', callOf('A'));
    assert.deepEqual(await inflight.onServerRequest('fs', 'roots/list', {}, signal), { roots: [{ uri: 'file:///srv/data', name: 'data' }] });
    assert.deepEqual(await inflight.onServerRequest('other', 'roots/list', {}, signal), { roots: [] });
    leave();
  });

  it('a shared server’s elicitation: relayed when every call in flight is one client’s, refused when calls of two are', async () => {
    const inflight = new InflightRegistry(new SessionRegistry(silentLogger), silentLogger, roots);
    const leaveA1 = inflight.enter('fs', callOf('A'));
    const leaveA2 = inflight.enter('fs', callOf('A'));
    assert.deepEqual(await inflight.onServerRequest('fs', 'elicitation/create', {}, signal), { answeredBy: 'A', method: 'elicitation/create' });
    const leaveB = inflight.enter('fs', callOf('B'));
    await assert.rejects(inflight.onServerRequest('fs', 'elicitation/create', {}, signal), /cannot relay elicitation\/create from server "fs": calls of 2 different clients/);
    leaveA1();
    leaveA2();
    assert.deepEqual(await inflight.onServerRequest('fs', 'sampling/createMessage', {}, signal), { answeredBy: 'B', method: 'sampling/createMessage' });
    leaveB();
    await assert.rejects(inflight.onServerRequest('fs', 'elicitation/create', {}, signal), /no client call to this server is in flight/);
  });

  it('a shared server’s log message during calls of two clients goes to neither', () => {
    const inflight = new InflightRegistry(new SessionRegistry(silentLogger), silentLogger, roots);
    const logs: string[] = [];
    const leaveA = inflight.enter('fs', callOf('A', logs));
    inflight.onLog('fs', { level: 'info', data: 'only A' });
    const leaveB = inflight.enter('fs', callOf('B', logs));
    inflight.onLog('fs', { level: 'info', data: 'A or B' });
    leaveA();
    leaveB();
    assert.deepEqual(logs, ['A: only A']);
  });

  it('a client’s own (perClient) session relays to that client, whatever other clients have in flight', async () => {
    const inflight = new InflightRegistry(new SessionRegistry(silentLogger), silentLogger, roots);
    const leaveShared = inflight.enter('fs', callOf('B'));
    const leaveOwn = inflight.enter('fs#A', callOf('A'));
    const relay = inflight.relayFor('fs', 'fs#A', 'A');
    assert.deepEqual(await relay.onServerRequest('fs', 'roots/list', {}, signal), { answeredBy: 'A', method: 'roots/list' });
    leaveOwn();
    // Between calls, a client with no lasting 2025 session cannot be asked.
    await assert.rejects(relay.onServerRequest('fs', 'roots/list', {}, signal), /its client has no call in flight on it/);
    leaveShared();
  });
});
