import { readdirSync } from 'node:fs';
import tseslint from 'typescript-eslint';
import unicorn from 'eslint-plugin-unicorn';

/**
 * Layers (STYLE.md §2): cli → console → gateway → pinning → (scanner, approval, metrics, audit, usage) → (auth, limits, cache, routers) → (agents, workflows, discovery) → rules → catalog → upstream → config/telemetry/store →
 * redaction → core. A folder may import only from the folders below it. Every folder under src/ must be placed here (lint
 * fails on one that is not), and only folders that exist are named, so the rules say what the code is.
 */
const layers = {
  cli: ['redaction', 'console', 'gateway', 'pinning', 'scanner', 'approval', 'metrics', 'audit', 'auth', 'limits', 'usage', 'cache', 'routers', 'agents', 'workflows', 'discovery', 'rules', 'catalog', 'upstream', 'config', 'telemetry', 'store', 'core'],
  console: ['redaction', 'gateway', 'pinning', 'scanner', 'approval', 'metrics', 'audit', 'auth', 'limits', 'usage', 'cache', 'routers', 'agents', 'workflows', 'discovery', 'rules', 'catalog', 'upstream', 'config', 'telemetry', 'store', 'core'],
  gateway: ['redaction', 'pinning', 'scanner', 'approval', 'metrics', 'audit', 'auth', 'limits', 'usage', 'cache', 'routers', 'agents', 'workflows', 'discovery', 'rules', 'catalog', 'upstream', 'config', 'telemetry', 'store', 'core'],
  pinning: ['audit', 'catalog', 'upstream', 'config', 'telemetry', 'store', 'core'],
  audit: ['config', 'telemetry', 'redaction', 'store', 'core'],
  approval: ['rules', 'catalog', 'upstream', 'config', 'telemetry', 'store', 'core'],
  metrics: ['limits', 'cache', 'catalog', 'upstream', 'config', 'telemetry', 'store', 'core'],
  auth: ['config', 'telemetry', 'store', 'core'],
  usage: ['limits', 'discovery', 'rules', 'catalog', 'upstream', 'config', 'telemetry', 'store', 'core'],
  limits: ['catalog', 'upstream', 'config', 'telemetry', 'store', 'core'],
  cache: ['catalog', 'upstream', 'config', 'telemetry', 'core'],
  routers: ['agents', 'discovery', 'rules', 'catalog', 'upstream', 'config', 'telemetry', 'store', 'core'],
  agents: ['rules', 'catalog', 'upstream', 'config', 'telemetry', 'store', 'core'],
  workflows: ['agents', 'discovery', 'rules', 'catalog', 'upstream', 'config', 'telemetry', 'store', 'core'],
  discovery: ['rules', 'catalog', 'upstream', 'config', 'telemetry', 'store', 'core'],
  rules: ['catalog', 'upstream', 'config', 'telemetry', 'store', 'core'],
  catalog: ['upstream', 'config', 'telemetry', 'store', 'core'],
  upstream: ['config', 'telemetry', 'store', 'core'],
  scanner: ['config', 'core'],
  config: ['core'],
  telemetry: ['redaction', 'core'],
  redaction: ['core'],
  store: ['config', 'telemetry', 'core'],
  core: []
};
// src/fleet (the instance id, the shared Redis, the event bus) sits beside config: every folder above it may use it.
layers.fleet = ['config', 'telemetry', 'core'];
for (const [layer, allowed] of Object.entries(layers))
  if (!['fleet', 'store', 'config', 'telemetry', 'core'].includes(layer)) allowed.push('fleet');
const folders = readdirSync(new URL('./src', import.meta.url), { withFileTypes: true })
  .filter(entry => entry.isDirectory())
  .map(entry => entry.name);
for (const folder of folders) {
  if (!(folder in layers))
    throw new Error(`eslint.config.js: src/${folder} has no place in the layers; add it to \`layers\`.`);
}
for (const [layer, allowed] of Object.entries(layers)) {
  for (const name of [layer, ...allowed]) {
    if (!folders.includes(name))
      throw new Error(`eslint.config.js: the layer "${name}" names no folder under src/; remove it.`);
  }
}
const all = Object.keys(layers);

const layerRules = Object.entries(layers).map(([layer, allowed]) => ({
  files: [`src/${layer}/**/*.ts`],
  rules: {
    'no-restricted-imports': [
      'error',
      {
        patterns: all
          .filter(other => other !== layer && !allowed.includes(other))
          .map(other => ({
            group: [`../${other}/*`, `../../${other}/*`, `../../../${other}/*`, `../${other}`, `../../${other}`],
            message: `src/${layer} may not import src/${other}: dependencies point one way (STYLE.md §2).`
          }))
      }
    ]
  }
}));

export default tseslint.config(
  { ignores: ['dist/**', '.test-build/**', 'node_modules/**', 'bench/results/**', 'scratch/**', 'coverage/**', '**/*.js', '**/*.mjs'] },
  ...tseslint.configs.recommendedTypeChecked,
  {
    languageOptions: {
      parserOptions: { project: './tsconfig.check.json', tsconfigRootDir: import.meta.dirname }
    },
    plugins: { unicorn },
    rules: {
      '@typescript-eslint/consistent-type-imports': ['error', { fixStyle: 'inline-type-imports' }],
      '@typescript-eslint/switch-exhaustiveness-check': ['error', { considerDefaultExhaustiveForUnions: true }],
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/require-await': 'off',
      '@typescript-eslint/no-misused-promises': ['error', { checksVoidReturn: false }],
      '@typescript-eslint/restrict-template-expressions': 'off',
      '@typescript-eslint/no-redundant-type-constituents': 'off',
      'unicorn/filename-case': ['error', { case: 'kebabCase' }]
    }
  },
  { files: ['src/**/*.ts'], rules: { 'no-console': 'error' } },
  ...layerRules,
  {
    files: ['test/**/*.ts', 'bench/**/*.ts', 'scripts/**/*.ts', 'src/**/*.test.ts'],
    rules: {
      '@typescript-eslint/no-unsafe-assignment': 'off',
      '@typescript-eslint/no-unsafe-member-access': 'off',
      '@typescript-eslint/no-unsafe-call': 'off',
      '@typescript-eslint/no-unsafe-argument': 'off',
      '@typescript-eslint/no-unsafe-return': 'off',
      '@typescript-eslint/no-non-null-assertion': 'off',
      '@typescript-eslint/no-explicit-any': 'off',
      // node:test's describe/it return promises that the runner awaits.
      '@typescript-eslint/no-floating-promises': 'off'
    }
  }
);
