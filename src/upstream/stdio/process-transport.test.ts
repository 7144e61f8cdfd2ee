import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import type { JSONRPCMessage } from '@modelcontextprotocol/client';

import { createLogger } from '../../telemetry/logger.js';
import { ProcessTransport } from './process-transport.js';

/**
 * A real child process that writes, over a 2048-byte limit: an answer to request 1, a request of its own with
 * id "s1", and a notification; then a small answer to request 2. It echoes what it reads on stdin to stderr.
 */
const script = String.raw`
const pad = 'x'.repeat(5000);
const out = [
  { jsonrpc: '2.0', id: 1, result: { pad } },
  { jsonrpc: '2.0', id: 's1', method: 'sampling/createMessage', params: { pad } },
  { jsonrpc: '2.0', method: 'notifications/message', params: { level: 'info', data: pad } },
  { jsonrpc: '2.0', id: 2, result: { ok: true } }
];
process.stdout.write(out.map(message => JSON.stringify(message)).join('\n') + '\n');
process.stdin.on('data', chunk => process.stderr.write('got ' + chunk.toString()));
`;

describe('ProcessTransport: messages over the limit', () => {
  it('fails an oversized answer by its id, answers an oversized request with an error, drops the rest, and reads on', async () => {
    const logged: string[] = [];
    const stderr: string[] = [];
    const transport = new ProcessTransport({
      command: process.execPath,
      args: ['-e', script],
      env: { PATH: process.env.PATH ?? '' },
      maxMessageBytes: 2048,
      logger: createLogger({ level: 'warn', sink: line => logged.push(line) }),
      onStderrLine: line => stderr.push(line)
    });
    const received: JSONRPCMessage[] = [];
    transport.onmessage = message => received.push(message);
    let closed = false;
    transport.onclose = () => (closed = true);
    await transport.start();
    try {
      const deadline = Date.now() + 20_000;
      while ((received.length < 2 || !stderr.some(line => line.startsWith('got '))) && Date.now() < deadline) await new Promise(resolve => setTimeout(resolve, 20));
      assert.deepEqual(received, [
        {
          jsonrpc: '2.0',
          id: 1,
          error: { code: -32603, message: "the server's answer was 5044 bytes, over gateway.maxMessageBytes (2048 bytes); raise gateway.maxMessageBytes in the config if such answers are expected" }
        },
        { jsonrpc: '2.0', id: 2, result: { ok: true } }
      ]);
      const answered = JSON.parse(stderr.find(line => line.startsWith('got '))!.slice(4)) as { id: unknown; error: { code: number } };
      assert.deepEqual([answered.id, answered.error.code], ['s1', -32600]);
      assert.equal(logged.filter(line => /WARN.*over gateway\.maxMessageBytes \(2048 bytes\)/.test(line)).length, 3);
      assert.equal(closed, false, 'the connection stays up');
    } finally {
      await transport.close();
    }
  });
});
