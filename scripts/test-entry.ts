/**
 * How to run a TypeScript entry of this repository (a path from its root) as a process: its bundle from the test
 * build when the run made one (scripts/test-build.mjs sets MANIFOLD_TEST_BUILD; built from the sources at the
 * start of the run), else the source through tsx. The arguments for `node`. Used by the test helpers and by the
 * fleet's process starter (`npm run fleet` runs from source).
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';

const repoRoot = new URL('..', import.meta.url).pathname.replace(/\/$/, '');

export function tsEntry(path: string): string[] {
  const build = process.env.MANIFOLD_TEST_BUILD;
  const built = build ? join(build, `${path}.mjs`) : undefined;
  return built && existsSync(built) ? [built] : ['--import', 'tsx', join(repoRoot, path)];
}
