import assert from 'node:assert/strict';
import { createHash, generateKeyPairSync } from 'node:crypto';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';

import fc from 'fast-check';

import { type StoreBackend, storeBackends } from '../../test/helpers/store-backends.js';
import { openAuditStore } from '../store/index.js';
import { createLogger } from '../telemetry/logger.js';
import { readAnchor } from './anchor.js';
import { AuditLog } from './audit-log.js';
import { type AuditSigner, loadSigningKey } from './signing-key.js';
import { type AuditProblemKind, verifyAudit } from './verify-audit.js';

const logger = createLogger({ level: 'silent' });
const pem = generateKeyPairSync('ed25519').privateKey.export({ format: 'pem', type: 'pkcs8' }).toString();

/** A real store (file or database) with `rows` audit rows written through AuditLog (checkpoint every `every`, and at close). */
async function writeLog(path: string, rows: number, every: number, signer: AuditSigner | undefined, start = 1_700_000_000_000): Promise<void> {
  const log = new AuditLog({ open: () => openAuditStore(path), signer, checkpointEvery: every, keepDays: undefined, arguments: false, anchor: anchorFile(path), logger });
  for (let i = 0; i < rows; i++) {
    await log.append({
      time: start + i * 1000,
      principal: 'local:local',
      session: 's1',
      view: null,
      method: 'tools/call',
      target: `srv__tool${i % 3}`,
      upstream: `tool${i % 3}`,
      server: 'srv',
      argsDigest: 'd'.repeat(64),
      argsSize: i,
      arguments: null,
      outcome: i % 4 === 0 ? 'tool_error' : 'ok',
      error: null,
      durationMs: i / 10,
      resultSize: 10 + i,
      runId: null,
      stepId: null
    });
  }
  log.close();
}

/** Where a store's head is anchored: beside a file; for a database URL, a file named after it in the temp folder. */
function anchorFile(path: string): string {
  return path.includes('://') ? join(tmpdir(), `manifold-anchor-${createHash('sha256').update(path).digest('hex').slice(0, 16)}`) : `${path}.audit-head`;
}

/** Verifies the store, with the head anchored beside it (`<store>.audit-head`) unless `anchored` is false. */
function verify(path: string, signer: AuditSigner | undefined, anchored = true) {
  const store = openAuditStore(path);
  try {
    return verifyAudit(store, signer, anchored ? readAnchor(anchorFile(path)) : undefined);
  } finally {
    store.close();
  }
}

type Tamper =
  | { kind: 'edited'; row: number; field: 'target' | 'outcome' | 'duration_ms' | 'hash' | 'prev' }
  | { kind: 'deleted'; row: number }
  | { kind: 'swapped'; row: number; other: number }
  | { kind: 'truncated'; from: number }
  | { kind: 'truncated-covered'; from: number }
  | { kind: 'forged-checkpoint'; pick: number; field: 'hash' | 'seq' | 'count' | 'time' };

const columns = 'time, principal, session, view, method, target, upstream, server, args_digest, args_size, arguments, outcome, error, duration_ms, result_size, run_id, step_id, prev, hash'.split(', ');

/** Applies a tamper to the store with plain SQL (what someone with the file or database could do); returns the seq it should be named at. */
function tamper(backend: StoreBackend, path: string, change: Tamper, rows: number): { kind: AuditProblemKind; seq?: number } {
  const db = { exec: (sql: string) => backend.exec(path, sql) };
  {
    switch (change.kind) {
      case 'edited': {
        const set = { target: "target = target || 'x'", outcome: "outcome = CASE outcome WHEN 'ok' THEN 'denied' ELSE 'ok' END", duration_ms: 'duration_ms = duration_ms + 1', hash: "hash = CASE WHEN substr(hash, 1, 1) = 'f' THEN 'e' ELSE 'f' END || substr(hash, 2)", prev: "prev = CASE WHEN substr(prev, 1, 1) = 'f' THEN 'e' ELSE 'f' END || substr(prev, 2)" }[change.field];
        db.exec(`UPDATE audit_log SET ${set} WHERE seq = ${change.row}`);
        return { kind: 'edited', seq: change.row };
      }
      case 'deleted':
        db.exec(`DELETE FROM audit_log WHERE seq = ${change.row}`);
        return { kind: 'deleted', seq: change.row };
      case 'swapped': {
        const [a, b] = [change.row, change.other];
        const list = columns.join(', ');
        db.exec(
          `BEGIN; CREATE TEMP TABLE t AS SELECT seq, ${list} FROM audit_log WHERE seq IN (${a}, ${b});
           UPDATE audit_log SET (${list}) = (SELECT ${list} FROM t WHERE t.seq = ${b}) WHERE seq = ${a};
           UPDATE audit_log SET (${list}) = (SELECT ${list} FROM t WHERE t.seq = ${a}) WHERE seq = ${b}; COMMIT;`
        );
        return { kind: 'swapped', seq: Math.min(a, b) };
      }
      case 'truncated':
        db.exec(`DELETE FROM audit_log WHERE seq >= ${change.from}`);
        return { kind: 'truncated', seq: change.from };
      case 'truncated-covered':
        // The tail and every checkpoint that covers it: the store alone is a shorter, consistent log.
        db.exec(`DELETE FROM audit_log WHERE seq >= ${change.from}; DELETE FROM audit_checkpoints WHERE seq >= ${change.from}`);
        return { kind: 'truncated', seq: change.from };
      case 'forged-checkpoint': {
        const seqs = backend.all(path, 'SELECT seq FROM audit_checkpoints ORDER BY seq').map(row => Number(row.seq));
        const seq = seqs[change.pick % seqs.length] as number;
        const set = { hash: "hash = CASE WHEN substr(hash, 1, 1) = 'f' THEN 'e' ELSE 'f' END || substr(hash, 2)", seq: `seq = ${rows + 100}, count = ${rows + 100}`, count: 'count = count + 1', time: 'time = time + 1' }[change.field];
        db.exec(`UPDATE audit_checkpoints SET ${set} WHERE seq = ${seq}`);
        return { kind: 'forged-checkpoint' };
      }
    }
  }
}

