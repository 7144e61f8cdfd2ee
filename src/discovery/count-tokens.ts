import { createRequire } from 'node:module';

import type { Tool } from '@modelcontextprotocol/client';

const require = createRequire(import.meta.url);
let counter: ((text: string) => number) | undefined;

/**
 * The encoding's tables take about 65 MiB and 175 ms to load: they are loaded on the first count, so a
 * gateway that never counts (most of them) never pays for them.
 */
function countO200k(text: string): number {
  counter ??= (require('gpt-tokenizer/encoding/o200k_base') as { countTokens: (text: string) => number }).countTokens;
  return counter(text);
}

/**
 * The encoding tokens are counted in: OpenAI's `o200k_base` (GPT-4o, GPT-4.1, o-series, GPT-5), through
 * gpt-tokenizer. Other model families tokenize differently, by some percent either way; the counts are for
 * comparing definitions and views with each other, and for budgets, not for billing.
 */
export const tokenEncoding = 'o200k_base';

/** Tokens of one tool definition, as JSON (what a tools/list result carries and a client passes on). */
export function countToolTokens(definition: Tool): number {
  return countO200k(JSON.stringify(definition));
}

/** Tokens of a whole tools/list result for these definitions. */
export function countToolListTokens(definitions: readonly Tool[]): number {
  return countO200k(JSON.stringify({ tools: definitions }));
}

/** Tokens of any text (a result's JSON, a list answer's JSON), in the same encoding. */
export function countTextTokens(text: string): number {
  return countO200k(text);
}
