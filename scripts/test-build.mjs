#!/usr/bin/env node
// The processes the tests start (the Manifold CLI, the fixture servers, the conformance fixture) built into
// .test-build/ first, one bundled file per entry, so that each start loads one file instead of tsx loading,
// transforming and resolving some 1,000 modules: a gateway is ready in about 0.8 s instead of 2.4 s (and
// 1.2 s instead of 3.5 s of CPU), and the suite starts hundreds of them (docs/PERFORMANCE.md, "Start-up, and the test suite").
//
// Built from the sources as they are at the start of the run, so a test never runs stale code; a test run
// without it (node --test directly) runs the sources through tsx, as before. Tests find an entry's build with
// `tsEntry()` (test/helpers/gateway.ts), by the environment variable MANIFOLD_TEST_BUILD this sets.
//
//   node scripts/test-build.mjs     builds, and prints the folder
import { copyFileSync, existsSync, mkdirSync, readdirSync, rmSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join, relative } from 'node:path';
import { pathToFileURL } from 'node:url';

import { build } from 'esbuild';

const root = new URL('..', import.meta.url).pathname.replace(/\/$/, '');
/** Each runner builds into its own folder under .test-build/ (the tests and the conformance suite run side by side). */
export const testBuildDir = (name = 'tests') => join(root, '.test-build', name);

/** The entries, as paths from the repository's root; every .ts under the fixture folders (extra ones are harmless). */
function entries() {
  const out = ['src/cli/bin.ts', 'test/conformance/fixture-server.ts', 'test/conformance/connector-client.ts'];
  const walk = dir => {
    if (!existsSync(join(root, dir))) return;
    for (const entry of readdirSync(join(root, dir), { withFileTypes: true })) {
      const path = `${dir}/${entry.name}`;
      if (entry.isDirectory()) walk(path);
      else if (entry.name.endsWith('.ts') && !entry.name.endsWith('.test.ts')) out.push(path);
    }
  };
  walk('test/fixtures');
  walk('test/discovery/fixtures');
  return out;
}

/**
 * Builds every entry to `.test-build/<name>/<path>.mjs` (e.g. `.test-build/tests/src/cli/bin.ts.mjs`: the path keeps its
 * name, so a test that looks for a process by `asks-client.ts` still finds it). Native and worker-loaded
 * packages stay outside the bundle and load from node_modules as usual. Returns the folder.
 */
export async function buildForTests(name = 'tests') {
  const outdir = testBuildDir(name);
  rmSync(outdir, { recursive: true, force: true });
  mkdirSync(outdir, { recursive: true });
  const paths = entries();
  await build({
    entryPoints: Object.fromEntries(paths.map(path => [`${path}`, join(root, path)])),
    outdir,
    outExtension: { '.js': '.mjs' },
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node20',
    // Names as in the sources (error and class names are read in messages).
    keepNames: true,
    // better-sqlite3 is native; pg is imported by the PostgreSQL store's worker from its resolved path.
    external: ['better-sqlite3', 'pg', 'pg-native'],
    // CommonJS packages inside an ES module bundle still call require (for node builtins).
    banner: { js: "import { createRequire as __manifoldTestRequire } from 'node:module'; const require = __manifoldTestRequire(import.meta.url);" },
    logLevel: 'warning'
  });
  // What the sources read beside themselves by relative URL: the package's own manifest (its version).
  copyFileSync(join(root, 'package.json'), join(outdir, 'package.json'));
  return outdir;
}

/**
 * `import.meta.url` of each source module as the source's own address: what a module finds beside itself
 * (`new URL('../..', import.meta.url)`, createRequire) is found as from the sources, wherever its bundle lies.
 */
const sourceUrls = {
  name: 'source-urls',
  setup(builder) {
    builder.onLoad({ filter: /\.ts$/ }, async args => {
      const text = await readFile(args.path, 'utf8');
      return { contents: text.replaceAll('import.meta.url', JSON.stringify(pathToFileURL(args.path).href)), loader: 'ts' };
    });
  }
};

/**
 * The test files themselves, bundled with what they import from the sources (packages stay in node_modules),
 * into `.test-build/<name>/test-files/`, code shared between them split into chunks: a test file's process loads a few files
 * instead of transforming hundreds through tsx. Returns each test file's bundle, by the test file's path from
 * the root. `import.meta.url` keeps the source's address (see `sourceUrls`).
 */
export async function buildTestFiles(files, name = 'tests') {
  const outdir = join(testBuildDir(name), 'test-files');
  rmSync(outdir, { recursive: true, force: true });
  const entryPoints = Object.fromEntries(files.map(file => [relative(root, file).replace(/\.ts$/, ''), file]));
  await build({
    entryPoints,
    outdir,
    outExtension: { '.js': '.mjs' },
    bundle: true,
    splitting: true,
    chunkNames: 'chunks/[name]-[hash]',
    packages: 'external',
    platform: 'node',
    format: 'esm',
    target: 'node20',
    keepNames: true,
    sourcemap: 'linked',
    plugins: [sourceUrls],
    logLevel: 'warning'
  });
  return new Map(Object.keys(entryPoints).map(path => [`${path}.ts`, join(outdir, `${path}.mjs`)]));
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const started = Date.now();
  const dir = await buildForTests();
  console.log(`${relative(process.cwd(), dir) || dir}: ${entries().length} entries in ${Date.now() - started} ms`);
}
