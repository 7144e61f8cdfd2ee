import { dirname, resolve } from 'node:path';

import type { ManifoldConfig } from '../config/index.js';

/** Where runs are recorded: `store.path`, relative to the config file's folder. */
export function runStorePath(config: ManifoldConfig, configPath: string | undefined): string {
  const path = config.store.path;
  if (path === ':memory:') return path;
  return resolve(configPath ? dirname(resolve(configPath)) : process.cwd(), path);
}
