import type { AuditCheckpoint, AuditRow, AuditStore } from '../store/index.js';
import { genesisHash } from '../store/index.js';
import { canonicalJson } from './canonical-json.js';
import { checkpointText, recordOf, rowHash } from './chain.js';
import type { AuditSigner } from './signing-key.js';

export type AuditProblemKind = 'edited' | 'deleted' | 'swapped' | 'truncated' | 'forged-checkpoint' | 'unsigned-checkpoint';

export interface AuditVerification {
  ok: boolean;
  /** Rows checked, from `from` + 1 to `last`. */
  rows: number;
  from: number;
  last: number;
  checkpoints: number;
  /** Checkpoints whose signature was checked (a key is configured). */
  signed: number;
  problem?: { kind: AuditProblemKind; seq: number; message: string };
}

const fail = (result: Omit<AuditVerification, 'ok' | 'problem'>, kind: AuditProblemKind, seq: number, message: string): AuditVerification => ({
  ...result,
  ok: false,
  problem: { kind, seq, message }
});

const consistent = (row: AuditRow): boolean => rowHash(row.prev, recordOf(row)) === row.hash;

/**
 * Checks the audit chain: every checkpoint's signature (with a key), then each row from the last retention cut
 * (or the genesis) in order: its seq follows the one before, its `prev` is that row's hash, its hash is its
 * content's; then each checkpoint against the row at its seq (a checkpoint past the last row: the tail was
 * truncated). Names the first problem.
 */
export function verifyAudit(store: AuditStore, signer: AuditSigner | undefined, anchor?: AuditCheckpoint): AuditVerification {
  const checkpoints = store.checkpoints();
  const counts = { rows: 0, from: 0, last: 0, checkpoints: checkpoints.length, signed: 0 };
  if (signer) {
    for (const checkpoint of checkpoints) {
      if (checkpoint.signature === null) {
        return fail(counts, 'unsigned-checkpoint', checkpoint.seq, `checkpoint at row ${checkpoint.seq} (${checkpoint.kind}) has no signature, but a signing key is configured: it was forged, or written before the key was set`);
      }
      if (!signer.verify(checkpointText(checkpoint), checkpoint.signature)) {
        return fail(counts, 'forged-checkpoint', checkpoint.seq, `checkpoint at row ${checkpoint.seq} (${checkpoint.kind}) is forged: its signature does not verify with audit.signingKey`);
      }
      counts.signed++;
    }
  }
  const cut = lastCut(checkpoints);
  let expectedSeq = (cut?.seq ?? 0) + 1;
  let prev = cut?.hash ?? genesisHash;
  counts.from = cut?.seq ?? 0;
  counts.last = counts.from;
  const hashes = new Map<number, string>();
  const rows = [...store.rows()];
  for (let index = 0; index < rows.length; index++) {
    const row = rows[index] as AuditRow;
    if (row.seq < expectedSeq) continue; // before the cut: a cut's own rows are deleted with it
    if (row.seq > expectedSeq) {
      return fail(counts, 'deleted', expectedSeq, expectedSeq === row.seq - 1 ? `row ${expectedSeq} was deleted (the chain goes from ${expectedSeq - 1} to ${row.seq})` : `rows ${expectedSeq}–${row.seq - 1} were deleted (the chain goes from ${expectedSeq - 1} to ${row.seq})`);
    }
    if (row.prev !== prev || !consistent(row)) {
      const problem = classify(rows, index, prev);
      return fail(counts, problem.kind, problem.seq, problem.message);
    }
    hashes.set(row.seq, row.hash);
    prev = row.hash;
    counts.rows++;
    counts.last = row.seq;
    expectedSeq++;
  }
  for (const checkpoint of checkpoints) {
    if (checkpoint.seq < counts.from || (cut && checkpoint === cut)) continue;
    if (checkpoint.count !== checkpoint.seq) {
      return fail(counts, 'forged-checkpoint', checkpoint.seq, `checkpoint at row ${checkpoint.seq} counts ${checkpoint.count} rows: forged (a checkpoint counts every row up to its own)`);
    }
    if (checkpoint.seq > counts.last) {
      return fail(counts, 'truncated', counts.last + 1, `the log was truncated: it ends at row ${counts.last}, but a checkpoint of ${new Date(checkpoint.time).toISOString()} covers rows up to ${checkpoint.seq}`);
    }
    if (hashes.get(checkpoint.seq) !== checkpoint.hash) {
      return fail(
        counts,
        'forged-checkpoint',
        checkpoint.seq,
        signer
          ? `checkpoint at row ${checkpoint.seq} is signed but its hash is not row ${checkpoint.seq}'s: the rows up to it were rewritten`
          : `checkpoint at row ${checkpoint.seq} does not match row ${checkpoint.seq}'s hash: the checkpoint was forged (or the rows before it rewritten; configure audit.signingKey to tell them apart)`
      );
    }
  }
  if (anchor) {
    const anchored = checkAnchor(anchor, signer, counts, hashes);
    if (anchored) return fail(counts, anchored.kind, anchored.seq, anchored.message);
  }
  return { ...counts, ok: true };
}

