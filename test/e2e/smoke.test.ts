import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import { connectHttp, connectStdio, defaultServers, startHttpGateway, writeConfig } from '../helpers/gateway.js';

describe('gateway smoke (default npm servers)', () => {
  for (const era of ['legacy', 'modern'] as const) {
    it(`stdio, ${era} client: lists namespaced tools of three servers and calls echo`, async () => {
      await using config = writeConfig({ servers: defaultServers('/tmp') });
      await using connected = await connectStdio(config.path, { era });
      const { tools } = await connected.client.listTools();
      const servers = new Set(tools.map(tool => tool.name.split('__')[0]));
      assert.deepEqual([...servers].sort(), ['everything', 'fs', 'memory']);
      const result = await connected.client.callTool({ name: 'everything__echo', arguments: { message: 'hi' } });
      assert.deepEqual(result.content, [{ type: 'text', text: 'Echo: hi' }]);
    });

    it(`http, ${era} client: calls echo through the gateway`, async () => {
      await using config = writeConfig({ servers: defaultServers('/tmp') });
      await using gateway = await startHttpGateway(config.path);
      await using client = await connectHttp(gateway.url, { era });
      const result = await client.callTool({ name: 'everything__echo', arguments: { message: 'over http' } });
      assert.deepEqual(result.content, [{ type: 'text', text: 'Echo: over http' }]);
    });
  }
});
