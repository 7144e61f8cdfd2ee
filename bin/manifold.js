#!/usr/bin/env node
// The installed entry: the compiled CLI. `npm ci` (prepare) or `npm run build` makes dist/.
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const entry = new URL('../dist/cli/bin.js', import.meta.url);
if (!existsSync(entry)) {
  const root = fileURLToPath(new URL('..', import.meta.url));
  process.stderr.write(`manifold: the CLI is not built (${fileURLToPath(entry)} is missing): run \`npm ci\` (or \`npm run build\`) in ${root}\n`);
  process.exit(1);
}
await import(entry.href);
