import type { ScanSeverity } from '../config/index.js';
import { anyHidden, escapeInvisible } from './hidden-characters.js';
import type { RuleId } from './rules.js';
import type { TextField } from './text-fields.js';

/** A rule's match in one text, before it is tied to a server, tool and field. */
export interface TextMatch {
  rule: RuleId;
  severity: ScanSeverity;
  evidence: string;
}

interface Pattern {
  rule: RuleId;
  severity: ScanSeverity;
  regex: RegExp;
  /** The pattern runs only on text (lower-cased) that holds one of these: most text holds none, cheaply. */
  needs?: readonly string[];
}

// Each pattern reads the normalised text (see `normalise`): lower case except where case is the signal,
// single spaces, hidden characters dropped (tag characters read as the ASCII they spell).
const negation = String.raw`(?:do not|don't|dont|never|must not|should not|shouldn't|without)`;
const gap = (words: number) => String.raw`(?:[\w'’-]+\s+){0,${words}}?`;

export const textPatterns: readonly Pattern[] = [
  // E001: instructions aimed at the model.
  { rule: 'E001', severity: 'high', regex: /\b(?:ignore|disregard|forget|override|bypass|skip)\s+(?:all\s+|any\s+|the\s+|your\s+|every\s+)*(?:previous|prior|above|earlier|preceding|other|system|original|existing|safety)\s+(?:\w+\s+)?(?:instructions?|prompts?|rules|guidelines|directives|messages|constraints|policies)\b/i , needs: ['ignor', 'disregard', 'forget', 'overrid', 'bypass', 'skip'] },
  { rule: 'E001', severity: 'high', regex: new RegExp(String.raw`\b${negation}\s+${gap(3)}(?:tell|telling|inform|informing|notify|notifying|alert|alerting|warn|warning|remind|reminding|show|showing|ask|asking)\s+(?:the\s+)?(?:user|human|operator)s?\b`, 'i') , needs: ['not', 'never', 'without'] },
  { rule: 'E001', severity: 'high', regex: new RegExp(String.raw`\b${negation}\s+${gap(3)}(?:mention|mentioning|reveal|revealing|disclose|disclosing|say|saying|explain|explaining|report|reporting|show|showing)\s+${gap(5)}to\s+the\s+(?:user|human)s?\b`, 'i') , needs: ['to the user', 'to the human'] },
  { rule: 'E001', severity: 'high', regex: /\bwithout\s+(?:the\s+)?(?:user|human)(?:'s|’s|s')?\s+(?:knowledge|noticing|knowing|awareness|consent)\b/i , needs: ['without'] },
  { rule: 'E001', severity: 'high', regex: /\b(?:the\s+)?(?:user|human)\s+(?:must|should)\s+(?:not|never)\s+(?:know|see|notice|find out|be told)\b/i , needs: ['must', 'should'] },
  { rule: 'E001', severity: 'high', regex: /<\s*\/?\s*(?:important|system|instructions?|secret|hidden|admin|critical|assistant|system[_-]?prompt|user[_-]?instructions?|sys)\s*>/i , needs: ['<'] },
  { rule: 'E001', severity: 'high', regex: /<\|\s*(?:im_start|im_end|system|user|assistant|endoftext|start_header_id|end_header_id|eot_id)\s*\|>|\[\/?INST\]|<<\/?SYS>>/i , needs: ['<|', 'inst]', '<<'] },
  { rule: 'E001', severity: 'high', regex: /(?:^|\n)\s*(?:#{1,4}\s*)?(?:system|assistant|human)\s*:\s*\S/i , needs: [':'] },
  { rule: 'E001', severity: 'high', regex: /\b(?:your\s+new\s+(?:task|instructions?|role|goal|objective)|new\s+instructions?\s*:|you\s+are\s+now\s+(?:a|an|in|the)\b|(?:system|developer)\s+(?:override|prompt\s+override)|jailbreak)/i , needs: ['new', 'you are now', 'override', 'jailbreak'] },
  // E003: taking over how the model behaves beyond this tool.
  { rule: 'E003', severity: 'high', regex: /\b(?:from now on|for the rest of (?:the|this) (?:conversation|session|chat)|in all (?:future|subsequent) (?:requests?|calls?|messages?|responses?|conversations?)|for (?:all|every) (?:future|subsequent|following) (?:requests?|calls?|messages?|responses?|interactions?))\b/i , needs: ['from now on', 'rest of', 'future', 'subsequent', 'following'] },
  { rule: 'E003', severity: 'high', regex: new RegExp(String.raw`\b(?:do not|don't|never)\s+(?:use|call|invoke|run)\s+(?:any\s+)?(?:other|the other|another)\s+(?:tools?|servers?|functions?)\b`, 'i') , needs: ['other', 'another'] },
  { rule: 'E003', severity: 'high', regex: /\b(?:change|replace|redirect|set|add|override|switch)\b[^.\n]{0,40}\b(?:recipient|recipients|destination|to address|to-address|bcc|cc|account number|iban|wallet address)\b[^.\n]{0,20}\b(?:to|as|with)\s+[\w.+-]+@[\w-]+(?:\.[\w-]+)+/i , needs: ['@'] },
  { rule: 'E003', severity: 'high', regex: /\b(?:always|also)\s+(?:send|forward|copy|bcc|cc|include)\b[^.\n]{0,40}\b(?:to|with)\s+[\w.+-]+@[\w-]+(?:\.[\w-]+)+/i , needs: ['@'] },
  { rule: 'E003', severity: 'medium', regex: /\b(?:before|prior to)\s+(?:using|calling|running|invoking|executing)\s+(?:any|every|all|each)\s+(?:other\s+)?(?:tools?|functions?|commands?)\b/i , needs: ['before', 'prior to'] },
  { rule: 'E003', severity: 'medium', regex: /\b(?:always|must|first)\s+(?:\w+\s+){0,2}?(?:call|use|invoke|run)\s+this\s+tool\s+(?:first|before|whenever|every time)\b/i , needs: ['this tool'] },
  // E005: secrets and sensitive files.
  { rule: 'E005', severity: 'high', regex: /(?:~|\$home|%userprofile%|\/home\/\w+|\/root|\/users\/\w+)?\/?\.ssh\/(?:id_\w+|authorized_keys|known_hosts|config)\b|~\/\.ssh\b|\bid[_ ](?:rsa|dsa|ecdsa|ed25519)\b/i , needs: ['ssh', 'id_', 'id '] },
  { rule: 'E005', severity: 'high', regex: /\.aws\/credentials|\.config\/gcloud|\.kube\/config|\.docker\/config\.json|(?:^|[\s"'`(/~])\.(?:npmrc|netrc|pgpass|git-credentials|bash_history|zsh_history)\b|\/etc\/(?:passwd|shadow|sudoers)\b/i , needs: ['aws', 'gcloud', 'kube', 'docker', '.npmrc', '.netrc', '.pgpass', 'git-cred', 'history', '/etc/'] },
  { rule: 'E005', severity: 'high', regex: /\bmcp\.json\b|claude_desktop_config(?:\.json)?\b|\.cursor\/mcp|\.vscode\/mcp|\bmcp_config\.json\b/i , needs: ['mcp', 'claude_desktop'] },
  { rule: 'E005', severity: 'high', regex: /\b(?:read|open|cat|include|attach|send|upload|pass|provide|copy|extract|collect|load|dump|print|output|fetch|get)\b[^.\n]{0,40}(?:^|[\s"'`(/~])\.env(?:\.[a-z]+)?(?![\w-])/i , needs: ['.env'] },
  { rule: 'E005', severity: 'high', regex: /\b(?:read|send|include|extract|collect|steal|harvest|upload|copy|pass|provide|attach|dump|exfiltrate|gather)\b[^.\n]{0,40}\b(?:the user'?s|the user’s|your|all|stored|saved|browser|local)\s+(?:\w+\s+)?(?:cookies|credentials|passwords?|api[ _]keys?|secrets?|private[ _]keys?|ssh[ _]keys?|session[ _]tokens?|keychain|wallets?|seed phrases?|environment variables|env vars)\b/i , needs: ['cookie', 'credential', 'password', 'key', 'secret', 'token', 'keychain', 'wallet', 'seed', 'environment', 'env var'] },
  { rule: 'E005', severity: 'medium', regex: /(?:^|[\s"'`(/~])\.env(?:\.(?:local|production|development))?(?![\w-])(?=[\s"'`).,;:]|$)/i , needs: ['.env'] },
  // E006: sending data to a URL.
  { rule: 'E006', severity: 'high', regex: /\b(?:send|post|upload|forward|transmit|exfiltrate|leak|beacon|report|submit|mirror|copy|log)\b[^\n]{0,80}?\b(?:conversation|chat|messages?|history|data|contents?|results?|arguments?|secrets?|keys?|tokens?|files?|credentials?|everything|information|details|context|prompt)\b[^\n]{0,60}?\b(?:https?:\/\/|wss?:\/\/)\S+/i , needs: ['://'] },
  { rule: 'E006', severity: 'high', regex: /\b(?:https?|wss?):\/\/[^\s"'<>]+[?&](?:data|d|q|c|content|secret|key|token|payload|conversation|history|msg|message|leak|exfil)=(?:\{|\$|<|%7b)/i , needs: ['://'] },
  { rule: 'E006', severity: 'high', regex: /\bcurl\b[^\n]{0,80}(?:\s-d\b|--data\b|-F\b|--upload-file\b)[^\n]{0,80}https?:\/\//i , needs: ['curl'] },
  // E007: asking for the conversation or the system prompt in prose.
  { rule: 'E007', severity: 'high', regex: /\b(?:include|pass|provide|send|put|paste|copy|insert|add|fill|supply|dump|append|attach|summari[sz]e)\b[^.\n]{0,40}?\b(?:(?:the\s+)?(?:entire|full|whole|complete|verbatim|previous|prior|current|all(?:\s+the)?|this)\s+(?:conversation|chat|dialog(?:ue)?|message history|messages)(?!\s*(?:id|ids|identifier|name|names|url|link|channel|thread|title)\b)|(?:the\s+|your\s+)?(?:chat|conversation|message) history|(?:the\s+|your\s+)?system\s+prompt|(?:the\s+|your\s+)?(?:system|hidden|original|initial)\s+instructions|previous messages|prior messages|context window)\b/i , needs: ['conversation', 'chat', 'dialog', 'message', 'prompt', 'instructions', 'context window'] },
  // W001: suspicious words, reported low.
  { rule: 'W001', severity: 'low', regex: /<!--[\s\S]*?-->|\b(?:secretly|covertly|stealthily|surreptitiously|silently (?:send|forward|copy|upload|read|include|add))\b/i, needs: ['<!--', 'secretly', 'covertly', 'stealthily', 'surreptitiously', 'silently'] },
];

/** Words in capitals that mark text meant to override (IMPORTANT:, CRITICAL!). Case is the signal. */
const emphatic = /\b(?:IMPORTANT|CRITICAL|URGENT|ATTENTION|MANDATORY|REQUIRED ACTION|OVERRIDE)\b\s*[:!]/;

/**
 * The text the patterns read: tag characters as the ASCII they spell (hidden text is read too), other
 * invisible characters dropped (`ig\u200bnore` is `ignore`), and in names `_`, `-` and camel humps as spaces.
 */
export function normalise(text: string, isName: boolean): string {
  let out = text;
  if (anyHidden.test(text)) {
    out = '';
    for (const char of text) {
      const code = char.codePointAt(0) ?? 0;
      if (code >= 0xe0020 && code <= 0xe007e) out += String.fromCharCode(code - 0xe0000);
      else if (!isInvisible(code)) out += char;
    }
  }
  if (isName) out = out.replace(/([a-z])([A-Z])/g, '$1 $2').replace(/[_-]+/g, ' ');
  return out.replace(/[ \t]+/g, ' ');
}

function isInvisible(code: number): boolean {
  return (code >= 0x200b && code <= 0x200f) || (code >= 0x202a && code <= 0x202e) || (code >= 0x2060 && code <= 0x2069) || code === 0xfeff || code === 0x00ad || (code >= 0xe0000 && code <= 0xe007f);
}

/** Text past 100,000 characters is not read (a definition that long is a finding of its own for the reader). */
export function clip(text: string): string {
  return text.length > 100_000 ? text.slice(0, 100_000) : text;
}

/** A short piece of `text` around a match, escaped. */
export function excerpt(text: string, index: number, length: number, room = 40): string {
  const start = Math.max(0, index - room);
  const end = Math.min(text.length, index + length + room);
  const piece = `${start > 0 ? '…' : ''}${text.slice(start, end)}${end < text.length ? '…' : ''}`;
  const escaped = escapeInvisible(piece).replace(/\s+/g, ' ');
  return escaped.length > 240 ? `${escaped.slice(0, 239)}…` : escaped;
}

/** The text rules (E001, E003, E005, E006, E007 in prose, W001) over one field; at most one match per rule. */
export function matchTextRules(field: TextField, text = normalise(clip(field.text), field.kind === 'name' || field.kind === 'property-name')): TextMatch[] {
  const isName = field.kind === 'name' || field.kind === 'property-name';
  const matches: TextMatch[] = [];
  const best = new Map<RuleId, TextMatch>();
  const lower = text.toLowerCase();
  for (const pattern of textPatterns) {
    if (best.get(pattern.rule)?.severity === 'high') continue;
    if (pattern.needs && !pattern.needs.some(word => lower.includes(word))) continue;
    const found = pattern.regex.exec(text);
    if (!found) continue;
    const match = { rule: pattern.rule, severity: pattern.severity, evidence: excerpt(text, found.index, found[0].length) };
    const previous = best.get(pattern.rule);
    if (!previous || (previous.severity !== 'high' && pattern.severity === 'high')) best.set(pattern.rule, match);
  }
  if (!isName && !best.has('W001')) {
    const raw = clip(field.text);
    const found = emphatic.exec(raw);
    if (found) best.set('W001', { rule: 'W001', severity: 'low', evidence: excerpt(raw, found.index, found[0].length) });
  }
  matches.push(...best.values());
  return matches;
}
