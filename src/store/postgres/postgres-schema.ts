/**
 * The PostgreSQL store's schema: migrations in order, each applied once per database (table `manifold_schema`
 * records how many), under an advisory lock so instances starting together take turns (sync-postgres.ts).
 * Append only: a new store's tables are a new entry at the end (an applied entry is never edited). The tables
 * mirror the SQLite store's (sqlite-run-store.ts), times as DOUBLE PRECISION epoch ms.
 */
export const postgresMigrations: readonly string[] = [
  `CREATE TABLE IF NOT EXISTS workflow_runs (
     id TEXT PRIMARY KEY,
     workflow TEXT NOT NULL,
     kind TEXT,
     status TEXT NOT NULL,
     started_at DOUBLE PRECISION NOT NULL,
     ended_at DOUBLE PRECISION,
     input TEXT NOT NULL,
     output_size BIGINT,
     error TEXT,
     arguments TEXT,
     definition TEXT,
     owner_pid BIGINT,
     owner_host TEXT,
     owner_token TEXT,
     result TEXT,
     resumes INTEGER NOT NULL DEFAULT 0
   );
   CREATE INDEX IF NOT EXISTS workflow_runs_started ON workflow_runs (started_at);
   CREATE INDEX IF NOT EXISTS workflow_runs_status ON workflow_runs (status);
   CREATE TABLE IF NOT EXISTS workflow_steps (
     seq BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
     run_id TEXT NOT NULL REFERENCES workflow_runs (id),
     path TEXT NOT NULL,
     kind TEXT NOT NULL,
     tool TEXT,
     attempt INTEGER NOT NULL,
     status TEXT NOT NULL,
     started_at DOUBLE PRECISION NOT NULL,
     ended_at DOUBLE PRECISION,
     input TEXT,
     output_size BIGINT,
     error TEXT,
     detail TEXT
   );
   CREATE INDEX IF NOT EXISTS workflow_steps_run ON workflow_steps (run_id, seq);
   CREATE TABLE IF NOT EXISTS run_checkpoints (
     run_id TEXT NOT NULL REFERENCES workflow_runs (id),
     key TEXT NOT NULL,
     kind TEXT NOT NULL,
     status TEXT NOT NULL,
     idempotent BOOLEAN NOT NULL,
     label TEXT,
     output TEXT,
     started_at DOUBLE PRECISION NOT NULL,
     ended_at DOUBLE PRECISION,
     PRIMARY KEY (run_id, key)
   );
   CREATE TABLE IF NOT EXISTS run_principals (
     run_id TEXT PRIMARY KEY REFERENCES workflow_runs (id),
     principal TEXT NOT NULL
   );
   CREATE TABLE IF NOT EXISTS api_keys (
     name TEXT PRIMARY KEY,
     hash TEXT NOT NULL UNIQUE,
     views TEXT,
     scopes TEXT,
     created_at DOUBLE PRECISION NOT NULL,
     expires_at DOUBLE PRECISION,
     revoked_at DOUBLE PRECISION
   );
   CREATE TABLE IF NOT EXISTS upstream_credentials (
     server TEXT PRIMARY KEY,
     sealed TEXT NOT NULL,
     updated_at DOUBLE PRECISION NOT NULL
   );
   CREATE TABLE IF NOT EXISTS usage_hourly (
     hour BIGINT NOT NULL,
     principal TEXT NOT NULL,
     view TEXT NOT NULL,
     server TEXT NOT NULL,
     tool TEXT NOT NULL,
     workflow TEXT NOT NULL,
     calls BIGINT NOT NULL DEFAULT 0,
     input_tokens BIGINT NOT NULL DEFAULT 0,
     result_tokens BIGINT NOT NULL DEFAULT 0,
     model_tokens BIGINT NOT NULL DEFAULT 0,
     PRIMARY KEY (hour, principal, view, server, tool, workflow)
   );
   CREATE TABLE IF NOT EXISTS audit_log (
     seq BIGINT PRIMARY KEY,
     time DOUBLE PRECISION NOT NULL,
     principal TEXT NOT NULL,
     session TEXT NOT NULL,
     view TEXT,
     method TEXT NOT NULL,
     target TEXT,
     upstream TEXT,
     server TEXT,
     args_digest TEXT NOT NULL,
     args_size BIGINT NOT NULL,
     arguments TEXT,
     outcome TEXT NOT NULL,
     error TEXT,
     duration_ms DOUBLE PRECISION NOT NULL,
     result_size BIGINT NOT NULL,
     run_id TEXT,
     step_id TEXT,
     prev TEXT NOT NULL,
     hash TEXT NOT NULL
   );
   CREATE INDEX IF NOT EXISTS audit_log_time ON audit_log (time);
   CREATE TABLE IF NOT EXISTS audit_checkpoints (
     seq BIGINT PRIMARY KEY,
     count BIGINT NOT NULL,
     hash TEXT NOT NULL,
     time DOUBLE PRECISION NOT NULL,
     kind TEXT NOT NULL,
     signature TEXT
   );`,
  // The audit append in one round trip (postgres-audit-store.ts): under the append lock, if the chain head is still
  // the one the rows were hashed on, insert them; either way answer with the head it found.
  `CREATE OR REPLACE FUNCTION manifold_audit_append(lock_key BIGINT, expected_seq BIGINT, expected_hash TEXT, new_rows JSONB)
   RETURNS TABLE (appended BOOLEAN, head_seq BIGINT, head_hash TEXT) LANGUAGE plpgsql AS $$
   DECLARE
     found_seq BIGINT;
     found_hash TEXT;
   BEGIN
     PERFORM pg_advisory_xact_lock(lock_key);
     SELECT h.seq, h.hash INTO found_seq, found_hash FROM (
       (SELECT l.seq, l.hash, 1 AS rank FROM audit_log l ORDER BY l.seq DESC LIMIT 1)
       UNION ALL (SELECT c.seq, c.hash, 2 AS rank FROM audit_checkpoints c WHERE c.kind = 'cut' ORDER BY c.seq DESC LIMIT 1)
       UNION ALL (SELECT 0, repeat('0', 64), 3)
     ) AS h ORDER BY h.rank LIMIT 1;
     IF found_seq <> expected_seq OR found_hash <> expected_hash THEN
       RETURN QUERY SELECT false, found_seq, found_hash;
       RETURN;
     END IF;
     INSERT INTO audit_log (seq, time, principal, session, view, method, target, upstream, server, args_digest, args_size, arguments, outcome, error, duration_ms, result_size, run_id, step_id, prev, hash)
       SELECT r.seq, r.time, r.principal, r.session, r.view, r.method, r.target, r.upstream, r.server, r.args_digest, r.args_size, r.arguments, r.outcome, r.error, r.duration_ms, r.result_size, r.run_id, r.step_id, r.prev, r.hash
       FROM jsonb_to_recordset(new_rows) AS r(seq BIGINT, time DOUBLE PRECISION, principal TEXT, session TEXT, view TEXT, method TEXT, target TEXT, upstream TEXT, server TEXT,
         args_digest TEXT, args_size BIGINT, arguments TEXT, outcome TEXT, error TEXT, duration_ms DOUBLE PRECISION, result_size BIGINT, run_id TEXT, step_id TEXT, prev TEXT, hash TEXT)
       ORDER BY r.seq;
     RETURN QUERY SELECT true, found_seq, found_hash;
   END $$;`,
  // Run leases (docs/FLEET.md "Runs across instances"): until when the owner holds the run; NULL: no lease.
  `ALTER TABLE workflow_runs ADD COLUMN IF NOT EXISTS lease_until DOUBLE PRECISION;
   CREATE INDEX IF NOT EXISTS workflow_runs_lease ON workflow_runs (lease_until) WHERE status = 'running';`,
  // Audit rows of kind `tokens` (as SQLite's migration of them): a call's token counts, naming the call's row in
  // `ref`; the append function stores them too (the chain hashes them: a row read back without them would not verify).
  `ALTER TABLE audit_log ADD COLUMN IF NOT EXISTS ref BIGINT;
   ALTER TABLE audit_log ADD COLUMN IF NOT EXISTS input_tokens BIGINT;
   ALTER TABLE audit_log ADD COLUMN IF NOT EXISTS result_tokens BIGINT;
   ALTER TABLE audit_log ADD COLUMN IF NOT EXISTS model_tokens BIGINT;
   CREATE OR REPLACE FUNCTION manifold_audit_append(lock_key BIGINT, expected_seq BIGINT, expected_hash TEXT, new_rows JSONB)
   RETURNS TABLE (appended BOOLEAN, head_seq BIGINT, head_hash TEXT) LANGUAGE plpgsql AS $$
   DECLARE
     found_seq BIGINT;
     found_hash TEXT;
   BEGIN
     PERFORM pg_advisory_xact_lock(lock_key);
     SELECT h.seq, h.hash INTO found_seq, found_hash FROM (
       (SELECT l.seq, l.hash, 1 AS rank FROM audit_log l ORDER BY l.seq DESC LIMIT 1)
       UNION ALL (SELECT c.seq, c.hash, 2 AS rank FROM audit_checkpoints c WHERE c.kind = 'cut' ORDER BY c.seq DESC LIMIT 1)
       UNION ALL (SELECT 0, repeat('0', 64), 3)
     ) AS h ORDER BY h.rank LIMIT 1;
     IF found_seq <> expected_seq OR found_hash <> expected_hash THEN
       RETURN QUERY SELECT false, found_seq, found_hash;
       RETURN;
     END IF;
     INSERT INTO audit_log (seq, time, principal, session, view, method, target, upstream, server, args_digest, args_size, arguments, outcome, error, duration_ms, result_size, run_id, step_id, ref, input_tokens, result_tokens, model_tokens, prev, hash)
       SELECT r.seq, r.time, r.principal, r.session, r.view, r.method, r.target, r.upstream, r.server, r.args_digest, r.args_size, r.arguments, r.outcome, r.error, r.duration_ms, r.result_size, r.run_id, r.step_id, r.ref, r.input_tokens, r.result_tokens, r.model_tokens, r.prev, r.hash
       FROM jsonb_to_recordset(new_rows) AS r(seq BIGINT, time DOUBLE PRECISION, principal TEXT, session TEXT, view TEXT, method TEXT, target TEXT, upstream TEXT, server TEXT,
         args_digest TEXT, args_size BIGINT, arguments TEXT, outcome TEXT, error TEXT, duration_ms DOUBLE PRECISION, result_size BIGINT, run_id TEXT, step_id TEXT,
         ref BIGINT, input_tokens BIGINT, result_tokens BIGINT, model_tokens BIGINT, prev TEXT, hash TEXT)
       ORDER BY r.seq;
     RETURN QUERY SELECT true, found_seq, found_hash;
   END $$;`,
  // Approvals asked of people (postgres-approval-store.ts), as SQLite's table.
  `CREATE TABLE IF NOT EXISTS approvals (
     id TEXT PRIMARY KEY,
     principal TEXT NOT NULL,
     tool TEXT NOT NULL,
     server TEXT NOT NULL,
     args_digest TEXT NOT NULL,
     arguments TEXT NOT NULL,
     reason TEXT NOT NULL,
     status TEXT NOT NULL,
     created_at DOUBLE PRECISION NOT NULL,
     expires_at DOUBLE PRECISION NOT NULL,
     decided_at DOUBLE PRECISION,
     decided_by TEXT
   );
   CREATE INDEX IF NOT EXISTS approvals_call ON approvals (principal, tool, args_digest);`,
  // Pinned tool definitions (postgres-pin-store.ts), as SQLite's tables: the revision grows with every change.
  `CREATE TABLE IF NOT EXISTS tool_pins (
     server TEXT NOT NULL,
     tool TEXT NOT NULL,
     approved_hash TEXT,
     approved_definition TEXT,
     current_hash TEXT NOT NULL,
     current_definition TEXT NOT NULL,
     blocked BOOLEAN NOT NULL DEFAULT false,
     first_seen DOUBLE PRECISION NOT NULL,
     changed_at DOUBLE PRECISION,
     decided_at DOUBLE PRECISION,
     decided_by TEXT,
     PRIMARY KEY (server, tool)
   );
   CREATE TABLE IF NOT EXISTS tool_pin_revision (id INTEGER PRIMARY KEY CHECK (id = 1), revision BIGINT NOT NULL);
   INSERT INTO tool_pin_revision (id, revision) VALUES (1, 0) ON CONFLICT (id) DO NOTHING;`
];

/** The schema's name in `manifold_schema`. */
export const postgresSchemaName = 'manifold';
