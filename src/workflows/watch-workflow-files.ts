import { existsSync, type FSWatcher, statSync, watch } from 'node:fs';
import { basename, dirname, extname, resolve } from 'node:path';

/** Quiet time after the last change before reloading: editors write a file in several steps. */
const settleMs = 200;

/**
 * Watches the files workflows are defined in: the config file, and every folder a workflow file was loaded
 * from (new files there too). Calls `onChange` once the writes have settled. Folders that do not exist are
 * not watched. Returns what to close.
 */
export function watchWorkflowFiles(configPath: string, folders: readonly string[], onChange: () => void): { paths: string[]; close(): void } {
  const config = resolve(configPath);
  const watched = new Map<string, (name: string) => boolean>();
  // The config's folder, for the config file itself: an editor may replace it (a rename), which a watch on
  // the file would lose.
  watched.set(dirname(config), name => name === basename(config));
  for (const folder of folders) {
    const path = resolve(folder);
    if (path === dirname(config)) continue;
    if (existsSync(path) && statSync(path).isDirectory()) watched.set(path, name => ['.yaml', '.yml', '.json'].includes(extname(name)));
  }
  let timer: NodeJS.Timeout | undefined;
  const changed = () => {
    if (timer) clearTimeout(timer);
    timer = setTimeout(() => {
      timer = undefined;
      onChange();
    }, settleMs);
    timer.unref();
  };
  const watchers: FSWatcher[] = [];
  for (const [folder, relevant] of watched) {
    try {
      const watcher = watch(folder, { persistent: false }, (_event, name) => {
        if (name === null || relevant(name.toString())) changed();
      });
      watcher.on('error', () => watcher.close());
      watchers.push(watcher);
    } catch {
      // A folder that cannot be watched (gone, no permission): its workflows are not reloaded.
    }
  }
  return {
    paths: [config, ...[...watched.keys()].filter(path => path !== dirname(config))],
    close: () => {
      if (timer) clearTimeout(timer);
      for (const watcher of watchers) watcher.close();
    }
  };
}
