import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import type { Tool } from '@modelcontextprotocol/client';
import { SdkError, SdkErrorCode } from '@modelcontextprotocol/client';

import { ManifoldError } from '../core/errors.js';
import { connectionLossOf, mayResend } from './resend-policy.js';

const tool = (name: string, annotations?: Tool['annotations']): Tool => ({ name, inputSchema: { type: 'object' }, ...(annotations ? { annotations } : {}) });
const tools = [tool('write'), tool('read', { readOnlyHint: true }), tool('put', { idempotentHint: true, destructiveHint: true }), tool('wrong', { readOnlyHint: false })];
const call = (name: string) => ({ name, arguments: {} });

describe('resending a request lost with its connection', () => {
  it('tells a request that never reached the server from one that may have run', () => {
    assert.equal(connectionLossOf(new ManifoldError('UPSTREAM_CLOSED', 'the server process is not running')), 'not-sent');
    assert.equal(connectionLossOf(new SdkError(SdkErrorCode.NotConnected, 'Not connected')), 'not-sent');
    assert.equal(connectionLossOf(new SdkError(SdkErrorCode.ConnectionClosed, 'Connection closed')), 'maybe-run');
    assert.equal(connectionLossOf(new SdkError(SdkErrorCode.RequestTimeout, 'Request timed out')), undefined);
    assert.equal(connectionLossOf(new Error('boom')), undefined);
  });

  it('resends a call that may have run only to a read-only or idempotent tool, or a read', () => {
    assert.equal(mayResend('tools/call', call('write'), tools, 'maybe-run'), false);
    assert.equal(mayResend('tools/call', call('wrong'), tools, 'maybe-run'), false);
    assert.equal(mayResend('tools/call', call('unknown'), tools, 'maybe-run'), false);
    assert.equal(mayResend('tools/call', call('read'), tools, 'maybe-run'), true);
    assert.equal(mayResend('tools/call', call('put'), tools, 'maybe-run'), true);
    assert.equal(mayResend('resources/read', { uri: 'file:///x' }, tools, 'maybe-run'), true);
    assert.equal(mayResend('prompts/get', { name: 'p' }, tools, 'maybe-run'), true);
  });

  it('follows the caller where it knows better (annotations corrected in the config)', () => {
    assert.equal(mayResend('tools/call', call('read'), tools, 'maybe-run', false), false);
    assert.equal(mayResend('tools/call', call('write'), tools, 'maybe-run', true), true);
  });

  it('always resends a request that never reached the server', () => {
    assert.equal(mayResend('tools/call', call('write'), tools, 'not-sent'), true);
  });
});
