import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { createInterface } from 'node:readline/promises';

import { stringify } from 'yaml';

import { type ImportedInput, importClientConfig, workspaceFolderOf } from '../../config/index.js';
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
  const target = resolve(out);
  if (out !== '-' && existsSync(target) && !parsed.values.force) {
    throw new ManifoldError('CONFIG_INVALID', `${out} exists; pass --force to overwrite it, or --out <file>`);
  }
  let text = starter;
  if (from !== undefined) {
    let source: string;
    try {
      source = readFileSync(resolve(from), 'utf8');
    } catch (error) {
      throw new ManifoldError('CONFIG_NOT_FOUND', `cannot read ${from}: ${(error as Error).message}`);
    }
    const workspaceFolder = workspaceFolderOf(dirname(resolve(from)));
    let imported = importClientConfig(source, from, { workspaceFolder });
    // VS Code inputs: asked for on a terminal (Enter keeps the variable); otherwise the variable is written.
    const interactive = process.stdin.isTTY === true && process.stderr.isTTY === true && imported.inputs.length > 0;
    if (interactive) {
      const inputValues = await askForInputs(imported.inputs, out);
      imported = importClientConfig(source, from, { workspaceFolder, inputValues });
    }
    for (const warning of imported.warnings) output.err(`warning: ${warning}`);
    text = `# Imported from ${from} by manifold init. See docs/CONFIG.md for what else can be set.\n` + stringify({ servers: imported.servers }, { lineWidth: 0 });
    const remaining = imported.inputs.filter(input => text.includes(`\${${input.variable}}`));
    if (remaining.length > 0) {
      output.err(
        `the VS Code inputs are read from the environment: set ${remaining
          .map(input => `${input.variable}${input.description ? ` (${input.description})` : ''}`)
          .join(', ')} where Manifold runs (e.g. in the client's "env" for it)`
      );
    }
  }
  if (out === '-') {
    output.out(text);
    return 0;
  }
  writeFileSync(target, text);
  output.err(`wrote ${out}; check it with: manifold doctor --config ${out}`);
  return 0;
}

/** Asks on the terminal for each input's value; an empty answer keeps the `${MANIFOLD_INPUT_…}` reference. */
async function askForInputs(inputs: ImportedInput[], out: string): Promise<Record<string, string>> {
  const terminal = createInterface({ input: process.stdin, output: process.stderr });
  const values: Record<string, string> = {};
  try {
    for (const input of inputs) {
      const what = input.description ? ` (${input.description})` : '';
      const where = input.password ? `; it is a secret and would be written to ${out} in plain text` : '';
      const answer = (await terminal.question(`value for VS Code input "${input.id}"${what}${where} [Enter: read it from \$${input.variable}]: `)).trim();
      if (answer !== '') values[input.id] = answer;
    }
  } finally {
    terminal.close();
  }
  return values;
}
