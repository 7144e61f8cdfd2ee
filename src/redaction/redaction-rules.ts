/**
 * The rule table of secrets and PII (docs/SECURITY.md "Redaction"). Each rule finds one kind of value in text and
 * names it: a match becomes `[REDACTED:<id>]`. Precision matters more than recall: a rule that fires on ordinary
 * text (a commit SHA, a UUID, an image) breaks results, so every pattern is anchored on a prefix or a structure
 * the secret has, and the loose ones (cards, high entropy) carry a check on top.
 */

/** `high`: the match is a credential beyond reasonable doubt (block mode refuses arguments that carry one). */
export type RuleConfidence = 'high' | 'low';

export interface RedactionRule {
  /** The marker's type, `[REDACTED:<id>]`. */
  readonly id: string;
  readonly confidence: RuleConfidence;
  /** A global regular expression; a match is replaced, or only its `secret` group when it has one (after `lead`). */
  readonly pattern: RegExp;
  /**
   * Instead of running `pattern` over the whole text: the candidate spans, found by a hand-written scan (a regular
   * expression that starts with a character class tries every position, 50-100x slower on prose). Each span is
   * checked by `validate` and replaced.
   */
  readonly scan?: (text: string) => Array<{ start: number; end: number }>;
  /** A cheap test a text must pass before the pattern runs (a literal the secret always carries). */
  readonly hint?: (text: string) => boolean;
  /** A further check of a match (Luhn, entropy); the match stays when it says no. */
  readonly validate?: (match: string, text: string, index: number) => boolean;
}

/** The marker that replaces a value of rule `id`. */
export function markerOf(id: string): string {
  return `[REDACTED:${id}]`;
}

/** Luhn's checksum over the digits of a card number (separators ignored). */
export function luhnValid(digits: string): boolean {
  let sum = 0;
  let double = false;
  for (let index = digits.length - 1; index >= 0; index--) {
    let digit = digits.charCodeAt(index) - 48;
    if (digit < 0 || digit > 9) continue;
    if (double) {
      digit *= 2;
      if (digit > 9) digit -= 9;
    }
    sum += digit;
    double = !double;
  }
  return sum % 10 === 0;
}

/** Shannon entropy in bits per character. */
export function shannonEntropy(text: string): number {
  const counts = new Map<number, number>();
  for (let index = 0; index < text.length; index++) {
    const code = text.charCodeAt(index);
    counts.set(code, (counts.get(code) ?? 0) + 1);
  }
  let entropy = 0;
  for (const count of counts.values()) {
    const p = count / text.length;
    entropy -= p * Math.log2(p);
  }
  return entropy;
}

/** Card brands by their first digits (IIN) and length: Visa, Mastercard, Amex, Discover, JCB, Diners. */
const cardPrefix =
  /^(?:4\d{12}(?:\d{3}){0,2}|5[1-5]\d{14}|2(?:2[2-9][1-9]|2[3-9]\d|[3-6]\d\d|7[01]\d|720)\d{12}|3[47]\d{13}|6(?:011|5\d\d)\d{12,15}|35(?:2[89]|[3-8]\d)\d{12,15}|3(?:0[0-5]|[689]\d)\d{11,16})$/;

function cardNumber(match: string): boolean {
  const digits = match.replace(/[ -]/g, '');
  // Separators, if any, one kind only (`4111 1111 1111 1111`, `4111-1111-…`), not a mix that a list of numbers makes.
  if (/ /.test(match) && /-/.test(match)) return false;
  return cardPrefix.test(digits) && luhnValid(digits) && !/^(\d)\1+$/.test(digits);
}

/**
 * High-entropy strings, conservative (docs/SECURITY.md "Redaction" documents the thresholds): a run of 32 to 200
 * base64/base64url characters with upper case, lower case and digits mixed (so hex digests, commit SHAs and UUIDs,
 * which have one case, never match), ≥ 4.5 bits per character of Shannon entropy, and not inside a data: URL or a
 * longer base64 run (images). After a secret-like name (`key=`, `"token": "`, `Bearer `) the bar is lower: 20
 * characters and ≥ 3.8 bits.
 */
