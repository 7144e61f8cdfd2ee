import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import { describeListenAddress, toListenAddress } from './listen-address.js';

describe('the listen address serve prints', () => {
  it('on loopback: the URL, no warning', () => {
    const listen = toListenAddress({ address: '127.0.0.1', family: 'IPv4', port: 3333 });
    assert.deepEqual(describeListenAddress(listen, []), { info: ['serving MCP at http://127.0.0.1:3333/mcp'], warnings: [] });
  });

  it('on 0.0.0.0: all interfaces with a loopback URL first, and both warnings with the allowed Hosts', () => {
    const listen = toListenAddress({ address: '0.0.0.0', family: 'IPv4', port: 3333 });
    assert.equal(listen.url, 'http://127.0.0.1:3333/mcp');
    assert.ok(listen.allInterfaces && !listen.loopbackOnly);
    const described = describeListenAddress(listen, ['gw.example']);
    assert.match(described.info[0] ?? '', /^serving MCP at http:\/\/127\.0\.0\.1:3333\/mcp \(bound to 0\.0\.0\.0: all interfaces/);
    assert.match(described.warnings[0] ?? '', /no authentication/);
    assert.match(described.warnings[1] ?? '', /Host localhost, 127\.0\.0\.1, \[::1\], gw\.example; .*gateway\.http\.allowedHosts/);
  });

  it('on a named address: that URL (IPv6 in brackets), with the warnings', () => {
    const listen = toListenAddress({ address: 'fd00::2', family: 'IPv6', port: 80 });
    assert.equal(listen.url, 'http://[fd00::2]:80/mcp');
    assert.equal(describeListenAddress(listen, []).warnings.length, 2);
  });
});
