import { tokenize } from './tokenize.js';

/**
 * Words that mean the same thing to someone looking for a tool, written once, in general English and
 * software usage: the verbs of tool names (get/fetch/retrieve), the nouns of APIs (repo/repository,
 * dir/folder) and common abbreviations. A group matches a query word and adds the others to the query as
 * alternatives of that word. The list is deliberately domain-neutral: it was written from tool APIs and
 * dictionaries, not from the evaluation queries. Consumer-domain groups (recipes, hotels, flights, stocks...)
 * were dropped: they moved no query of the MCP-shaped sets. Four groups were widened after reading failures on
 * the development sets (forget/purge, crash, connect/relate, elevation/altitude/height); docs/DISCOVERY.md
 * has what each change did on the held-out set.
 */
const groups: readonly string[] = [
  // verbs of tool names
  'get|fetch|retrieve|obtain|read|load',
  'create|add|new|make|insert|register',
  'delete|remove|erase|destroy|drop|unlink|forget|purge',
  'update|edit|modify|change|patch|alter',
  'list|enumerate|browse',
  'search|find|query|lookup|look up|locate',
  'send|post|publish|submit|dispatch',
  'run|execute|invoke|launch|trigger',
  'stop|halt|terminate|kill|abort',
  'cancel|abort|revoke',
  'write|save|store|persist',
  'show|display|view|print',
  'download|fetch',
  'upload|attach',
  'move|rename|relocate',
  'copy|duplicate|clone',
  'compare|diff',
  'summarize|summary|summarise|tldr',
  'translate|translation|convert language',
  'analyze|analyse|analysis|inspect|examine',
  'calculate|compute|calc|calculator|math',
  'monitor|watch|track|observe',
  'generate|produce|synthesize',
  'describe|explain',
  'check|verify|validate|test',
  'authenticate|login|log in|sign in|auth',
  // nouns of APIs
  'file|document|doc',
  'folder|directory|dir',
  'repo|repository',
  'db|database',
  'msg|message',
  'img|image|picture|photo|pic',
  'config|configuration|settings|preferences|setup',
  'env|environment',
  'info|information|details',
  'desc|description',
  'k8s|kubernetes',
  'pr|pull request|merge request',
  'issue|ticket|bug',
  'email|mail|e-mail|inbox',
  'url|link|website|web page|webpage|site',
  'web|internet|online',
  'user|account|profile|member',
  'id|identifier',
  'num|number|count',
  'qty|quantity|amount',
  'addr|address|location',
  'stats|statistics|metrics|analytics',
  'max|maximum',
  'min|minimum',
  'temp|temperature',
  'tz|timezone|time zone',
  'time|clock|date',
  'chat|conversation|talk',
  'note|memo',
  'task|todo|to do|job',
  'log|logs|logging',
  'error|failure|exception|crash',
  'map|maps|directions|route|navigation',
  'kb|knowledge base',
  'ai|artificial intelligence',
  'ml|machine learning',
  'sql|database query',
  'api|endpoint',
  'graph|chart|plot|diagram|visualization',
  'spreadsheet|sheet|excel|csv',
  'presentation|slides|slide deck',
  'pdf|document',
  'code|source code|program|script',
  'function|method',
  'package|library|dependency|module',
  'container|docker',
  // domains of common MCP servers (browser automation, memory, messaging, maps, archives)
  'memory|remember|memorize|recall',
  'screenshot|screen capture|snapshot',
  'browser|navigate|web page',
  'click|press|tap',
  'channel|room',
  'dm|direct message',
  'geocode|coordinates|latitude longitude',
  'elevation|altitude|height',
  'wiki|wikipedia|encyclopedia',
  'transcribe|transcript|speech to text',
  'zip|compress|gzip|archive',
  'unzip|decompress|extract',
  'hash|checksum|digest',
  'node|vertex|entity',
  'relation|relationship|edge|connect|relate',
  'fact|observation',
  'person|people|contact'
];

export type SynonymTable = ReadonlyMap<string, ReadonlyArray<readonly string[]>>;

/**
 * The lexicon keyed by each stemmed single word of a group; values are the other members, each as its
 * stemmed terms (a phrase such as "pull request" expands to both words).
 */
export function createSynonymTable(lines: readonly string[] = groups): SynonymTable {
  const table = new Map<string, Array<readonly string[]>>();
  for (const line of lines) {
    const members = line
      .split('|')
      .map(member => tokenize(member))
      .filter(member => member.length > 0);
    for (const member of members) {
      if (member.length !== 1) continue;
      const key = member[0] as string;
      const others = members.filter(other => other.join(' ') !== key);
      const entry = table.get(key) ?? [];
      for (const other of others)
        if (!entry.some(existing => existing.join(' ') === other.join(' '))) entry.push(other);
      table.set(key, entry);
    }
  }
  return table;
}

export const defaultSynonyms: SynonymTable = createSynonymTable();
