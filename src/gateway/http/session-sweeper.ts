import type { Logger } from '../../telemetry/logger.js';

interface Idle {
  lastSeen: number;
  close(): Promise<void>;
}

/**
 * Closes sessions not heard from for `idleMs` (2025 Streamable HTTP and legacy SSE sessions alike), checking
 * at most once a minute. Returns the function that stops it.
 */
export function startSessionSweeper(sessions: () => Iterable<[string, Idle]>, idleMs: number, logger: Logger): () => void {
  const sweeper = setInterval(() => {
    const now = Date.now();
    for (const [id, session] of sessions()) {
      if (now - session.lastSeen > idleMs) {
        logger.info(`closing idle session ${id}`);
        void session.close();
      }
    }
  }, Math.min(60_000, idleMs));
  sweeper.unref();
  return () => clearInterval(sweeper);
}
