export type { Checkpoint, RunKind, RunOwner, RunRecord, RunStatus, RunStore, RunSummary, StepRecord, StepStatus } from './run-store.js';
export type { KeyStore, StoredKey } from './key-store.js';
export { openDatabase, type SqliteDatabase } from './sqlite/open-database.js';
export { SqliteKeyStore } from './sqlite/sqlite-key-store.js';
export { SqliteRunStore } from './sqlite/sqlite-run-store.js';
export { journalPoint, type JournalUnit, RunJournal, StepInFlight } from './run-journal.js';
export { linkParentOf, type RunLink, runLinkOf, withRunLink } from './run-link.js';
export { MemoryCredentialStore, type UpstreamCredentials, type UpstreamCredentialStore } from './credential-store.js';
export { credentialKeyPath, SqliteCredentialStore } from './sqlite/sqlite-credential-store.js';
