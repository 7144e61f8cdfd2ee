import { existsSync } from 'node:fs';

import type { ApprovalStore } from './approval-store.js';
import type { AuditStore } from './audit-store.js';
import type { UpstreamCredentialStore } from './credential-store.js';
import type { KeyStore } from './key-store.js';
import type { PinStore } from './pin-store.js';
import { PostgresApprovalStore } from './postgres/postgres-approval-store.js';
import { PostgresAuditStore } from './postgres/postgres-audit-store.js';
import { PostgresCredentialStore } from './postgres/postgres-credential-store.js';
import { PostgresKeyStore } from './postgres/postgres-key-store.js';
import { PostgresPinStore } from './postgres/postgres-pin-store.js';
import { PostgresRunStore } from './postgres/postgres-run-store.js';
import { isPostgresUrl, redactPostgresUrl } from './postgres/sync-postgres.js';
import type { RunStore } from './run-store.js';
import { SqliteApprovalStore } from './sqlite/sqlite-approval-store.js';
import { SqliteAuditStore } from './sqlite/sqlite-audit-store.js';
import { credentialKeyPath, SqliteCredentialStore } from './sqlite/sqlite-credential-store.js';
import { SqliteKeyStore } from './sqlite/sqlite-key-store.js';
import { SqlitePinStore } from './sqlite/sqlite-pin-store.js';
import { SqliteRunStore } from './sqlite/sqlite-run-store.js';
import type { UsageStore } from './usage-store.js';

/**
 * Where the store is: a SQLite file path (`:memory:` keeps nothing) or a `postgres://` URL. The one place that
 * chooses the implementation: the rest of the code opens stores through these functions and uses the interfaces.
 */
export type StoreAddress = string;

/** Whether the address is PostgreSQL (fleet mode) rather than a SQLite file. */
export const isPostgresStore = (address: StoreAddress): boolean => isPostgresUrl(address);

/** The address for messages: a URL without its password, a path as it is. */
export function storeLabel(address: StoreAddress): string {
  return isPostgresUrl(address) ? redactPostgresUrl(address) : address;
}

/** Whether there may be anything to read: a database always; a file once it exists. */
export function storeExists(address: StoreAddress): boolean {
  if (isPostgresUrl(address)) return true;
  return address !== ':memory:' && existsSync(address);
}

export type OpenedRunStore = RunStore & UsageStore & { readonly path: string };

export function openRunStore(address: StoreAddress): OpenedRunStore {
  return isPostgresUrl(address) ? new PostgresRunStore(address) : new SqliteRunStore(address);
}

/** `durability` (`audit.durability`) applies to SQLite; PostgreSQL commits durably (its own `synchronous_commit`). */
export function openAuditStore(address: StoreAddress, options: { durability?: 'process' | 'power' } = {}): AuditStore {
  return isPostgresUrl(address) ? new PostgresAuditStore(address) : new SqliteAuditStore(address, options);
}

export function openKeyStore(address: StoreAddress): KeyStore & { readonly path: string } {
  return isPostgresUrl(address) ? new PostgresKeyStore(address) : new SqliteKeyStore(address);
}

/** Pinned tool definitions (`security.pinning`), shared by the gateway(s) and `manifold tools`. */
export function openPinStore(address: StoreAddress): PinStore & { readonly path: string } {
  return isPostgresUrl(address) ? new PostgresPinStore(address) : new SqlitePinStore(address);
}

/** Approvals asked of people, shared by the gateway(s) and `manifold approvals`. */
export function openApprovalStore(address: StoreAddress): ApprovalStore & { readonly path: string } {
  return isPostgresUrl(address) ? new PostgresApprovalStore(address) : new SqliteApprovalStore(address);
}

/**
 * Upstream sign-ins: in the store, sealed under `keyPath` (a file on this machine; for SQLite `<store>.key`,
 * its default too when `keyPath` is not given).
 */
export function openCredentialStore(address: StoreAddress, keyPath?: string): UpstreamCredentialStore {
  if (isPostgresUrl(address)) {
    if (keyPath === undefined) throw new Error('a PostgreSQL credential store needs the path of its key file');
    return new PostgresCredentialStore(address, keyPath);
  }
  return new SqliteCredentialStore(address);
}

export { credentialKeyPath };