export const highEntropy = {
  minLength: 32,
  maxLength: 200,
  minBits: 4.5,
  contextMinLength: 20,
  contextMinBits: 3.8
} as const;

const secretContext =
  /(?:key|token|secret|passw(?:or)?d|pwd|credential|auth(?:orization)?|bearer|signature|private)["']?\s*(?:[:=]|=>)?\s*["']?\s*$/i;

function highEntropyValid(match: string, text: string, index: number): boolean {
  const before = text.slice(Math.max(0, index - 40), index);
  if (/base64,\s*$/.test(before) || /[A-Za-z0-9+/_-]$/.test(before)) return false;
  const after = text.charCodeAt(index + match.length);
  if (after === after && /[A-Za-z0-9+/_-]/.test(String.fromCharCode(after))) return false;
  const body = match.replace(/=+$/, '');
  if (!/[a-z]/.test(body) || !/[A-Z]/.test(body) || !/\d/.test(body)) return false;
  const context = secretContext.test(before);
  if (body.length < (context ? highEntropy.contextMinLength : highEntropy.minLength)) return false;
  return shannonEntropy(body) >= (context ? highEntropy.contextMinBits : highEntropy.minBits);
}

/** Base64 and base64url characters: A-Z a-z 0-9 + / _ - (and `=` padding, taken after a run). */
function isBase64Code(code: number): boolean {
  return (
    (code >= 65 && code <= 90) ||
    (code >= 97 && code <= 122) ||
    (code >= 48 && code <= 57) ||
    code === 43 ||
    code === 47 ||
    code === 95 ||
    code === 45
  );
}

/** Runs of 20 to 200 base64 characters (with their `=` padding); longer runs are binary, not secrets. */
function base64Runs(text: string): Array<{ start: number; end: number }> {
  const runs: Array<{ start: number; end: number }> = [];
  let index = 0;
  while (index < text.length) {
    if (!isBase64Code(text.charCodeAt(index))) {
      index++;
      continue;
    }
    const start = index;
    while (index < text.length && isBase64Code(text.charCodeAt(index))) index++;
    let end = index;
    while (end < text.length && end - index < 2 && text.charCodeAt(end) === 61) end++;
    if (index - start >= highEntropy.contextMinLength && index - start <= highEntropy.maxLength)
      runs.push({ start, end });
    index = end === index ? index : end;
  }
  return runs;
}

/** Whether a text has 13 digits in a row, allowing one space or dash between them (a card number's shape). */
function hasCardDigits(text: string): boolean {
  let digits = 0;
  for (let index = 0; index < text.length; index++) {
    const code = text.charCodeAt(index);
    if (code >= 48 && code <= 57) {
      if (++digits >= 13) return true;
    } else if (!(
      (code === 32 || code === 45) &&
      digits > 0 &&
      index + 1 < text.length &&
      text.charCodeAt(index + 1) >= 48 &&
      text.charCodeAt(index + 1) <= 57
    )) {
      digits = 0;
    }
  }
  return false;
}

function hasDigit(match: string): boolean {
  return /\d/.test(match);
}

/**
 * The default rules, in the order they run: specific prefixes first, so that a key is named for what it is
 * (`sk-ant-` before `sk-`, a connection string's password before the email rule sees `p@host`), the loose rules
 * last (they never see a marker: `[REDACTED:…]` matches none of them).
 */
export const defaultRules: readonly RedactionRule[] = [
  {
    id: 'private-key',
    confidence: 'high',
    // A PEM private key (RSA, EC, OPENSSH, ENCRYPTED, PGP…): the block, or up to the text's end if it is cut.
    pattern:
      /-----BEGIN (?:[A-Z0-9]+ )*PRIVATE KEY(?: BLOCK)?-----(?:[\s\S]*?-----END (?:[A-Z0-9]+ )*PRIVATE KEY(?: BLOCK)?-----|[A-Za-z0-9+/=\s\\:-]*)/g,
    hint: text => text.includes('PRIVATE KEY')
  },
  {
    id: 'aws-access-key',
    confidence: 'high',
    pattern: /\b(?:AKIA|ASIA|ABIA|ACCA)[A-Z2-7]{16}\b/g
  },
  {
    id: 'github-token',
    confidence: 'high',
    pattern: /\b(?:gh[pousr]_[A-Za-z0-9]{36,251}|github_pat_[A-Za-z0-9_]{22,255})\b/g
  },
  {
    id: 'gitlab-token',
    confidence: 'high',
    pattern: /\bglpat-[A-Za-z0-9_-]{20,}/g,
    hint: text => text.includes('glpat-')
  },
  {
    id: 'anthropic-api-key',
    confidence: 'high',
    pattern: /\bsk-ant-[A-Za-z0-9_-]{20,}/g,
    hint: text => text.includes('sk-ant-')
  },
  {
    id: 'openai-api-key',
    confidence: 'high',
    // Legacy `sk-` + 48, and the project, service-account and admin keys; at least 20 characters and a digit.
    pattern: /\bsk-(?:proj-|svcacct-|admin-)?[A-Za-z0-9_-]{20,}/g,
    hint: text => text.includes('sk-'),
    validate: hasDigit
  },
  {
    id: 'slack-token',
    confidence: 'high',
    pattern: /\bxox[abpre]-[A-Za-z0-9-]{10,}/g,
    hint: text => text.includes('xox'),
    validate: hasDigit
  },
  {
    id: 'jwt',
    confidence: 'high',
    // header.payload.signature, both JSON objects (base64url of `{"`), the signature may be empty (alg none).
    pattern: /\beyJ[A-Za-z0-9_-]{8,}\.eyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]*/g,
    hint: text => text.includes('eyJ')
  },
  {
    id: 'connection-password',
    confidence: 'high',
    // scheme://user:password@host — only the password goes (`postgres://app:[REDACTED:connection-password]@db`).
    // The literal `://` first (the engine searches for it); the scheme before it is checked by `validate`.
    pattern: /(?<lead>:\/\/[^\s:/@'"]{1,128}:)(?<secret>[^\s/@'"]{1,256})(?=@[^\s@/'"]+)/g,
    hint: text => text.includes('://'),
    validate: (_match, text, index) =>
      /(?:^|[^a-zA-Z0-9+.-])[a-zA-Z][a-zA-Z0-9+.-]{1,20}$/.test(text.slice(Math.max(0, index - 22), index))
  },
  {
    id: 'card-number',
    confidence: 'low',
    pattern: /(?<![\d.-])\d(?:[ -]?\d){12,18}(?![\d.-]?\d)/g,
    hint: hasCardDigits,
    validate: cardNumber
  },
  {
    id: 'email',
    confidence: 'low',
    pattern:
      /\b[A-Za-z0-9._%+-]{1,64}@[A-Za-z0-9](?:[A-Za-z0-9-]{0,62}[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,62}[A-Za-z0-9])?)*\.[A-Za-z]{2,24}\b/g,
    hint: text => text.includes('@'),
    // `scheme://user@host` is a URL's user and `git@host:org/repo` an SSH remote, not addresses.
    validate: (match, text, index) =>
      !text.startsWith('://', index - 3) &&
      !(text[index + match.length] === ':' && /\S/.test(text[index + match.length + 1] ?? ' '))
  },
  {
    id: 'high-entropy',
    confidence: 'low',
    pattern: /[A-Za-z0-9+/_-]{20,200}={0,2}/g,
    scan: base64Runs,
    validate: highEntropyValid
  }
];
