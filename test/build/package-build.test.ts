/**
 * What `npm ci` builds (prepare: `tsc -p tsconfig.json`, into dist/ for bin/manifold.js) must compile: a source it
 * includes that imports from outside src/ (a test helper, a script) fails the build, and with it `npm ci` and the
 * README's `npm ci && npm start`. The typecheck (tsconfig.check.json, which includes everything) cannot see that.
 */
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { describe, it } from 'node:test';

import { build } from 'esbuild';

import { repoRoot } from '../helpers/gateway.js';

function sources(dir: string): string[] {
  const out: string[] = [];
  for (const entry of readdirSync(dir)) {
    const path = join(dir, entry);
    if (statSync(path).isDirectory()) out.push(...sources(path));
    else if (entry.endsWith('.ts') && !entry.endsWith('.test.ts')) out.push(path);
  }
  return out;
}

describe('the package build (tsconfig.json)', () => {
  it('leaves the tests out, and what it compiles imports nothing from outside src/', () => {
    const config = JSON.parse(readFileSync(join(repoRoot, 'tsconfig.json'), 'utf8')) as { include?: string[]; exclude?: string[]; compilerOptions?: { rootDir?: string } };
    assert.deepEqual(config.include, ['src']);
    assert.equal(config.compilerOptions?.rootDir, 'src');
    assert.ok(config.exclude?.includes('src/**/*.test.ts'), 'src/**/*.test.ts is excluded (tests import test/helpers)');
    const src = join(repoRoot, 'src');
    const outside: string[] = [];
    for (const file of sources(src)) {
      const text = readFileSync(file, 'utf8');
      for (const match of text.matchAll(/(?:from|import)\s*\(?\s*'(\.{1,2}\/[^']+)'/g)) {
        const target = resolve(dirname(file), match[1] as string);
        if (relative(src, target).startsWith('..')) outside.push(`${relative(repoRoot, file)} imports ${match[1]}`);
      }
    }
    assert.deepEqual(outside, []);
  });

  it('loads no optional package up front: the OpenTelemetry SDK, ioredis and the model providers wait until used', async () => {
    // Everything the CLI imports statically (what every start loads); the lazy ones are required at first use.
    const result = await build({
      entryPoints: [join(repoRoot, 'src/cli/bin.ts')],
      bundle: true,
      platform: 'node',
      format: 'esm',
      write: false,
      metafile: true,
      external: ['better-sqlite3', 'pg', 'pg-native'],
      logLevel: 'silent'
    });
    const packages = new Set(Object.keys(result.metafile.inputs).map(path => /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(path)?.[1]).filter(Boolean));
    assert.ok(packages.has('@opentelemetry/api'), 'the check sees packages at all');
    const lazy = ['@opentelemetry/sdk-trace-base', '@opentelemetry/exporter-trace-otlp-http', '@opentelemetry/semantic-conventions', 'ioredis', '@ai-sdk/anthropic', '@ai-sdk/openai-compatible', 'ai'];
    assert.deepEqual(lazy.filter(name => packages.has(name)), []);
  });
});
