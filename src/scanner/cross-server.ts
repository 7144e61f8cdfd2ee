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

/**
 * Identifiers that can be distinctive names: runs of letters, digits, `_`, `-` and `.` (the separators trimmed
 * at their ends) with a separator inside or a camel hump. Read as maximal runs, in time linear in the text: a
 * pattern that backtracks over every length of a run took 30 s on a 100,000-letter description.
 */
function* identifiers(text: string): Generator<{ name: string; index: number }> {
  for (const run of text.matchAll(/[A-Za-z0-9_.-]+/g)) {
    const lead = /^[_.-]*/.exec(run[0])?.[0].length ?? 0;
    const name = run[0].slice(lead).replace(/[_.-]+$/, '');
    if (/[A-Za-z0-9][_.-]+[A-Za-z0-9]/.test(name) || /[a-z0-9][A-Z]/.test(name)) yield { name, index: run.index + lead };
  }
}

/**
 * E002 in one text of a tool of `server`: a name of another server's tool (one `server` does not list
 * itself). High when the sentence tells the model something about it (use it, instead of it, before it),
 * medium for a bare mention.
 */
export function matchCrossServer(text: string, server: string, index: ToolNameIndex, plain = normalise(clip(text), false)): TextMatch | undefined {
  if (index.size === 0) return undefined;
  let medium: TextMatch | undefined;
  for (const found of identifiers(plain)) {
    const owners = index.get(found.name.toLowerCase());
    if (!owners || owners.has(server)) continue;
    const start = Math.max(plain.lastIndexOf('.', found.index) + 1, plain.lastIndexOf('\n', found.index) + 1, 0);
    const stop = plain.slice(found.index).search(/[.\n](?:\s|$)/);
    const sentence = plain.slice(start, stop === -1 ? undefined : found.index + stop);
    const others = [...owners].join(', ');
    const evidence = `${excerpt(plain, found.index, found.name.length)} (a tool of ${others})`;
    if (directive.test(sentence.replace(found.name, ' '))) return { rule: 'E002', severity: 'high', evidence };
    medium ??= { rule: 'E002', severity: 'medium', evidence };
  }
  return medium;
}
