import { existsSync } from 'node:fs';

import { type AuditStore, type KeyStore, SqliteAuditStore, SqliteKeyStore, SqliteRunStore, type UsageStore } from '../store/index.js';

/**
 * The store handles the console reads through (the same stores the CLI opens: usage, audit, keys), opened on
 * first use once the store file exists, closed with the console. Runs come from the gateway's own run store.
 */
export class ConsoleStores {
  private usageStore: SqliteRunStore | undefined;
  private auditStore: SqliteAuditStore | undefined;
  private keyStore: SqliteKeyStore | undefined;

  constructor(readonly path: string) {}

  private get present(): boolean {
    return this.path !== ':memory:' && existsSync(this.path);
  }

  usage(): UsageStore | undefined {
    if (!this.usageStore && this.present) this.usageStore = new SqliteRunStore(this.path);
    return this.usageStore;
  }

  audit(): AuditStore | undefined {
    if (!this.auditStore && this.present) this.auditStore = new SqliteAuditStore(this.path);
    return this.auditStore;
  }

  /** The key store; `create`: make the file if it is not there yet (a key made in the console). */
  keys(create = false): KeyStore | undefined {
    if (!this.keyStore && this.path !== ':memory:' && (create || existsSync(this.path))) this.keyStore = new SqliteKeyStore(this.path);
    return this.keyStore;
  }

  close(): void {
    this.usageStore?.close();
    this.auditStore?.close();
    this.keyStore?.close();
    this.usageStore = this.auditStore = this.keyStore = undefined;
  }
}
