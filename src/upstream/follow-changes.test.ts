import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import type { Client } from '@modelcontextprotocol/client';

import type { Logger } from '../telemetry/logger.js';
import { ChangeFollower } from './follow-changes.js';

function recordingLogger(lines: string[]): Logger {
  const logger: Logger = {
    debug: message => void lines.push(`debug ${message}`),
    info: message => void lines.push(`info ${message}`),
    warn: message => void lines.push(`warn ${message}`),
    error: message => void lines.push(`error ${message}`),
    child: () => logger,
    isEnabled: () => true
  };
  return logger;
}

/** Runs one list_changed whose refresh fails, with the session current or not by then; returns the log. */
async function failedRefresh(currentWhenItFails: boolean): Promise<string[]> {
  const lines: string[] = [];
  const client = {} as Client;
  let current = true;
  let failed!: () => void;
  const done = new Promise<void>(resolve => (failed = resolve));
  const follower = new ChangeFollower({
    logger: recordingLogger(lines),
    timeoutMs: () => 1000,
    isCurrent: candidate => candidate === client && current,
    refresh: async () => {
      current = currentWhenItFails;
      setImmediate(failed);
      throw new Error('Connection closed');
    }
  });
  follower.onListChanged(client, 'tools');
  await done;
  await new Promise(resolve => setImmediate(resolve));
  return lines;
}

describe('ChangeFollower', () => {
  it('a refresh that fails on the live session is a warning', async () => {
    assert.deepEqual((await failedRefresh(true)).filter(line => line.startsWith('warn')), ['warn could not refresh tools: Connection closed']);
  });

  it('regression: a refresh cut off by the session closing (restart, shutdown) is not a warning', async () => {
    const lines = await failedRefresh(false);
    assert.deepEqual(lines.filter(line => line.startsWith('warn')), []);
    assert.ok(lines.includes('debug could not refresh tools: Connection closed'), lines.join('\n'));
  });
});
