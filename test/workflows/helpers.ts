/**
 * Workflow test helpers: a GatewayCore in this process (so tests can read its run store) in front of real
 * upstream processes, and calls through its pipeline as a client's call would arrive.
 */
import { stringify } from 'yaml';

import { parseConfig } from '../../src/config/index.js';
import type { DownstreamContext, GatewayResult } from '../../src/core/pipeline.js';
import { GatewayCore } from '../../src/gateway/index.js';
import { createLogger } from '../../src/telemetry/logger.js';
import { fixtureServer, repoRoot, type TempConfig, withTestDefaults, writeConfig } from '../helpers/gateway.js';

export interface TestGateway extends AsyncDisposable {
  core: GatewayCore;
  config: TempConfig;
  call(name: string, args?: Record<string, unknown>, options?: CallOptions): Promise<GatewayResult>;
  /** The workflow-tools fixture's journal (intervals, cancellations, calls per key). */
  journal(): Promise<{ intervals: Array<{ label: string; start: number; end: number }>; cancelled: Array<{ tool: string; label: string }>; calls: Record<string, number> }>;
}

export interface CallOptions {
  signal?: AbortSignal;
  onProgress?: (params: { progress: number; total?: number; message?: string }) => void;
}

/** The workflow-tools fixture as server `fix` (run from the repo, where tsx resolves). */
export const fixtureServers = { fix: fixtureServer('workflow-tools.ts', [], { cwd: repoRoot }) };

/** Starts a gateway core with these servers and workflows (through the real config parser). */
export async function startTestGateway(config: Record<string, unknown>): Promise<TestGateway> {
  const written = writeConfig(config);
  const { config: parsed } = parseConfig(stringify(withTestDefaults(config)), { source: written.path });
  const logger = createLogger({ level: (process.env.MANIFOLD_TEST_LOG as 'debug' | undefined) ?? 'error' });
  const core = new GatewayCore({ config: parsed, configPath: written.path, logger });
  await core.start();
  const call = async (name: string, args: Record<string, unknown> = {}, options: CallOptions = {}) => {
    const downstream: DownstreamContext = {
      era: 'legacy',
      sessionId: 'test',
      signal: options.signal ?? new AbortController().signal,
      clientCapabilities: {},
      progressToken: options.onProgress ? 'test-progress' : undefined,
      notify: async notification => {
        if (notification.method === 'notifications/progress') options.onProgress?.(notification.params as never);
      },
      log: () => {}
    };
    return core.pipeline({ method: 'tools/call', params: { name, arguments: args }, downstream });
  };
  return {
    core,
    config: written,
    call,
    journal: async () => {
      const result = await call('fix__journal');
      return JSON.parse((result.content as Array<{ text: string }>)[0]!.text);
    },
    [Symbol.asyncDispose]: async () => {
      await core.close();
      await written[Symbol.asyncDispose]();
    }
  };
}

export function textOf(result: GatewayResult): string {
  return ((result.content as Array<{ type: string; text?: string }> | undefined) ?? []).map(block => block.text ?? '').join('\n');
}
