import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import { idOfOversized, JsonLines, type OversizedLine } from './json-lines.js';

function reader(maxBytes: number) {
  const lines: string[] = [];
  const oversized: OversizedLine[] = [];
  const reading = new JsonLines({ maxBytes, onLine: line => lines.push(line), onOversized: line => oversized.push(line) });
  return { reading, lines, oversized };
}

describe('JsonLines', () => {
  it('splits lines across chunks, strips a carriage return, and keeps a line not yet ended', () => {
    const { reading, lines } = reader(1024);
    reading.push('{"a":');
    reading.push(Buffer.from('1}\r\n\n{"b":2}\n{"c"'));
    assert.deepEqual(lines, ['{"a":1}', '', '{"b":2}']);
    reading.push(':3}\n');
    assert.deepEqual(lines.at(-1), '{"c":3}');
  });

  it('skips a line over the limit, in one chunk or many, with its size, its id and whether it is a response, and reads on', () => {
    const { reading, lines, oversized } = reader(1024);
    const pad = 'x'.repeat(3000);
    const answer = `{"jsonrpc":"2.0","id":7,"result":{"pad":"${pad}"}}`;
    const request = `{"method":"ping","params":{"pad":"${pad.slice(0, 500)}${pad}"},"jsonrpc":"2.0","id":"late"}`;
    const notification = `{"jsonrpc":"2.0","method":"notifications/progress","params":{"pad":"${pad}"}}`;
    reading.push(`${answer}\n{"ok":1}\n`);
    reading.push(request.slice(0, 600));
    reading.push(request.slice(600, 2000));
    reading.push(`${request.slice(2000)}\n`);
    reading.push(`${notification}\n{"ok":2}\n`);
    assert.deepEqual(lines, ['{"ok":1}', '{"ok":2}']);
    assert.deepEqual(oversized, [
      { bytes: answer.length, id: 7, response: true },
      { bytes: request.length, id: 'late', response: false },
      { bytes: notification.length, id: null, response: false }
    ]);
  });

  it('forgets a line cut off by reset()', () => {
    const { reading, lines, oversized } = reader(16);
    reading.push('{"unfinished"');
    reading.push('x'.repeat(40));
    reading.reset();
    reading.push('{"b":2}\n');
    assert.deepEqual(lines, ['{"b":2}']);
    assert.deepEqual(oversized, []);
  });

  it('reads a 20 MB line in linear time (chunks of 64 KiB)', () => {
    const { reading, oversized } = reader(16 * 1024 * 1024);
    const chunk = Buffer.alloc(64 * 1024, 0x78);
    const started = performance.now();
    reading.push('{"id":1,"result":"');
    for (let sent = 0; sent < 20 * 1024 * 1024; sent += chunk.length) reading.push(chunk);
    reading.push('"}\n');
    assert.equal(oversized[0]?.id, 1);
    // Quadratic re-scanning of 320 chunks would take minutes; linear takes milliseconds. Loose for a loaded machine.
    assert.ok(performance.now() - started < 5000, `took ${Math.round(performance.now() - started)} ms`);
  });
});

describe('idOfOversized', () => {
  it('reads the id among the first keys or as the last key, never a nested one', () => {
    assert.equal(idOfOversized('{"jsonrpc":"2.0","id":5,"result":{"a":"…', '…"}}'), 5);
    assert.equal(idOfOversized('{"result":{"a":"…', '…"},"jsonrpc":"2.0","id":"r-1"}'), 'r-1');
    assert.equal(idOfOversized('{"method":"x","params":{"id":4,"a":"…', '…"}}'), null);
  });
});
