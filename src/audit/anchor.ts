import { readFileSync, renameSync, writeFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';

import { errorMessage } from '../core/errors.js';
import type { AuditCheckpoint } from '../store/index.js';

/**
 * Where the chain head is anchored outside the store (`audit.anchor`): by default the file `<store>.audit-head`
 * beside the store; a path (relative to the config file) puts it elsewhere (another volume, a synced folder);
 * `false`, or a store in memory: none.
 */
export function anchorPath(setting: string | false | undefined, storePath: string, configPath: string | undefined): string | undefined {
  if (setting === false || storePath === ':memory:') return undefined;
  // A PostgreSQL store has no file to sit beside: anchored only where audit.anchor names a file.
  if (setting === undefined && storePath.includes('://')) return undefined;
  if (setting === undefined) return `${storePath}.audit-head`;
  return resolve(configPath ? dirname(resolve(configPath)) : process.cwd(), setting);
}

/** The anchored head, or undefined when there is no file yet; a file that is not an anchor is an error naming it. */
export function readAnchor(path: string): AuditCheckpoint | undefined {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    if ((error as { code?: unknown }).code === 'ENOENT') return undefined;
    throw new Error(`cannot read the audit anchor ${path}: ${errorMessage(error)}`);
  }
  const value = JSON.parse(text) as Partial<AuditCheckpoint>;
  if (typeof value.seq !== 'number' || typeof value.hash !== 'string' || typeof value.count !== 'number' || typeof value.time !== 'number') {
    throw new Error(`the audit anchor ${path} is not an anchor (a checkpoint's JSON: seq, count, hash, time, kind, signature)`);
  }
  return { seq: value.seq, count: value.count, hash: value.hash, time: value.time, kind: value.kind ?? 'periodic', signature: value.signature ?? null };
}

/**
 * Writes a checkpoint as the anchor, atomically (a temporary file renamed over it: a reader sees the old head or
 * the new one, never half), and never backwards: an anchor that already names a later row is kept (several
 * gateways on one store each write theirs).
 */
export function writeAnchor(path: string, checkpoint: AuditCheckpoint): void {
  let current: AuditCheckpoint | undefined;
  try {
    current = readAnchor(path);
  } catch {
    current = undefined;
  }
  if (current && current.seq > checkpoint.seq) return;
  const temporary = `${path}.${process.pid}.tmp`;
  writeFileSync(temporary, `${JSON.stringify(checkpoint)}\n`);
  renameSync(temporary, path);
}
