import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import { decodeMcpParamValue, encodeMcpParamValue, mcpParamArgument, mcpParamHeaders, scanMcpParamDeclarations } from './mcp-param-headers.js';

describe('SEP-2243 Mcp-Param headers', () => {
  it('finds declarations reached through properties and mirrors primitive arguments', () => {
    const scan = scanMcpParamDeclarations({
      type: 'object',
      properties: {
        region: { type: 'string', 'x-mcp-header': 'Region' },
        options: { type: 'object', properties: { verbose: { type: 'boolean', 'x-mcp-header': 'Verbose' } } },
        count: { type: 'integer', 'x-mcp-header': 'Count' },
        plain: { type: 'string' }
      }
    });
    assert.ok(scan.valid);
    assert.deepEqual(mcpParamHeaders(scan.declarations, { region: 'eu', options: { verbose: true }, count: 3, plain: 'x' }), {
      'Mcp-Param-Region': 'eu',
      'Mcp-Param-Verbose': 'true',
      'Mcp-Param-Count': '3'
    });
    assert.deepEqual(mcpParamHeaders(scan.declarations, { region: null }), {}, 'null and absent values are omitted');
  });

  it('rejects invalid declarations', () => {
    const invalid = [
      { type: 'object', properties: { a: { type: 'string', 'x-mcp-header': '' } } },
      { type: 'object', properties: { a: { type: 'object', 'x-mcp-header': 'A' } } },
      { type: 'object', properties: { a: { type: 'number', 'x-mcp-header': 'A' } } },
      { type: 'object', properties: { a: { type: 'string', 'x-mcp-header': 'Has Space' } } },
      { type: 'object', properties: { a: { type: 'string', 'x-mcp-header': 'X' }, b: { type: 'string', 'x-mcp-header': 'x' } } },
      { type: 'object', properties: { a: { type: 'array', items: { type: 'string', 'x-mcp-header': 'A' } } } }
    ];
    for (const schema of invalid) assert.equal(scanMcpParamDeclarations(schema).valid, false, JSON.stringify(schema));
  });

  it('encodes unsafe values with the base64 sentinel', () => {
    assert.equal(encodeMcpParamValue('us-west1'), 'us-west1');
    assert.equal(encodeMcpParamValue(''), '=?base64??=');
    assert.equal(encodeMcpParamValue(' lead'), `=?base64?${Buffer.from(' lead').toString('base64')}?=`);
    assert.equal(encodeMcpParamValue('日本'), `=?base64?${Buffer.from('日本').toString('base64')}?=`);
  });

  it('decodes what it encodes, and refuses a sentinel that is not strict base64', () => {
    for (const value of ['us-west1', '', ' lead', '日本', '=?base64?x?=']) assert.equal(decodeMcpParamValue(encodeMcpParamValue(value)), value);
    assert.equal(decodeMcpParamValue('=?base64?SGVsbG8?='), undefined, 'unpadded');
    assert.equal(decodeMcpParamValue('=?base64?SGVs*G8=?='), undefined, 'outside the alphabet');
  });

  it('finds the argument a declaration points at, and nothing where the path breaks off', () => {
    const declaration = { path: ['options', 'region'], headerName: 'Region' };
    assert.equal(mcpParamArgument(declaration, { options: { region: 'eu' } }), 'eu');
    assert.equal(mcpParamArgument(declaration, { options: 'eu' }), undefined);
    assert.equal(mcpParamArgument(declaration, null), undefined);
  });
});
