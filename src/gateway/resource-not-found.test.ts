import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import { ProtocolError } from '@modelcontextprotocol/server';

import { resourceNotFound } from './create-downstream-server.js';

describe('resource not found toward clients (SEP-2164)', () => {
  it('turns a 2025 server’s -32002 into -32602 with data.uri', () => {
    const error = resourceNotFound(new ProtocolError(-32002, 'Resource not found', { detail: 'x' }), 'test://missing') as ProtocolError;
    assert.equal(error.code, -32602);
    assert.deepEqual(error.data, { detail: 'x', uri: 'test://missing' });
  });

  it('adds the uri to a -32602 "not found" that lacks it, and keeps one that has it', () => {
    const added = resourceNotFound(new ProtocolError(-32602, 'Resource test://a not found'), 'test://a') as ProtocolError;
    assert.deepEqual(added.data, { uri: 'test://a' });
    const kept = new ProtocolError(-32602, 'Resource not found', { uri: 'test://b' });
    assert.equal(resourceNotFound(kept, 'test://b'), kept);
  });

  it('leaves other errors alone', () => {
    const invalid = new ProtocolError(-32602, 'uri must be a string');
    assert.equal(resourceNotFound(invalid, 'test://c'), invalid);
    const internal = new ProtocolError(-32603, 'boom');
    assert.equal(resourceNotFound(internal, 'test://c'), internal);
  });
});