/**
 * The chain head anchored outside the store (`audit.anchor`) against the chain: its signature (with a key), then
 * the store must reach its seq (else the tail was cut, with the checkpoints that covered it) and hold its hash there.
 */
function checkAnchor(
  anchor: AuditCheckpoint,
  signer: AuditSigner | undefined,
  counts: { from: number; last: number },
  hashes: ReadonlyMap<number, string>
): { kind: AuditProblemKind; seq: number; message: string } | undefined {
  if (signer) {
    if (anchor.signature === null) return { kind: 'unsigned-checkpoint', seq: anchor.seq, message: `the anchored head (row ${anchor.seq}) has no signature, but a signing key is configured: it was forged, or written before the key was set` };
    if (!signer.verify(checkpointText(anchor), anchor.signature)) return { kind: 'forged-checkpoint', seq: anchor.seq, message: `the anchored head (row ${anchor.seq}) is forged: its signature does not verify with audit.signingKey` };
  }
  if (anchor.seq <= counts.from) return undefined;
  if (anchor.seq > counts.last) {
    return { kind: 'truncated', seq: counts.last + 1, message: `the log was truncated after row ${counts.last} (anchor says ${anchor.seq}, anchored ${new Date(anchor.time).toISOString()}): rows ${counts.last + 1}–${anchor.seq} and the checkpoints covering them are gone` };
  }
  if (hashes.get(anchor.seq) !== anchor.hash) {
    return { kind: 'forged-checkpoint', seq: anchor.seq, message: `the anchored head's hash is not row ${anchor.seq}'s: the rows up to it were rewritten (or the anchor edited)` };
  }
  return undefined;
}

/** The retention cut verification starts from: the last `cut` checkpoint. */
function lastCut(checkpoints: readonly AuditCheckpoint[]): AuditCheckpoint | undefined {
  return checkpoints.filter(checkpoint => checkpoint.kind === 'cut').sort((a, b) => b.seq - a.seq)[0];
}

/**
 * Names what happened at a row that does not follow the chain: another row's content belongs here (swapped),
 * the row was changed (its hash is not its content's), or it was changed and re-hashed (its hash fits its
 * content, but the next row's `prev` is the hash it had).
 */
function classify(rows: readonly AuditRow[], index: number, prev: string): { kind: AuditProblemKind; seq: number; message: string } {
  const row = rows[index] as AuditRow;
  for (let other = 0; other < rows.length; other++) {
    if (other === index) continue;
    const candidate = rows[other] as AuditRow;
    if (candidate.prev === prev && rowHash(prev, { ...recordOf(candidate), seq: row.seq }) === candidate.hash) {
      return { kind: 'swapped', seq: row.seq, message: `rows ${Math.min(row.seq, candidate.seq)} and ${Math.max(row.seq, candidate.seq)} were swapped (reordered): row ${candidate.seq}'s content belongs at ${row.seq}` };
    }
  }
  if (!consistent(row)) {
    return { kind: 'edited', seq: row.seq, message: `row ${row.seq} was edited: its hash does not match its content (${canonicalJson(recordOf(row)).slice(0, 200)})` };
  }
  // Consistent in itself but not linked to the row before: that row was edited and re-hashed.
  const before = rows[index - 1];
  const seq = before ? before.seq : row.seq;
  return { kind: 'edited', seq, message: `row ${seq} was edited and re-hashed: row ${row.seq} was chained to a different hash of it` };
}
