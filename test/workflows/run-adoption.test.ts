/**
 * Runs across instances (docs/FLEET.md): two real `manifold serve` processes with fleet ids share one store (a
 * SQLite file, then a PostgreSQL database); a run started on A is leased to A; A is killed with SIGKILL mid-run;
 * B adopts the run once A's lease expired
 * (default 6 s lease, within 10 s of the kill) and finishes it from the journal: the steps A finished are not
 * run again (the counter fixture counts real calls).
 */
import assert from 'node:assert/strict';
import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';

import type { Client } from '@modelcontextprotocol/client';

import { type PostgresServer, startPostgres } from '../helpers/postgres.js';
import {
  connectHttp,
  fixtureServer,
  manifoldCommand,
  stopChild,
  waitFor,
  waitForStderr,
  writeConfig
} from '../helpers/gateway.js';

interface Gateway extends AsyncDisposable {
  url: string;
  child: ChildProcess;
  stderr: () => string;
}

async function startInstance(configPath: string, instanceId: string): Promise<Gateway> {
  const child = spawn(
    manifoldCommand.command,
    [...manifoldCommand.args, 'serve', '--http', '0', '--config', configPath, '--log-level', 'info'],
    {
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, MANIFOLD_INSTANCE_ID: instanceId }
    }
  );
  const { match, stderr } = await waitForStderr(child, /serving MCP at (\S+)/, instanceId, 30_000);
  return { url: match[1] as string, child, stderr, [Symbol.asyncDispose]: () => stopChild(child, 5000) };
}

type Structured = Record<string, unknown> & { status?: string; run_id?: string; resumes?: number };

async function callTool(
  client: Client,
  name: string,
  args: Record<string, unknown>
): Promise<{ isError: boolean; text: string; structured: Structured }> {
  const result = await client.callTool({ name, arguments: args });
  const text = (result.content as Array<{ text?: string }>).map(block => block.text ?? '').join('\n');
  return { isError: result.isError === true, text, structured: (result.structuredContent ?? {}) as Structured };
}

function counts(file: string): Record<string, number> {
  if (!existsSync(file)) return {};
  const result: Record<string, number> = {};
  for (const line of readFileSync(file, 'utf8').split('\n').filter(Boolean)) result[line] = (result[line] ?? 0) + 1;
  return result;
}

let postgres: PostgresServer | undefined;
before(async () => {
  postgres = await startPostgres();
});
after(async () => {
  await postgres?.stop();
});

describe('runs across instances', { timeout: 120_000 }, () => {
  for (const backend of ['sqlite', 'postgres'] as const) {
    it(`kill -9 the instance running a run: another instance adopts it within 10 s and finishes it without repeating finished steps (${backend} store)`, async () => {
      const holder = writeConfig({});
      await using _holder = holder;
      const file = join(holder.dir, 'calls.log');
      await using config = writeConfig({
        servers: { c: fixtureServer('counter.ts', [file]) },
        gateway: { runTools: true },
        store:
          backend === 'sqlite'
            ? { path: join(holder.dir, 'shared.db') }
            : { url: await (postgres as PostgresServer).createDatabase() },
        workflows: {
          slow: {
            steps: [
              { id: 'a', call: 'c__write', with: { key: 'a' } },
              { id: 'nap', call: 'c__sleep', with: { key: 'nap', ms: 2500 } },
              { id: 'b', call: 'c__write', with: { key: 'b' } }
            ],
            output: { a: '{{ steps.a.result.wrote }}', b: '{{ steps.b.result.wrote }}' }
          }
        }
      });
      await using instanceA = await startInstance(config.path, 'gw-a');
      await using instanceB = await startInstance(config.path, 'gw-b');
      await using clientA = await connectHttp(instanceA.url);
      await using clientB = await connectHttp(instanceB.url);

      const started = await callTool(clientA, 'runs_start', { workflow: 'slow' });
      assert.equal(started.isError, false, started.text);
      const runId = started.structured.run_id as string;
      // Step a done on A, the nap in flight: kill A with no chance to clean up.
      await waitFor(() => counts(file)['write a'] === 1, 'step a on instance A');
      await new Promise(resolve => setTimeout(resolve, 300));
      // B sees the run running (on A) while A's lease holds.
      assert.equal((await callTool(clientB, 'runs_status', { run_id: runId })).structured.status, 'running');
      instanceA.child.kill('SIGKILL');
      await once(instanceA.child, 'exit');
      const killedAt = Date.now();

      await waitFor(
        () => instanceB.stderr().includes(`adopting run ${runId}`),
        `instance B adopting run ${runId}:\n${instanceB.stderr()}`,
        15_000
      );
      const adoptedAfter = Date.now() - killedAt;
      assert.ok(adoptedAfter < 10_000, `adopted ${adoptedAfter} ms after the kill`);
      assert.match(
        instanceB.stderr(),
        new RegExp(`adopting run ${runId}: the lease of process ${instanceA.child.pid} on \\S+ expired`)
      );

      let status: Structured = {};
      await waitFor(
        async () => {
          status = (await callTool(clientB, 'runs_status', { run_id: runId })).structured;
          return status.status === 'completed';
        },
        `run ${runId} to complete on B (last: ${JSON.stringify(status)})`,
        15_000
      );
      const completedAfter = Date.now() - killedAt;
      console.log(
        `${backend}: adopted ${adoptedAfter} ms after the kill; completed ${completedAfter} ms after it (the 2.5 s nap ran again)`
      );
      assert.equal(status.resumes, 1);
      assert.deepEqual((status.result as { structuredContent?: unknown }).structuredContent, { a: 1, b: 1 });
      // The journal was reused: step a (a write, not idempotent) ran once, on A; b once, on B.
      assert.equal(counts(file)['write a'], 1);
      assert.equal(counts(file)['write b'], 1);
      assert.match(instanceB.stderr(), /resuming run \S+ of slow \(\d+ journal entries to reuse/);
    });
  }
});
