/**
 * The stdio face, fuzzed (docs/SECURITY.md "Fuzzing"): a spawned `manifold serve` gets arbitrary and mutated
 * JSON-RPC lines after its handshake. Every line it writes is a valid JSON-RPC answer (a result or a typed error)
 * or a message of its own; after each frame a ping must be answered within a time bound (no hang); after the
 * barrage it still answers a real tool call, and when its stdin closes it exits and leaves no child behind.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { describe, it } from 'node:test';

import fc from 'fast-check';

import { fixtureServer, manifoldCommand, stopChild, writeConfig } from '../helpers/gateway.js';
import { checkAnswerText, frame } from './frames.js';
import { fuzzParameters, longRun } from './fuzz-settings.js';

/** How long one frame may take to be dealt with (the ping after it answered). */
const frameBoundMs = 15_000;

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

describe('fuzz: stdio frames', { timeout: longRun ? 24 * 3600_000 : 180_000 }, () => {
  it('answers every frame with JSON-RPC, never hangs, serves a real call afterwards, and exits clean', async () => {
    await using config = writeConfig({});
    const startLog = join(config.dir, 'starts.log');
    await using written = writeConfig({ servers: { echo: fixtureServer('echo.ts', ['--start-log', startLog]) } });
    const child = spawn(
      manifoldCommand.command,
      [...manifoldCommand.args, 'serve', '--config', written.path, '--log-level', 'error'],
      {
        stdio: ['pipe', 'pipe', 'pipe']
      }
    );
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    try {
      const waiting = new Map<string, (line: unknown) => void>();
      const problems: string[] = [];
      createInterface({ input: child.stdout }).on('line', line => {
        try {
          checkAnswerText(line, 'stdout');
        } catch (error) {
          problems.push((error as Error).message);
          return;
        }
        const value = JSON.parse(line) as { id?: unknown };
        const resolve = typeof value.id === 'string' ? waiting.get(value.id) : undefined;
        if (resolve) resolve(value);
      });
      const write = (text: string) => child.stdin.write(`${text}\n`);
      let sequence = 0;
      const request = (
        method: string,
        params: Record<string, unknown> = {},
        boundMs = frameBoundMs
      ): Promise<Record<string, unknown>> => {
        const id = `fuzz-sentinel-${++sequence}`;
        return new Promise((resolve, reject) => {
          const timer = setTimeout(
            () =>
              reject(
                new Error(`no answer to ${method} (${id}) in ${boundMs} ms: the gateway hangs\n${stderr.slice(-2000)}`)
              ),
            boundMs
          );
          waiting.set(id, value => {
            clearTimeout(timer);
            waiting.delete(id);
            resolve(value as Record<string, unknown>);
          });
          write(JSON.stringify({ jsonrpc: '2.0', id, method, params }));
        });
      };
      const init = await request(
        'initialize',
        { protocolVersion: '2025-06-18', capabilities: {}, clientInfo: { name: 'fuzz', version: '1' } },
        60_000
      );
      assert.ok(init.result, JSON.stringify(init));
      write(JSON.stringify({ jsonrpc: '2.0', method: 'notifications/initialized' }));

      await fc.assert(
        fc.asyncProperty(frame(true), async text => {
          write(text);
          const pong = await request('ping');
          assert.ok(pong.result !== undefined || pong.error !== undefined);
          assert.equal(child.exitCode, null, `the gateway exited after ${text}\n${stderr.slice(-2000)}`);
          assert.deepEqual(problems, [], `after frame ${text}`);
        }),
        fuzzParameters(60)
      );

      // Still serving: a real call through to the echo server.
      const echoed = await request('tools/call', { name: 'echo__echo', arguments: { message: 'still here' } }, 60_000);
      assert.deepEqual(
        (echoed.result as { content: unknown }).content,
        [{ type: 'text', text: 'still here' }],
        JSON.stringify(echoed)
      );
      assert.deepEqual(problems, []);

      // stdin closed: the gateway exits and its server process is gone.
      child.stdin.end();
      const exited = await Promise.race([
        new Promise(resolve => child.once('exit', () => resolve(true))),
        new Promise(resolve => setTimeout(() => resolve(child.exitCode !== null), 20_000))
      ]);
      assert.ok(exited, 'the gateway did not exit after its stdin closed');
      const pids = readFileSync(startLog, 'utf8').trim().split('\n').map(Number);
      assert.ok(pids.length > 0);
      await new Promise(resolve => setTimeout(resolve, 500));
      for (const pid of pids) assert.ok(!alive(pid), `the echo server ${pid} outlived the gateway`);
    } finally {
      await stopChild(child);
    }
  });
});
