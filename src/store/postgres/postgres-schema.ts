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
   );`
];

/** The schema's name in `manifold_schema`. */
export const postgresSchemaName = 'manifold';
