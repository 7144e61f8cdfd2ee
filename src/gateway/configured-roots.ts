import { basename, dirname, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

import type { ManifoldConfig } from '../config/index.js';

/** A root as roots/list answers it. */
export interface Root {
  uri: string;
  name?: string;
}

/**
 * The roots a server sees when it is shared (and a per-client server's template connection): its config
 * `roots`, paths resolved against the config file's folder, `file://` URIs kept.
 */
export function configuredRoots(config: ManifoldConfig, configPath: string | undefined): Map<string, Root[]> {
  const base = configPath ? dirname(resolve(configPath)) : process.cwd();
  const out = new Map<string, Root[]>();
  for (const [name, server] of Object.entries(config.servers)) {
    out.set(
      name,
      server.roots.map(entry => {
        // The schema lets through paths and local file:// URIs only.
        const path = entry.startsWith('file:') ? fileURLToPath(entry) : resolve(base, entry);
        return { uri: entry.startsWith('file:') ? entry : pathToFileURL(path).href, name: basename(path) || path };
      })
    );
  }
  return out;
}
