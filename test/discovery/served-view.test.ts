import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import { parseConfig } from '../../src/config/index.js';
import { GatewayCore, hasView, resolveServedView, viewNames, viewOf } from '../../src/gateway/index.js';
import { createLogger } from '../../src/telemetry/logger.js';

function core(yaml: string): GatewayCore {
  return new GatewayCore({ config: parseConfig(yaml, { env: {} }).config, logger: createLogger({ level: 'silent' }) });
}

describe('which view a connection serves', () => {
  it('without views: /mcp and stdio serve the plain catalog; "default" exists, others do not', async () => {
    await using gateway = core('servers: {}');
    assert.equal(resolveServedView(gateway, undefined), undefined);
    assert.equal(resolveServedView(gateway, 'default'), undefined);
    assert.equal(hasView(gateway, 'default'), true);
    assert.equal(hasView(gateway, 'agent'), false);
    assert.throws(() => resolveServedView(gateway, 'agent'), /no view "agent"; views: default/);
  });

  it('views.default shapes /mcp; named views are shared per gateway', async () => {
    await using gateway = core('views: { default: { discovery: search }, agent: { discovery: hybrid } }');
    assert.equal(resolveServedView(gateway, undefined)?.mode, 'search');
    assert.equal(resolveServedView(gateway, 'agent')?.mode, 'hybrid');
    assert.equal(viewOf(gateway, 'agent'), viewOf(gateway, 'agent'));
    assert.deepEqual(viewNames(gateway), ['default', 'agent']);
    assert.deepEqual(
      resolveServedView(gateway, undefined)
        ?.listTools()
        .map(tool => tool.name),
      ['retrieve_tools', 'call_tool']
    );
  });

  it('the config rejects a bad view name and an unknown discovery mode', () => {
    assert.throws(() => parseConfig('views: { "a/b": {} }', { env: {} }), /view name "a\/b" must use letters/);
    assert.throws(() => parseConfig('views: { x: { discovery: lazy } }', { env: {} }), /discovery/);
  });
});
