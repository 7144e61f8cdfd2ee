import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import { ManifoldError } from '../core/errors.js';
import { parseConfig } from './parse-config.js';

function messageOf(text: string, env: NodeJS.ProcessEnv = {}): string {
  try {
    parseConfig(text, { env });
  } catch (error) {
    assert.ok(error instanceof ManifoldError, String(error));
    return error.message;
  }
  assert.fail('expected a config error');
}

describe('servers.<name>.oauth', () => {
  it('defaults to the authorization-code grant on any free loopback port, and reads the secret from the environment', () => {
    const { config } = parseConfig('servers:\n  github: { url: "https://api.example.com/mcp", oauth: {} }\n');
    const github = config.servers.github;
    assert.ok(github && 'url' in github);
    assert.deepEqual(github.oauth, { grant: 'authorization_code', redirectPort: 0, clientName: 'Manifold' });
    const withSecret = parseConfig(
      'servers:\n  svc: { url: "https://api.example.com/mcp", oauth: { grant: client_credentials, clientId: svc, clientSecret: "${SVC_SECRET}", scopes: [read, write] } }\n',
      { env: { SVC_SECRET: 'hunter2' } }
    ).config.servers.svc;
    assert.ok(withSecret && 'url' in withSecret);
    assert.equal(withSecret.oauth?.clientSecret, 'hunter2');
    assert.deepEqual(withSecret.oauth?.scopes, ['read', 'write']);
  });

  it('names the config path of what is wrong', () => {
    const server = (oauth: string, extra = '') => `servers:\n  github: { url: "https://api.example.com/mcp", oauth: ${oauth}${extra} }\n`;
    assert.match(messageOf(server('{ grnt: client_credentials }')), /servers\.github\.oauth: unknown key "grnt"/);
    assert.match(messageOf(server('{ grant: client_credentials, clientId: svc }')), /servers\.github\.oauth\.clientSecret: the client_credentials grant needs clientId and clientSecret/);
    assert.match(messageOf(server('{ clientSecret: x }')), /servers\.github\.oauth\.clientId: a clientSecret needs the clientId/);
    assert.match(messageOf(server('{ scopes: ["read write"] }')), /servers\.github\.oauth\.scopes\[0\]|servers\.github\.oauth\.scopes\.0/);
    assert.match(messageOf(server('{ clientMetadataUrl: "http://example.com/client.json" }')), /servers\.github\.oauth\.clientMetadataUrl: expected an https:\/\/ URL with a path/);
    assert.match(messageOf(server('{}', ', headers: { Authorization: "Bearer x" }')), /servers\.github\.headers: an Authorization header and oauth both set the token/);
  });
});
