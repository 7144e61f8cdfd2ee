/**
 * What only a shared PostgreSQL store has to get right: instances that start together migrate it once, two
 * processes appending to the audit log make one chain that verifies, and a server that goes away gives clear
 * errors (which store, the URL without its password, what to do) and no crash, then works again when it is back.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';

import { AuditLog } from '../../src/audit/audit-log.js';
import { verifyAudit } from '../../src/audit/verify-audit.js';
import { postgresMigrations } from '../../src/store/postgres/postgres-schema.js';
import { isManifoldError } from '../../src/core/errors.js';
import { openAuditStore, openCredentialStore, openRunStore } from '../../src/store/index.js';
import { createLogger } from '../../src/telemetry/logger.js';
import { type PostgresServer, startPostgres } from '../helpers/postgres.js';

const storeModule = new URL('../../src/store/index.ts', import.meta.url).pathname;
const auditModule = new URL('../../src/audit/audit-log.ts', import.meta.url).pathname;

/** Runs `code` (an ES module body) in `count` node processes started at once; their exit codes and stderr. */
async function inProcesses(count: number, code: (index: number) => string): Promise<{ codes: (number | null)[]; stderr: string }> {
  const children = Array.from({ length: count }, (_, index) =>
    spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', code(index)], { stdio: ['ignore', 'ignore', 'pipe'] })
  );
  let stderr = '';
  for (const child of children) child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const codes = await Promise.all(children.map(async child => ((await once(child, 'exit')) as [number | null])[0]));
  return { codes, stderr };
}

let server: PostgresServer;
before(async () => {
  server = await startPostgres();
});
after(async () => {
  await server?.stop();
});

describe('the PostgreSQL store shared by several processes', { timeout: 180_000 }, () => {
  it('three instances starting at once migrate the database once, and all of them work', async () => {
    const url = await server.createDatabase();
    const { codes, stderr } = await inProcesses(
      3,
      index => `const { openRunStore } = await import(${JSON.stringify(storeModule)});
        const store = openRunStore(${JSON.stringify(url)});
        store.startRun({ id: 'r${index}', workflow: 'w', status: 'running', startedAt: ${index}, input: '{}' });
        store.close();`
    );
    assert.deepEqual(codes, [0, 0, 0], stderr);
    const store = openRunStore(url);
    try {
      assert.deepEqual(store.listRuns().map(run => run.id).sort(), ['r0', 'r1', 'r2']);
    } finally {
      store.close();
    }
    const pg = (await import('pg')).default;
    const client = new pg.Client(url);
    await client.connect();
    try {
      const schema = await client.query<{ name: string; version: number }>('SELECT name, version FROM manifold_schema');
      assert.deepEqual(schema.rows, [{ name: 'manifold', version: postgresMigrations.length }]);
    } finally {
      await client.end();
    }
  });

  it('two processes appending 150 audit rows each at once make one chain of 300 rows that verifies', async () => {
    const url = await server.createDatabase();
    const { codes, stderr } = await inProcesses(
      2,
      index => `const { openAuditStore } = await import(${JSON.stringify(storeModule)});
        const { AuditLog } = await import(${JSON.stringify(auditModule)});
        const logger = { info() {}, warn() {}, error() {}, debug() {}, child() { return logger; } };
        const log = new AuditLog({ open: () => openAuditStore(${JSON.stringify(url)}), signer: undefined, checkpointEvery: 25, keepDays: undefined, arguments: false, logger });
        for (let batch = 0; batch < 30; batch++) {
          // Five rows per turn of the event loop: each flush is one transaction of five rows.
          await Promise.all(Array.from({ length: 5 }, (_, i) => log.append({ time: Date.now(), principal: 'local:local', session: 'p${index}', view: null, method: 'tools/call',
            target: 'p${index}-' + (batch * 5 + i), upstream: null, server: null, argsDigest: 'a'.repeat(64), argsSize: 2, arguments: null, outcome: 'ok', error: null,
            durationMs: 1, resultSize: 1, runId: null, stepId: null })));
        }
        log.close();`
    );
    assert.deepEqual(codes, [0, 0], stderr);
    const store = openAuditStore(url);
    try {
      const rows = [...store.rows()];
      assert.equal(rows.length, 300);
      assert.deepEqual(rows.map(row => row.seq), Array.from({ length: 300 }, (_, i) => i + 1));
      for (const index of [0, 1]) {
        const mine = rows.filter(row => row.session === `p${index}`).map(row => row.target);
        assert.deepEqual(mine, Array.from({ length: 150 }, (_, i) => `p${index}-${i}`), 'each process\'s rows in its order');
      }
      // The two interleave (they really ran at once), and the chain holds.
      const switches = rows.slice(1).filter((row, i) => row.session !== rows[i]?.session).length;
      assert.ok(switches >= 1, 'the processes appended concurrently');
      const result = verifyAudit(store, undefined);
      assert.equal(result.ok, true, result.problem?.message);
      assert.equal(result.rows, 300);
    } finally {
      store.close();
    }
  });
});

