import { createHash } from 'node:crypto';

import type { AuditCheckpoint, AuditRecord, AuditRow } from '../store/index.js';
import { canonicalJson } from './canonical-json.js';
import type { AuditSigner } from './signing-key.js';

const sha256 = (text: string) => createHash('sha256').update(text).digest('hex');

/** The record part of a row: what its hash covers (everything but `prev` and `hash`). */
export function recordOf(row: AuditRow): AuditRecord {
  const { prev: _prev, hash: _hash, ...record } = row;
  return record;
}

/** A row's hash: SHA-256 of the previous row's hash followed by the canonical JSON of the record. */
export function rowHash(prev: string, record: AuditRecord): string {
  return sha256(prev + canonicalJson(record));
}

/** The text a checkpoint's signature covers: its canonical JSON without the signature. */
export function checkpointText(checkpoint: AuditCheckpoint): string {
  const { signature: _signature, ...signed } = checkpoint;
  return canonicalJson(signed);
}

export function signCheckpoint(checkpoint: Omit<AuditCheckpoint, 'signature'>, signer: AuditSigner | undefined): AuditCheckpoint {
  const unsigned = { ...checkpoint, signature: null };
  return { ...unsigned, signature: signer ? signer.sign(checkpointText(unsigned)) : null };
}

/** SHA-256 (hex) and byte size of a value's canonical JSON. */
export function digestOf(value: unknown): { digest: string; size: number; text: string } {
  const text = canonicalJson(value ?? {});
  return { digest: sha256(text), size: Buffer.byteLength(text), text };
}
