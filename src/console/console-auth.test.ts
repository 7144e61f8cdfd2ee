import assert from 'node:assert/strict';
import type { IncomingMessage } from 'node:http';
import { describe, it } from 'node:test';

import { consoleOptionsSchema } from '../config/index.js';
import { ConsoleAuth, isSameOrigin, passesCsrf } from './console-auth.js';

const request = (headers: Record<string, string>) => ({ headers }) as unknown as IncomingMessage;
const noAuth = { enabled: false, identify: async () => undefined } as never;

describe('console sign-in and CSRF', () => {
  const options = consoleOptionsSchema.parse({ adminKey: 'the-admin-key-0123456789', sessionTtl: '1h' });
  let now = 1_000_000;
  const auth = new ConsoleAuth('the-admin-key-0123456789', options, () => now);

  it('knows the admin key, a session cookie until it expires, and nothing else', async () => {
    assert.equal(auth.isAdminKey('the-admin-key-0123456789'), true);
    assert.equal(auth.isAdminKey('the-admin-key-012345678'), false);
    assert.equal((await auth.identify(request({ authorization: 'Bearer the-admin-key-0123456789' }), noAuth))?.who, 'admin');
    assert.equal(await auth.identify(request({ authorization: 'Bearer nope-nope-nope-nope' }), noAuth), undefined);
    assert.equal(await auth.identify(request({}), noAuth), undefined);
    const session = auth.signIn('admin');
    assert.equal((await auth.identify(request({ cookie: `other=1; manifold_console=${session.id}` }), noAuth))?.session?.id, session.id);
    now += 3_600_001;
    assert.equal(await auth.identify(request({ cookie: `manifold_console=${session.id}` }), noAuth), undefined);
  });

  it('lets a session change state only with its token and a JSON body', () => {
    const session = auth.signIn('admin');
    const admin = { who: 'admin', session };
    assert.equal(passesCsrf(request({ 'x-manifold-csrf': session.csrf, 'content-type': 'application/json' }), admin), true);
    assert.equal(passesCsrf(request({ 'x-manifold-csrf': session.csrf, 'content-type': 'text/plain' }), admin), false);
    assert.equal(passesCsrf(request({ 'x-manifold-csrf': 'guess', 'content-type': 'application/json' }), admin), false);
    assert.equal(passesCsrf(request({ 'content-type': 'application/json' }), admin), false);
    assert.equal(passesCsrf(request({}), { who: 'admin' }), true);
    assert.equal(isSameOrigin(request({ host: '127.0.0.1:3333', origin: 'http://127.0.0.1:3333' })), true);
    assert.equal(isSameOrigin(request({ host: '127.0.0.1:3333', origin: 'http://127.0.0.1:4444' })), false);
    assert.equal(isSameOrigin(request({ host: '127.0.0.1:3333', origin: 'null' })), false);
  });
});
