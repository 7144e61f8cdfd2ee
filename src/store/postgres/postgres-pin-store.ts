import type { ObservedTool, PinDecision, PinStore, ToolPin } from '../pin-store.js';
import { acquirePostgres, releasePostgres, type SyncPostgres } from './sync-postgres.js';

interface PinRow {
  server: string;
  tool: string;
  approved_hash: string | null;
  approved_definition: string | null;
  current_hash: string;
  current_definition: string;
  blocked: boolean;
  first_seen: number;
  changed_at: number | null;
  decided_at: number | null;
  decided_by: string | null;
}

const toPin = (row: PinRow): ToolPin => ({
  server: row.server,
  tool: row.tool,
  approvedHash: row.approved_hash,
  approvedDefinition: row.approved_definition,
  currentHash: row.current_hash,
  currentDefinition: row.current_definition,
  blocked: row.blocked,
  firstSeen: row.first_seen,
  changedAt: row.changed_at,
  decidedAt: row.decided_at,
  decidedBy: row.decided_by
});

/** Bumps the revision in the same statement when the change before it (CTE `changed`) touched a row. */
const bumpIfChanged = 'bumped AS (UPDATE tool_pin_revision SET revision = revision + 1 WHERE id = 1 AND EXISTS (SELECT 1 FROM changed))';

/**
 * One statement for a set of observed tools (no two of the same server and tool): a new one is inserted (its own
 * baseline or unapproved), a known one whose definition differs gets it as current; never an approval or a block.
 */
const observeSql = `WITH seen AS (
    SELECT * FROM jsonb_to_recordset($1::jsonb) AS s(server TEXT, tool TEXT, hash TEXT, definition TEXT, approve BOOLEAN)
  ), changed AS (
    INSERT INTO tool_pins AS p (server, tool, approved_hash, approved_definition, current_hash, current_definition, blocked, first_seen)
    SELECT server, tool, CASE WHEN approve THEN hash END, CASE WHEN approve THEN definition END, hash, definition, false, $2::double precision FROM seen
    ON CONFLICT (server, tool) DO UPDATE SET current_hash = excluded.current_hash, current_definition = excluded.current_definition, changed_at = $2::double precision
    WHERE p.current_hash <> excluded.current_hash
    RETURNING 1
  ), ${bumpIfChanged}
  SELECT count(*) AS changes FROM changed`;

const approveSql = `WITH changed AS (
    UPDATE tool_pins SET approved_hash = current_hash, approved_definition = current_definition, blocked = false, decided_at = $1, decided_by = $2
    WHERE server = $3 AND tool = $4 AND ($5::text IS NULL OR current_hash = $5::text) RETURNING *
  ), ${bumpIfChanged}
  SELECT * FROM changed`;

const blockSql = `WITH changed AS (
    UPDATE tool_pins SET blocked = true, decided_at = $1, decided_by = $2 WHERE server = $3 AND tool = $4 RETURNING *
  ), ${bumpIfChanged}
  SELECT * FROM changed`;

const revisionSql = 'SELECT revision FROM tool_pin_revision WHERE id = 1';

/**
 * Pins in PostgreSQL (tables `tool_pins`, `tool_pin_revision`): one set for every instance. Every write bumps the
 * revision in its own statement, so each instance polling `revision()` sees a decision `manifold tools approve`
 * made anywhere, and a definition another instance saw change.
 */
export class PostgresPinStore implements PinStore {
  readonly path: string;
  private readonly db: SyncPostgres;

  constructor(url: string) {
    this.db = acquirePostgres(url);
    this.path = this.db.label;
  }

  listPins(server?: string): ToolPin[] {
    const { rows } =
      server === undefined
        ? this.db.query<PinRow>('SELECT * FROM tool_pins ORDER BY server, tool', [], 'listing tool pins')
        : this.db.query<PinRow>('SELECT * FROM tool_pins WHERE server = $1 ORDER BY tool', [server], `listing the tool pins of server "${server}"`);
    return rows.map(toPin);
  }

  observePins(tools: readonly ObservedTool[], at: number): number {
    if (tools.length === 0) return this.revision();
    // One statement cannot touch a row twice: the n-th sighting of each tool goes in the n-th statement, so a
    // tool listed twice is handled as SQLite does (in order), all in one transaction.
    const layers: ObservedTool[][] = [];
    const times = new Map<string, number>();
    for (const tool of tools) {
      const key = JSON.stringify([tool.server, tool.tool]);
      const n = times.get(key) ?? 0;
      times.set(key, n + 1);
      (layers[n] ??= []).push(tool);
    }
    const { results } = this.db.transaction(
      [
        ...layers.map(layer => ({
          sql: observeSql,
          params: [JSON.stringify(layer.map(tool => ({ server: tool.server, tool: tool.tool, hash: tool.hash, definition: tool.definition, approve: tool.approve }))), at]
        })),
        { sql: revisionSql }
      ],
      `recording the definitions of ${tools.length} tool(s)`
    );
    return Number((results[results.length - 1]?.rows[0] as { revision?: number } | undefined)?.revision ?? 0);
  }

  decidePins(decisions: readonly PinDecision[]): ToolPin[] {
    if (decisions.length === 0) return [];
    const { results } = this.db.transaction(
      decisions.map(decision =>
        decision.decision === 'approve'
          ? { sql: approveSql, params: [decision.at, decision.by, decision.server, decision.tool, decision.hash ?? null] }
          : { sql: blockSql, params: [decision.at, decision.by, decision.server, decision.tool] }
      ),
      `deciding ${decisions.length} tool pin(s)`
    );
    return results.flatMap(result => (result.rows as unknown as PinRow[]).map(toPin));
  }

  revision(): number {
    return Number(this.db.query<{ revision: number }>(revisionSql, [], 'reading the tool pins revision').rows[0]?.revision ?? 0);
  }

  close(): void {
    releasePostgres(this.db);
  }
}
