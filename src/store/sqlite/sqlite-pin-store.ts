import type { ObservedTool, PinDecision, PinStore, ToolPin } from '../pin-store.js';
import type { SqliteDatabase, SqliteStatement } from './open-database.js';
import { openStoreDatabase } from './sqlite-run-store.js';

interface PinRow {
  server: string;
  tool: string;
  approved_hash: string | null;
  approved_definition: string | null;
  current_hash: string;
  current_definition: string;
  blocked: number;
  first_seen: number;
  changed_at: number | null;
  decided_at: number | null;
  decided_by: string | null;
}

function toPin(row: PinRow): ToolPin {
  return {
    server: row.server,
    tool: row.tool,
    approvedHash: row.approved_hash,
    approvedDefinition: row.approved_definition,
    currentHash: row.current_hash,
    currentDefinition: row.current_definition,
    blocked: row.blocked !== 0,
    firstSeen: row.first_seen,
    changedAt: row.changed_at,
    decidedAt: row.decided_at,
    decidedBy: row.decided_by
  };
}

type StatementName = 'all' | 'ofServer' | 'one' | 'insert' | 'update' | 'approve' | 'block' | 'bump' | 'revision';

/**
 * Pins in the store's SQLite file (tables `tool_pins` and `tool_pin_revision`), beside the runs. Every write bumps
 * the revision in its transaction, so a gateway polling `revision()` (one indexed read) sees a decision made by
 * `manifold tools approve` in another process.
 */
export class SqlitePinStore implements PinStore {
  readonly path: string;
  private readonly db: SqliteDatabase;
  private readonly statements: Record<StatementName, SqliteStatement>;

  constructor(path: string) {
    this.path = path;
    this.db = openStoreDatabase(path);
    this.statements = {
      all: this.db.prepare('SELECT * FROM tool_pins ORDER BY server, tool'),
      ofServer: this.db.prepare('SELECT * FROM tool_pins WHERE server = ? ORDER BY tool'),
      one: this.db.prepare('SELECT * FROM tool_pins WHERE server = ? AND tool = ?'),
      insert: this.db.prepare(
        `INSERT INTO tool_pins (server, tool, approved_hash, approved_definition, current_hash, current_definition, blocked, first_seen)
         VALUES (?, ?, ?, ?, ?, ?, 0, ?) ON CONFLICT (server, tool) DO NOTHING`
      ),
      update: this.db.prepare('UPDATE tool_pins SET current_hash = ?, current_definition = ?, changed_at = ? WHERE server = ? AND tool = ? AND current_hash <> ?'),
      approve: this.db.prepare(
        `UPDATE tool_pins SET approved_hash = current_hash, approved_definition = current_definition, blocked = 0, decided_at = ?, decided_by = ?
         WHERE server = ? AND tool = ? AND (? IS NULL OR current_hash = ?)`
      ),
      block: this.db.prepare('UPDATE tool_pins SET blocked = 1, decided_at = ?, decided_by = ? WHERE server = ? AND tool = ?'),
      bump: this.db.prepare('UPDATE tool_pin_revision SET revision = revision + 1 WHERE id = 1'),
      revision: this.db.prepare('SELECT revision FROM tool_pin_revision WHERE id = 1')
    };
  }

  listPins(server?: string): ToolPin[] {
    const rows = (server === undefined ? this.statements.all.all() : this.statements.ofServer.all(server)) as PinRow[];
    return rows.map(toPin);
  }

  observePins(tools: readonly ObservedTool[], at: number): number {
    if (tools.length === 0) return this.revision();
    return this.transaction(() => {
      let changes = 0;
      for (const tool of tools) {
        const inserted = this.statements.insert.run(
          tool.server,
          tool.tool,
          tool.approve ? tool.hash : null,
          tool.approve ? tool.definition : null,
          tool.hash,
          tool.definition,
          at
        );
        changes += Number(inserted.changes);
        if (Number(inserted.changes) === 0) changes += Number(this.statements.update.run(tool.hash, tool.definition, at, tool.server, tool.tool, tool.hash).changes);
      }
      if (changes > 0) this.statements.bump.run();
      return this.revision();
    });
  }

  decidePins(decisions: readonly PinDecision[]): ToolPin[] {
    return this.transaction(() => {
      const changed: ToolPin[] = [];
      for (const decision of decisions) {
        const result =
          decision.decision === 'approve'
            ? this.statements.approve.run(decision.at, decision.by, decision.server, decision.tool, decision.hash ?? null, decision.hash ?? null)
            : this.statements.block.run(decision.at, decision.by, decision.server, decision.tool);
        if (Number(result.changes) === 0) continue;
        const row = this.statements.one.get(decision.server, decision.tool) as PinRow | undefined;
        if (row) changed.push(toPin(row));
      }
      if (changed.length > 0) this.statements.bump.run();
      return changed;
    });
  }

  revision(): number {
    return Number((this.statements.revision.get() as { revision: number } | undefined)?.revision ?? 0);
  }

  close(): void {
    this.db.close();
  }

  private transaction<T>(work: () => T): T {
    this.db.exec('BEGIN IMMEDIATE');
    try {
      const result = work();
      this.db.exec('COMMIT');
      return result;
    } catch (error) {
      this.db.exec('ROLLBACK');
      throw error;
    }
  }
}
