import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import { mcpParamMismatch } from './mcp-param-validation.js';

const catalog = (name: string) =>
  name === 'regional'
    ? { inputSchema: { type: 'object' as const, properties: { region: { type: 'string', 'x-mcp-header': 'Region' }, n: { type: 'integer', 'x-mcp-header': 'N' } } } }
    : undefined;

const call = (args: Record<string, unknown>) => ({ jsonrpc: '2.0', id: 1, method: 'tools/call', params: { name: 'regional', arguments: args } });
const headers = (values: Record<string, string>) => (name: string) => values[name];

describe('Mcp-Param header validation at the gateway (SEP-2243)', () => {
  it('accepts headers that match the body, literal or base64', () => {
    assert.equal(mcpParamMismatch(catalog, call({ region: 'eu', n: 3 }), headers({ 'mcp-param-region': 'eu', 'mcp-param-n': '3' })), undefined);
    const encoded = `=?base64?${Buffer.from('Hello').toString('base64')}?=`;
    assert.equal(mcpParamMismatch(catalog, call({ region: 'Hello' }), headers({ 'mcp-param-region': encoded })), undefined);
    assert.equal(mcpParamMismatch(catalog, call({}), headers({})), undefined, 'no value, no header');
  });

  it('rejects a missing, different, or badly encoded header', () => {
    assert.match(mcpParamMismatch(catalog, call({ region: 'eu' }), headers({})) ?? '', /missing/);
    assert.match(mcpParamMismatch(catalog, call({ region: 'eu' }), headers({ 'mcp-param-region': 'us' })) ?? '', /does not match/);
    assert.match(mcpParamMismatch(catalog, call({ region: 'Hello' }), headers({ 'mcp-param-region': '=?base64?SGVsbG8?=' })) ?? '', /base64/);
    assert.match(mcpParamMismatch(catalog, call({}), headers({ 'mcp-param-region': 'eu' })) ?? '', /no region/);
  });

  it('leaves other requests and tools alone', () => {
    assert.equal(mcpParamMismatch(catalog, { method: 'tools/list' }, headers({})), undefined);
    assert.equal(mcpParamMismatch(catalog, { method: 'tools/call', params: { name: 'other', arguments: { region: 'x' } } }, headers({})), undefined);
  });
});
