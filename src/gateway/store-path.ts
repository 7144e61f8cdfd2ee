import { dirname, resolve } from 'node:path';

import type { ManifoldConfig } from '../config/index.js';
import { credentialKeyPath, isPostgresStore } from '../store/index.js';

/**
 * Where the store is (a StoreAddress): `MANIFOLD_STORE` (a postgres:// URL or a SQLite path), else `store.url`,
 * else `store.path` relative to the config file's folder.
 */
export function runStorePath(config: ManifoldConfig, configPath: string | undefined, env: Record<string, string | undefined> = process.env): string {
  const fromEnv = env.MANIFOLD_STORE;
  if (fromEnv) return isPostgresStore(fromEnv) || fromEnv === ':memory:' ? fromEnv : resolve(fromEnv);
  if (config.store.url !== undefined) return config.store.url;
  return sqlitePath(config, configPath);
}

function sqlitePath(config: ManifoldConfig, configPath: string | undefined): string {
  const path = config.store.path;
  if (path === ':memory:') return path;
  return resolve(configPath ? dirname(resolve(configPath)) : process.cwd(), path);
}

/**
 * The key file that seals upstream sign-ins: `<store.path>.key` on this machine, also when the store is
 * PostgreSQL (the key never goes to the database; every instance of a fleet gets the same file).
 */
export function credentialsKeyPath(config: ManifoldConfig, configPath: string | undefined): string {
  return credentialKeyPath(sqlitePath(config, configPath));
}