const tamperOf = (rows: number): fc.Arbitrary<Tamper> =>
  fc.oneof(
    fc.record({ kind: fc.constant('edited' as const), row: fc.integer({ min: 1, max: rows }), field: fc.constantFrom('target', 'outcome', 'duration_ms', 'hash', 'prev') as fc.Arbitrary<'target'> }),
    fc.record({ kind: fc.constant('deleted' as const), row: fc.integer({ min: 1, max: rows - 1 }) }),
    fc
      .tuple(fc.integer({ min: 1, max: rows }), fc.integer({ min: 1, max: rows }))
      .filter(([a, b]) => a !== b)
      .map(([a, b]) => ({ kind: 'swapped' as const, row: a, other: b })),
    fc.record({ kind: fc.constant('truncated' as const), from: fc.integer({ min: 2, max: rows }) }),
    fc.record({ kind: fc.constant('truncated-covered' as const), from: fc.integer({ min: 2, max: rows }) }),
    fc.record({ kind: fc.constant('forged-checkpoint' as const), pick: fc.nat(), field: fc.constantFrom('hash', 'seq', 'count', 'time') as fc.Arbitrary<'hash'> })
  );

for (const backend of storeBackends()) describe(`audit verify (${backend.name})`, () => {
  // A fresh PostgreSQL database per case costs more than a file: fewer cases there, the same generator.
  const cases = backend.name === 'sqlite' ? 150 : 8;

  it('passes an intact chain, and names each tamper (edit, delete, swap, truncate, forged checkpoint) on a real store', async () => {
    const signer = loadSigningKey(pem, undefined);
    let runs = 0;
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 3, max: 25 }).chain(rows => fc.tuple(fc.constant(rows), fc.integer({ min: 1, max: 6 }), tamperOf(rows))),
        async ([rows, every, change]) => {
          const path = await backend.address();
          {
            await writeLog(path, rows, every, signer);
            const intact = verify(path, signer);
            assert.equal(intact.ok, true, intact.problem?.message);
            assert.equal(intact.rows, rows);
            const expected = tamper(backend, path, change, rows);
            const result = verify(path, signer);
            assert.equal(result.ok, false, `not detected: ${JSON.stringify(change)}`);
            assert.equal(result.problem?.kind, expected.kind, `${JSON.stringify(change)}: ${result.problem?.message}`);
            if (expected.seq !== undefined) assert.equal(result.problem?.seq, expected.seq, `${JSON.stringify(change)}: ${result.problem?.message}`);
            if (change.kind === 'truncated-covered') {
              // Only the anchor outside the store tells: without it the shorter log verifies.
              assert.match(result.problem?.message ?? '', new RegExp(`truncated after row ${change.from - 1} \\(anchor says ${rows}`));
              assert.equal(verify(path, signer, false).ok, true);
            }
            runs++;
          }
        }
      ),
      { numRuns: cases }
    );
    assert.equal(runs, cases);
  });

  it('without a key, a checkpoint whose hash is not its row\'s is reported forged; a checkpoint past the end is truncation', async () => {
    const path = await backend.address();
    {
      await writeLog(path, 10, 5, undefined);
      assert.equal(verify(path, undefined).ok, true);
      backend.exec(path, "UPDATE audit_checkpoints SET hash = CASE WHEN substr(hash, 1, 1) = 'f' THEN 'e' ELSE 'f' END || substr(hash, 2) WHERE seq = 5");
      const result = verify(path, undefined);
      assert.equal(result.problem?.kind, 'forged-checkpoint');
      assert.equal(result.problem?.seq, 5);
    }
  });

  it('a checkpoint signed with another key is forged', async () => {
    const path = await backend.address();
    {
      const other = loadSigningKey(generateKeyPairSync('ed25519').privateKey.export({ format: 'pem', type: 'pkcs8' }).toString(), undefined);
      await writeLog(path, 4, 2, other);
      const result = verify(path, loadSigningKey(pem, undefined));
      assert.equal(result.problem?.kind, 'forged-checkpoint');
      assert.match(result.problem?.message ?? '', /signature does not verify/);
    }
  });

  it('tokens rows (a call\'s token counts, chained after it) are stored whole: the chain verifies, and listed calls carry their tokens', async () => {
    const path = await backend.address();
    const log = new AuditLog({ open: () => openAuditStore(path), signer: undefined, checkpointEvery: 3, keepDays: undefined, arguments: false, anchor: anchorFile(path), logger, tokens: true });
    for (let i = 0; i < 4; i++) {
      const call = await log.append({ time: 1000 + i, principal: 'key:ci', session: 's', view: null, method: 'tools/call', target: `srv__t${i}`, upstream: `t${i}`, server: 'srv', argsDigest: 'b'.repeat(64), argsSize: 3, arguments: null, outcome: 'ok', error: null, durationMs: 1, resultSize: 5, runId: null, stepId: null });
      log.appendTokens(call, { input: 10 + i, result: 200 + i, model: i });
    }
    log.close();
    const result = verify(path, undefined);
    assert.equal(result.ok, true, result.problem?.message);
    assert.equal(result.rows, 8);
    const store = openAuditStore(path);
    try {
      const tokensRows = [...store.rows()].filter(row => row.method === 'tokens');
      assert.deepEqual(tokensRows.map(row => [row.ref, row.inputTokens, row.resultTokens, row.modelTokens]), [[1, 10, 200, 0], [3, 11, 201, 1], [5, 12, 202, 2], [7, 13, 203, 3]]);
      const listed = store.query({});
      assert.deepEqual(listed.map(row => row.target), ['srv__t0', 'srv__t1', 'srv__t2', 'srv__t3'], 'tokens rows are not listed as calls');
      assert.deepEqual(listed.map(row => row.tokens), [0, 1, 2, 3].map(i => ({ input: 10 + i, result: 200 + i, model: i, seq: 2 * i + 2 })));
      assert.deepEqual(store.query({ tool: 'srv__t3' }).map(row => row.tokens?.input), [13]);
    } finally {
      store.close();
    }
  });

  it('two writers on one store (two gateways, or a gateway and manifold call) append to one chain', async () => {
    const path = await backend.address();
    {
      const logs = [0, 1].map(() => new AuditLog({ open: () => openAuditStore(path), signer: undefined, checkpointEvery: 4, keepDays: undefined, arguments: false, logger }));
      for (let i = 0; i < 20; i++) {
        // Each writer appends after the other's rows: the head is read inside its transaction.
        const writer = logs[i % 3 === 0 ? 0 : 1] as AuditLog;
        await writer.append({ time: i, principal: 'local:local', session: `w${i % 3 === 0 ? 0 : 1}`, view: null, method: 'tools/call', target: `t${i}`, upstream: null, server: null, argsDigest: 'a'.repeat(64), argsSize: 2, arguments: null, outcome: 'ok', error: null, durationMs: 0, resultSize: 0, runId: null, stepId: null });
      }
      for (const log of logs) log.close();
      const store = openAuditStore(path);
      const rows = [...store.rows()];
      store.close();
      assert.deepEqual(rows.map(row => row.target), Array.from({ length: 20 }, (_, i) => `t${i}`));
      assert.deepEqual(rows.map(row => row.seq), Array.from({ length: 20 }, (_, i) => i + 1));
      const result = verify(path, undefined);
      assert.equal(result.ok, true, result.problem?.message);
    }
  });

  it('retention prunes old rows behind a signed cut checkpoint, and the rest still verifies (a deletion after the cut does not)', async () => {
    const path = await backend.address();
    const signer = loadSigningKey(pem, undefined);
    const day = 24 * 3_600_000;
    {
      const now = 1_700_000_000_000 + 40 * day;
      // 10 rows 40 days old, then 5 fresh ones.
      await writeLog(path, 10, 3, signer, 1_700_000_000_000);
      const log = new AuditLog({ open: () => openAuditStore(path), signer, checkpointEvery: 3, keepDays: 30, arguments: false, logger, now: () => now });
      for (let i = 0; i < 5; i++) {
        await log.append({ time: now - 1000 + i, principal: 'key:ci', session: 's2', view: 'ops', method: 'tools/call', target: 't', upstream: 't', server: 's', argsDigest: 'e'.repeat(64), argsSize: 2, arguments: '{}', outcome: 'ok', error: null, durationMs: 1, resultSize: 1, runId: 'run_1', stepId: 'a' });
      }
      log.close();
      const store = openAuditStore(path);
      const rows = [...store.rows()];
      const cut = store.checkpoints().find(checkpoint => checkpoint.kind === 'cut');
      store.close();
      assert.deepEqual(rows.map(row => row.seq), [11, 12, 13, 14, 15]);
      assert.equal(cut?.seq, 10);
      assert.ok(cut?.signature);
      const result = verify(path, signer);
      assert.equal(result.ok, true, result.problem?.message);
      assert.equal(result.from, 10);
      assert.equal(result.rows, 5);
      backend.exec(path, 'DELETE FROM audit_log WHERE seq = 11');
      assert.equal(verify(path, signer).problem?.kind, 'deleted');
    }
  });
});
