import type { DownstreamContext } from '../core/pipeline.js';
import type { Output } from './output.js';

export interface ProgressUpdate {
  progress: number;
  total: number | undefined;
  message: string | undefined;
}

/**
 * The downstream context of a call the CLI makes itself (`manifold call`, `manifold run`): the terminal is the
 * client. Progress goes to `onProgress`, log messages to stderr; the signal cancels the call.
 */
export function cliDownstream(signal: AbortSignal, output: Output, onProgress: (update: ProgressUpdate) => void): DownstreamContext {
  return {
    era: 'legacy',
    sessionId: 'cli',
    signal,
    clientCapabilities: {},
    progressToken: 'cli',
    notify: async notification => {
      if (notification.method !== 'notifications/progress') return;
      const params = notification.params as { progress?: number; total?: number; message?: string } | undefined;
      onProgress({ progress: params?.progress ?? 0, total: params?.total, message: params?.message });
    },
    log: (level, data) => output.err(`[${level}] ${typeof data === 'string' ? data : JSON.stringify(data)}`)
  };
}
