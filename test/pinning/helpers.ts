/** Pinning test helpers: a config with the rug-pull fixture, calls that are expected to be refused, the CLI. */
import { join } from 'node:path';

import type { Client } from '@modelcontextprotocol/client';

import { fixtureServer, writeConfig, type TempConfig } from '../helpers/gateway.js';

/** A temp config whose server `rug` is the rug-pull fixture (the scanner only warns) (it turns after `after` calls; its count kept in the temp dir). */
export function rugPullConfig(options: { era?: 'legacy' | 'modern'; after?: number; extra?: Record<string, unknown>; server?: Record<string, unknown> } = {}): TempConfig {
  const holder: { dir?: string } = {};
  const config = writeConfig({});
  holder.dir = config.dir;
  const state = join(config.dir, 'rug-state');
  const written = writeConfig({
    servers: {
      rug: fixtureServer('rug-pull.ts', ['--after', String(options.after ?? 2), '--state', state], { ...(options.era ? { protocol: options.era } : {}), ...options.server })
    },
    ...options.extra,
    // The fixture's turned description is poison the scanner withholds (security.scan.onHigh: hide); these tests are
    // about pinning alone, so the scanner only warns (test/security/scanner.test.ts has the two together).
    security: { scan: { onHigh: 'warn' }, ...(options.extra?.['security'] as Record<string, unknown> | undefined) }
  });
  return {
    path: written.path,
    dir: written.dir,
    [Symbol.asyncDispose]: async () => {
      await written[Symbol.asyncDispose]();
      await config[Symbol.asyncDispose]();
    }
  };
}

/** The error a call is refused with: its message and its `data` (the typed error's `code` among it). */
export async function refusal(client: Client, name: string, args: Record<string, unknown> = {}): Promise<{ message: string; data: Record<string, unknown> }> {
  try {
    const result = await client.callTool({ name, arguments: args });
    throw new Error(`expected "${name}" to be refused, got ${JSON.stringify(result).slice(0, 300)}`);
  } catch (error) {
    const { message, data } = error as { message: string; data?: Record<string, unknown> };
    if (!data) throw error;
    return { message, data };
  }
}

export async function toolNames(client: Client): Promise<string[]> {
  return (await client.listTools()).tools.map(tool => tool.name);
}
