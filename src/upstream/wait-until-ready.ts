import type { Client } from '@modelcontextprotocol/client';

import { ManifoldError } from '../core/errors.js';
import type { UpstreamState } from './upstream-types.js';

/** What the wait reads of its connection. */
export interface ReadinessSource {
  server(): string;
  enabled(): boolean;
  state(): UpstreamState;
  /** The live session (set once the state is ready). */
  client(): Client | undefined;
  /** A session that was up closed under us and its restart has not failed yet: calls wait for it. */
  restartPending(): boolean;
  /** Calls `wake` on the next change of state; returns the unsubscribe. */
  onStateChange(wake: () => void): () => void;
}

/**
 * Waits until the connection is ready, for at most `waitMs`: through a start or a restart after a crash, so
 * that a call arriving then runs once the server is back. Fails at once, with the reason, where waiting
 * cannot help: the server is stopped, or down after a failed attempt (it stays down); fails when the wait
 * runs out with what the server is doing. `lost`: a session a request was just lost with (wait for the next).
 */
export async function waitUntilReady(source: ReadinessSource, waitMs: number, signal?: AbortSignal, lost?: Client): Promise<Client> {
  const server = source.server();
  const deadline = Date.now() + waitMs;
  for (;;) {
    const state = source.state();
    switch (state.kind) {
      case 'ready': {
        // A session a request was just lost with is not ready, even before its close has been noticed.
        const client = source.client();
        if (client && client !== lost) return client;
        break;
      }
      case 'failed':
        if (!source.restartPending()) throw downError(server, state);
        break;
      case 'stopped':
        throw new ManifoldError('UPSTREAM_UNAVAILABLE', `server "${server}" is not running${source.enabled() ? '' : ' (enabled: false)'}`, { data: { server } });
      case 'starting':
        break;
    }
    const remaining = deadline - Date.now();
    if (remaining <= 0) {
      if (state.kind === 'failed') throw downError(server, state);
      throw new ManifoldError(
        'UPSTREAM_UNAVAILABLE',
        `server "${server}" is still starting after ${waitMs} ms (a call waits for it up to servers.${server}.waitForRestart or gateway.waitForRestart, within the call's timeout)`,
        { data: { server } }
      );
    }
    await nextChange(source, remaining, signal);
  }
}

function downError(server: string, state: Extract<UpstreamState, { kind: 'failed' }>): ManifoldError {
  const retry = state.retryAt ? ` (retrying in ${Math.max(0, Math.round((state.retryAt - Date.now()) / 1000))} s)` : '';
  return new ManifoldError('UPSTREAM_UNAVAILABLE', `server "${server}" is down: ${state.reason}${retry}`, { data: { server } });
}

/** Resolves on the next change of state or after `ms`; rejects when the caller cancels. */
function nextChange(source: ReadinessSource, ms: number, signal: AbortSignal | undefined): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    if (signal?.aborted) {
      reject(new ManifoldError('CANCELLED', 'cancelled while waiting for the server to start'));
      return;
    }
    const done = () => {
      clearTimeout(timer);
      unsubscribe();
      signal?.removeEventListener('abort', onAbort);
    };
    const onAbort = () => {
      done();
      reject(new ManifoldError('CANCELLED', 'cancelled while waiting for the server to start'));
    };
    const timer = setTimeout(() => {
      done();
      resolve();
    }, ms);
    const unsubscribe = source.onStateChange(() => {
      done();
      resolve();
    });
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}
