import { basename, dirname, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

import type { ManifoldConfig } from '../config/index.js';
import { ManifoldError } from '../core/errors.js';

/** A root as roots/list answers it. */
export interface Root {
  uri: string;
  name?: string;
}

/**
 * The roots a server sees when it is shared (and a per-client server's template connection): its config
 * `roots`, paths resolved against the config file's folder, `file://` URIs kept. Throws CONFIG_INVALID naming
 * the server for anything else.
 */
export function configuredRoots(config: ManifoldConfig, configPath: string | undefined): Map<string, Root[]> {
  const base = configPath ? dirname(resolve(configPath)) : process.cwd();
  const out = new Map<string, Root[]>();
  for (const [name, server] of Object.entries(config.servers)) {
    out.set(
      name,
      server.roots.map(entry => {
        if (/^[a-z][a-z0-9+.-]*:/i.test(entry) && !/^[a-z]:[\\/]/i.test(entry)) {
          if (!entry.startsWith('file://')) {
            throw new ManifoldError(
              'CONFIG_INVALID',
              `servers.${name}.roots: "${entry}" is neither a path nor a file:// URI`
            );
          }
          let path: string;
          try {
            path = fileURLToPath(entry);
          } catch (error) {
            throw new ManifoldError(
              'CONFIG_INVALID',
              `servers.${name}.roots: "${entry}" is not a local file:// URI (${(error as Error).message})`
            );
          }
          return { uri: entry, name: basename(path) || path };
        }
        const path = resolve(base, entry);
        return { uri: pathToFileURL(path).href, name: basename(path) || path };
      })
    );
  }
  return out;
}
