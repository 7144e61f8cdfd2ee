import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { resolve } from 'node:path';

import { stringify } from 'yaml';

import { importClientConfig } from '../../config/index.js';
import { ManifoldError } from '../../core/errors.js';
import type { Output } from '../output.js';
import { type ParsedCommand, stringOption } from '../parsed-command.js';

const starter = `# Manifold config: the MCP servers to put behind one endpoint. See docs/CONFIG.md.
servers:
  memory:
    command: npx
    args: [-y, "@modelcontextprotocol/server-memory"]
  # docs:
  #   url: https://example.com/mcp
  #   headers: { Authorization: "Bearer \${DOCS_TOKEN}" }
`;

/** `manifold init [--from client.json]`: writes a manifold.yaml. */
export async function runInit(parsed: ParsedCommand, output: Output): Promise<number> {
  const from = stringOption(parsed, 'from');
  const out = stringOption(parsed, 'out') ?? 'manifold.yaml';
  let text = starter;
  if (from !== undefined) {
    let source: string;
    try {
      source = readFileSync(resolve(from), 'utf8');
    } catch (error) {
      throw new ManifoldError('CONFIG_NOT_FOUND', `cannot read ${from}: ${(error as Error).message}`);
    }
    const { servers, warnings } = importClientConfig(source, from);
    for (const warning of warnings) output.err(`warning: ${warning}`);
    text = `# Imported from ${from} by manifold init. See docs/CONFIG.md for what else can be set.\n` + stringify({ servers }, { lineWidth: 0 });
  }
  if (out === '-') {
    output.out(text);
    return 0;
  }
  const target = resolve(out);
  if (existsSync(target) && !parsed.values.force) {
    throw new ManifoldError('CONFIG_INVALID', `${out} exists; pass --force to overwrite it, or --out <file>`);
  }
  writeFileSync(target, text);
  output.err(`wrote ${out}; check it with: manifold doctor --config ${out}`);
  return 0;
}
