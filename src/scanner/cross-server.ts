import type { ScannedServer } from './finding.js';
import { clip, excerpt, normalise, type TextMatch } from './text-rules.js';

/** Words that turn a mention of another server's tool into an instruction about it. */
const directive =
  /\b(?:instead|before|after|whenever|always|never|must|should|do not|don't|first|also|make sure|ensure|redirect|change|replace|override|use|call|invoke|send|add|set|pass)\b/i;

/** Names too generic to be a reference (words any description uses). */
function isDistinctive(name: string): boolean {
  if (name.includes('__')) return true;
  return name.length >= 6 && (/[_-]/.test(name) || /[a-z][A-Z]/.test(name));
}

/** Which servers list a tool by each distinctive name (public names and the servers' own names). */
export type ToolNameIndex = Map<string, Set<string>>;

export function createToolNameIndex(servers: readonly ScannedServer[]): ToolNameIndex {
  const index: ToolNameIndex = new Map();
  const add = (name: string, server: string) => {
    if (!isDistinctive(name)) return;
    const key = name.toLowerCase();
    let owners = index.get(key);
    if (!owners) index.set(key, (owners = new Set()));
    owners.add(server);
  };
  for (const server of servers) {
    for (const tool of server.tools) {
      add(tool.publicName, server.name);
      const original = (tool.definition as { name?: unknown } | null)?.name;
      if (typeof original === 'string') add(original, server.name);
    }
  }
  return index;
}

/** Identifiers that can be distinctive names: with `_`, `-` or `.` inside, or a camel hump. */
const identifier = /[A-Za-z0-9]+(?:[_.-]+[A-Za-z0-9]+)+|[a-z0-9]+[A-Z][A-Za-z0-9]*/g;

/**
 * E002 in one text of a tool of `server`: a name of another server's tool (one `server` does not list
 * itself). High when the sentence tells the model something about it (use it, instead of it, before it),
 * medium for a bare mention.
 */
export function matchCrossServer(text: string, server: string, index: ToolNameIndex, plain = normalise(clip(text), false)): TextMatch | undefined {
  if (index.size === 0) return undefined;
  let medium: TextMatch | undefined;
  for (const found of plain.matchAll(identifier)) {
    const owners = index.get(found[0].toLowerCase());
    if (!owners || owners.has(server)) continue;
    const start = Math.max(plain.lastIndexOf('.', found.index) + 1, plain.lastIndexOf('\n', found.index) + 1, 0);
    const stop = plain.slice(found.index).search(/[.\n](?:\s|$)/);
    const sentence = plain.slice(start, stop === -1 ? undefined : found.index + stop);
    const others = [...owners].join(', ');
    const evidence = `${excerpt(plain, found.index, found[0].length)} (a tool of ${others})`;
    if (directive.test(sentence.replace(found[0], ' '))) return { rule: 'E002', severity: 'high', evidence };
    medium ??= { rule: 'E002', severity: 'medium', evidence };
  }
  return medium;
}
