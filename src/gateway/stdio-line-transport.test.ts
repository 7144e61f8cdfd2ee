import assert from 'node:assert/strict';
import { PassThrough } from 'node:stream';
import { describe, it } from 'node:test';

import type { JSONRPCMessage } from '@modelcontextprotocol/server';

import { createLogger } from '../telemetry/logger.js';
import { idOfOversized, StdioLineTransport } from './stdio-line-transport.js';

function open(maxMessageBytes: number) {
  const stdin = new PassThrough();
  const stdout = new PassThrough();
  const logged: string[] = [];
  const transport = new StdioLineTransport({ stdin, stdout, maxMessageBytes, logger: createLogger({ level: 'warn', sink: line => logged.push(line) }) });
  const received: JSONRPCMessage[] = [];
  transport.onmessage = message => received.push(message);
  let written = '';
  stdout.on('data', (chunk: Buffer) => (written += chunk.toString()));
  const out = () => written.split('\n').filter(Boolean).map(line => JSON.parse(line) as { id?: unknown; error?: { code: number } });
  return { stdin, transport, received, out, logged };
}

const tick = () => new Promise(resolve => setImmediate(resolve));

describe('StdioLineTransport', () => {
  it('frames lines split across chunks and CRLF, and skips blank lines', async () => {
    const { stdin, transport, received, out } = open(1024);
    await transport.start();
    stdin.write('{"jsonrpc":"2.0","id":1,"met');
    stdin.write('hod":"ping"}\r\n\n{"jsonrpc":"2.0","method":"notifications/initialized"}\n');
    await tick();
    assert.deepEqual(
      received.map(message => ('method' in message ? message.method : undefined)),
      ['ping', 'notifications/initialized']
    );
    assert.deepEqual(out(), []);
  });

  it('answers a line over the limit, whether it came in one chunk or many, and reads on', async () => {
    const { stdin, transport, received, out, logged } = open(1024);
    await transport.start();
    const pad = 'x'.repeat(3000);
    stdin.write(`{"jsonrpc":"2.0","id":7,"method":"ping","params":{"_meta":{"pad":"${pad}"}}}\n`);
    stdin.write(`{"method":"ping","params":{"_meta":{"pad":"${pad.slice(0, 500)}`);
    stdin.write(`${pad}"}},"jsonrpc":"2.0","id":"late"}\n{"jsonrpc":"2.0","id":9,"method":"ping"}\n`);
    await tick();
    assert.deepEqual(
      out().map(answer => [answer.id, answer.error?.code]),
      [
        [7, -32600],
        ['late', -32600]
      ]
    );
    assert.deepEqual(
      received.map(message => ('id' in message ? message.id : undefined)),
      [9]
    );
    assert.equal(logged.filter(line => /WARN.*over gateway\.maxMessageBytes \(1024 bytes\)/.test(line)).length, 2);
  });

  it('answers a line that is not JSON with -32700 and id null', async () => {
    const { stdin, transport, out } = open(1024);
    await transport.start();
    stdin.write('{oops\n');
    await tick();
    assert.deepEqual(
      out().map(answer => [answer.id, answer.error?.code]),
      [[null, -32700]]
    );
  });
});

describe('idOfOversized', () => {
  it('reads the id among the first keys or as the last key, never a nested one', () => {
    assert.equal(idOfOversized('{"jsonrpc":"2.0","id":5,"method":"x","params":{"a":"…', '…"}}'), 5);
    assert.equal(idOfOversized('{"id":"a\\"b","jsonrpc":"2.0"', ''), 'a"b');
    assert.equal(idOfOversized('{"method":"x","params":{"a":"…', '…"},"jsonrpc":"2.0","id":12}\n'), 12);
    assert.equal(idOfOversized('{"method":"x","params":{"a":"…', '…","id":3}}'), null);
    assert.equal(idOfOversized('{"method":"x","params":{"id":4,"a":"…', '…"}}'), null);
  });
});
