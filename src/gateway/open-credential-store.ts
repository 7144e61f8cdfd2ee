import { isStdioServer, type ManifoldConfig } from '../config/index.js';
import { MemoryCredentialStore, openCredentialStore as openStoreOfCredentials, type UpstreamCredentialStore } from '../store/index.js';
import { credentialsKeyPath, runStorePath } from './store-path.js';

/** Whether any server signs in with the authorization-code grant (and so needs the credential store). */
export function needsCredentialStore(config: ManifoldConfig): boolean {
  return Object.values(config.servers).some(server => !isStdioServer(server) && server.oauth?.grant === 'authorization_code');
}

/**
 * The store of upstream sign-ins: the store (`store.path` or `store.url`, sealed under `<store.path>.key`), in memory for
 * `:memory:`; undefined where no server needs it (nothing is opened).
 */
export function openCredentialStore(config: ManifoldConfig, configPath: string | undefined): UpstreamCredentialStore | undefined {
  if (!needsCredentialStore(config)) return undefined;
  const path = runStorePath(config, configPath);
  if (path === ':memory:') return new MemoryCredentialStore();
  return openStoreOfCredentials(path, credentialsKeyPath(config, configPath));
}