describe('upstream sign-ins in PostgreSQL', () => {
  it('are sealed in the database under a key file that stays on the machine; another instance with the same file reads them', async () => {
    const url = await server.createDatabase();
    const dir = mkdtempSync(join(tmpdir(), 'manifold-pg-credentials-'));
    try {
      const keyPath = join(dir, 'manifold.db.key');
      const first = openCredentialStore(url, keyPath);
      first.save('remote', { tokens: { access_token: 'at-secret-1' }, obtainedAt: 5 });
      const second = openCredentialStore(url, keyPath);
      assert.deepEqual(second.load('remote'), { tokens: { access_token: 'at-secret-1' }, obtainedAt: 5 });
      const pg = (await import('pg')).default;
      const client = new pg.Client(url);
      await client.connect();
      const stored = await client.query<{ sealed: string }>('SELECT sealed FROM upstream_credentials');
      await client.end();
      assert.doesNotMatch(stored.rows[0]?.sealed ?? '', /at-secret-1/, 'sealed, not plain');
      assert.equal(statSync(keyPath).mode & 0o777, 0o600);
      // Another key file cannot open them.
      const stranger = openCredentialStore(url, join(dir, 'other.key'));
      assert.throws(() => stranger.load('remote'), /cannot be decrypted/);
      assert.equal(second.delete('remote'), true);
      assert.equal(first.load('remote'), undefined);
      for (const store of [first, second, stranger]) store.close();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('the PostgreSQL store when the server goes away', { timeout: 120_000 }, () => {
  it('fails each use with an error naming the store (no password) and what to do, and works again once the server is back', async () => {
    const created = await server.createDatabase();
    // A password in the URL (trust auth ignores it) must never be shown.
    const url = created.replace('manifold@', 'manifold:s3cret-pw@');
    const runs = openRunStore(url);
    const audit = openAuditStore(url);
    const logger = createLogger({ level: 'silent' });
    const log = new AuditLog({ open: () => audit, signer: undefined, checkpointEvery: 100, keepDays: undefined, arguments: false, logger });
    const record = (target: string) => ({ time: Date.now(), principal: 'local:local', session: 's', view: null, method: 'tools/call', target, upstream: null, server: null, argsDigest: 'a'.repeat(64), argsSize: 2, arguments: null, outcome: 'ok' as const, error: null, durationMs: 1, resultSize: 1, runId: null, stepId: null });
    try {
      runs.startRun({ id: 'before', workflow: 'w', status: 'running', startedAt: 1, input: '{}' });
      await log.append(record('before'));

      await server.halt();
      const expectDown = (error: unknown) => {
        assert.ok(isManifoldError(error), String(error));
        assert.equal(error.code, 'UPSTREAM_UNAVAILABLE');
        assert.match(error.message, new RegExp(`cannot reach the PostgreSQL store postgres://manifold@127\\.0\\.0\\.1:${server.port}/\\w+ \\(config "store" or MANIFOLD_STORE\\)`));
        assert.match(error.message, /Start PostgreSQL or correct the URL/);
        assert.doesNotMatch(error.message, /s3cret/);
        return true;
      };
      assert.throws(() => runs.startRun({ id: 'during', workflow: 'w', status: 'running', startedAt: 2, input: '{}' }), expectDown);
      assert.throws(() => runs.listRuns(), expectDown);
      await assert.rejects(log.append(record('during')), expectDown);

      await server.start();
      runs.startRun({ id: 'after', workflow: 'w', status: 'running', startedAt: 3, input: '{}' });
      assert.deepEqual(runs.listRuns().map(run => run.id), ['after', 'before']);
      await log.append(record('after'));
      const rows = [...audit.rows()];
      assert.deepEqual(rows.map(row => row.target), ['before', 'after']);
      assert.equal(verifyAudit(audit, undefined).ok, true);
    } finally {
      log.close();
      runs.close();
    }
  });
});
