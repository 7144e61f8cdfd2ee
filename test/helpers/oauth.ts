/**
 * Helpers for the upstream OAuth tests (test/e2e/upstream-oauth*.test.ts): the CLI run in this process, and the
 * browser of `manifold login` played with plain HTTP requests.
 */
import assert from 'node:assert/strict';

import { main } from '../../src/cli/main.js';
import type { Output } from '../../src/cli/output.js';

/** Runs the CLI in this process; `onLine` sees each printed line as it comes (to play the browser). */
export async function cli(
  args: string[],
  onLine?: (line: string) => void
): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  const output: Output = {
    out: text => {
      out += `${text}\n`;
      for (const line of text.split('\n')) onLine?.(line);
    },
    err: text => void (err += `${text}\n`)
  };
  const code = await main(args, output);
  return { code, out, err };
}

/** The browser: GETs the authorization URL (auto-approved), then follows its redirect to the loopback callback. */
export async function browse(authorizationUrl: string): Promise<void> {
  const approved = await fetch(authorizationUrl, { redirect: 'manual' });
  const location = approved.headers.get('location');
  assert.ok(location, `the authorization server redirected (HTTP ${approved.status})`);
  const landed = await fetch(location);
  assert.equal(landed.status, 200, await landed.text());
}

/** `manifold login <server>`, with the browser step played as soon as the URL is printed. */
export async function login(configPath: string, server: string): Promise<{ code: number; out: string; err: string }> {
  let browsing: Promise<void> | undefined;
  const result = await cli(['login', server, '--config', configPath], line => {
    const url = /^\s+(http\S+\/authorize\?\S+)$/.exec(line)?.[1];
    if (url) browsing = browse(url);
  });
  await browsing;
  return result;
}

export function sleep(ms: number): Promise<void> {
  return new Promise(resolve => setTimeout(resolve, ms));
}
