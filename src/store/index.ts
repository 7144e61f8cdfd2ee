export type { Checkpoint, RunKind, RunOwner, RunRecord, RunStatus, RunStore, RunSummary, StepRecord, StepStatus } from './run-store.js';
export { openDatabase, type SqliteDatabase } from './sqlite/open-database.js';
export { SqliteRunStore } from './sqlite/sqlite-run-store.js';
export { journalPoint, type JournalUnit, RunJournal, StepInFlight } from './run-journal.js';
export { MemoryCredentialStore, type UpstreamCredentials, type UpstreamCredentialStore } from './credential-store.js';
export { credentialKeyPath, SqliteCredentialStore } from './sqlite/sqlite-credential-store.js';
