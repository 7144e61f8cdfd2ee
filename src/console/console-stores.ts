import { type AuditStore, type KeyStore, openAuditStore, openKeyStore, openRunStore, storeExists, type UsageStore } from '../store/index.js';

type Opened<T> = T & { close(): void };

/**
 * The store handles the console reads through (the same stores the CLI opens: usage, audit, keys), opened on
 * first use once the store exists (a SQLite file once written; a PostgreSQL database always), closed with the
 * console. Runs come from the gateway's own run store.
 */
export class ConsoleStores {
  private usageStore: Opened<UsageStore> | undefined;
  private auditStore: Opened<AuditStore> | undefined;
  private keyStore: Opened<KeyStore> | undefined;

  constructor(readonly path: string) {}

  private get present(): boolean {
    return storeExists(this.path);
  }

  usage(): UsageStore | undefined {
    if (!this.usageStore && this.present) this.usageStore = openRunStore(this.path);
    return this.usageStore;
  }

  audit(): AuditStore | undefined {
    if (!this.auditStore && this.present) this.auditStore = openAuditStore(this.path);
    return this.auditStore;
  }

  /** The key store; `create`: make the file if it is not there yet (a key made in the console). */
  keys(create = false): KeyStore | undefined {
    if (!this.keyStore && this.path !== ':memory:' && (create || this.present)) this.keyStore = openKeyStore(this.path);
    return this.keyStore;
  }

  close(): void {
    this.usageStore?.close();
    this.auditStore?.close();
    this.keyStore?.close();
    this.usageStore = this.auditStore = this.keyStore = undefined;
  }
}
