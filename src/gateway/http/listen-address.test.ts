import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import { describeListenAddress, isLoopbackHost, toListenAddress } from './listen-address.js';

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

  it('says how callers are let in: loopback only without auth:, authenticated with it (no "no authentication" warning), open with auth: none', () => {
    const loopback = toListenAddress({ address: '127.0.0.1', family: 'IPv4', port: 3333 });
    assert.match(describeListenAddress(loopback, [], 'loopback-only').info[1] ?? '', /no "auth:" in the config: bound to loopback only/);
    const all = toListenAddress({ address: '0.0.0.0', family: 'IPv4', port: 3333 });
    const authenticated = describeListenAddress(all, [], 'authenticated');
    assert.match(authenticated.info[1] ?? '', /callers authenticate/);
    assert.equal(authenticated.warnings.length, 1);
    assert.doesNotMatch(authenticated.warnings.join('\n'), /no authentication/);
    assert.match(describeListenAddress(all, [], 'open').warnings[0] ?? '', /no authentication \("auth: none"\)/);
  });

  it('which hosts count as loopback for a bind without auth:', () => {
    for (const host of ['127.0.0.1', '127.0.0.2', 'localhost', '::1', '[::1]', '::ffff:127.0.0.1']) assert.ok(isLoopbackHost(host), host);
    for (const host of ['0.0.0.0', '::', '192.168.1.5', '127.example.com', 'gw.example', 'fd00::2']) assert.ok(!isLoopbackHost(host), host);
  });
});
