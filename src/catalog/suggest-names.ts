import { editDistance } from '../core/edit-distance.js';

/**
 * The "did you mean" hint for an unknown tool name: names whose tool part ends with or contains what was
 * typed (of the same server when the typed name names one: `fs__read` → `fs__read_text_file`), then names
 * within a few edits (`fs__raed_file` → `fs__read_file`). Workflow names are tool names without a server and
 * match the same ways. At most `limit`, the closest first.
 */
export function suggestNames(name: string, names: readonly string[], nameSeparator: string, limit = 3): string[] {
  const needle = name.toLowerCase();
  const separator = needle.indexOf(nameSeparator);
  const server = separator > 0 ? needle.slice(0, separator + nameSeparator.length) : undefined;
  const tailOf = (lower: string) => {
    const index = lower.indexOf(nameSeparator);
    return index >= 0 ? lower.slice(index + nameSeparator.length) : lower;
  };
  const needleTail = tailOf(needle);
  const scored: Array<{ candidate: string; score: number }> = [];
  for (const candidate of names) {
    const lower = candidate.toLowerCase();
    const tail = tailOf(lower);
    const sameServer = server === undefined || lower.startsWith(server);
    let score: number | undefined;
    if (sameServer && needleTail.length >= 3 && tail !== needleTail) {
      // Part of the name typed: the end (`graph` for `read_graph`) ranks above a part in the middle.
      if (tail.endsWith(needleTail)) score = 0.1 + tail.length / 1000;
      else if (tail.includes(needleTail)) score = 0.2 + tail.length / 1000;
    }
    const distance = Math.min(editDistance(needle, lower), editDistance(needleTail, tail));
    if (distance <= Math.max(2, Math.floor(Math.min(needle.length, lower.length) / 3))) score = Math.min(score ?? Infinity, distance);
    if (score !== undefined) scored.push({ candidate, score });
  }
  return scored
    .sort((a, b) => a.score - b.score)
    .slice(0, limit)
    .map(entry => entry.candidate);
}
