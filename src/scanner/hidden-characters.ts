/** Classes of characters a reader does not see but a model reads (or that reorder what a reader sees). */
export type HiddenClass = 'tag' | 'bidi' | 'zero-width' | 'variation-selector' | 'control';

export interface HiddenRun {
  class: HiddenClass;
  /** Index (in code points) of the first character of the run in the text. */
  position: number;
  /** Code points in the run. */
  length: number;
  /** The run, escaped; for tag characters also the ASCII they spell. */
  evidence: string;
}

function classOf(code: number): HiddenClass | undefined {
  if (code >= 0xe0000 && code <= 0xe007f) return 'tag';
  if ((code >= 0x202a && code <= 0x202e) || (code >= 0x2066 && code <= 0x2069) || code === 0x200e || code === 0x200f || code === 0x061c) return 'bidi';
  if ((code >= 0x200b && code <= 0x200d) || code === 0x2060 || code === 0xfeff || code === 0x180e || code === 0x00ad || (code >= 0x2061 && code <= 0x2064)) return 'zero-width';
  if ((code >= 0xfe00 && code <= 0xfe0f) || (code >= 0xe0100 && code <= 0xe01ef)) return 'variation-selector';
  // C0/C1 controls other than tab, newline and carriage return.
  if ((code < 0x20 && code !== 0x09 && code !== 0x0a && code !== 0x0d) || (code >= 0x7f && code <= 0x9f)) return 'control';
  return undefined;
}

/** Any character `classOf` classifies: most text has none, and this test is what it costs. */
export const anyHidden = /[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f-\u009f\u00ad\u061c\u180e\u200b-\u200f\u202a-\u202e\u2060-\u2069\ufe00-\ufe0f\ufeff]|[\u{e0000}-\u{e007f}\u{e0100}-\u{e01ef}]/u;

/** `\u{…}` for every invisible or control character, so evidence shows what is there. */
export function escapeInvisible(text: string): string {
  if (!anyHidden.test(text)) return text;
  let out = '';
  for (const char of text) {
    const code = char.codePointAt(0) ?? 0;
    out += classOf(code) !== undefined ? `\\u{${code.toString(16)}}` : char;
  }
  return out;
}

const isEmojiLike = (code: number | undefined) => code !== undefined && (code >= 0x1f000 || (code >= 0x2000 && code <= 0x2bff) || code === 0xa9 || code === 0xae || code === 0xfe0f);

/** One variation selector as text uses it: emoji or text presentation of a symbol (⭐️, 1️⃣), a CJK ideograph variant. */
function isPresentationSelector(selector: number, before: number): boolean {
  if (selector === 0xfe0e || selector === 0xfe0f) return before >= 0xa9 || before === 0x23 || before === 0x2a || (before >= 0x30 && before <= 0x39);
  return before >= 0x3000 && before < 0xe0000;
}

/**
 * Runs of hidden characters in `text`. Benign uses are left out: a zero-width joiner or variation selector
 * between emoji (👨‍👩‍👧, ❤️), a byte-order mark at the very start.
 */
export function findHiddenCharacters(text: string): HiddenRun[] {
  if (!anyHidden.test(text)) return [];
  const codes = Array.from(text, char => char.codePointAt(0) ?? 0);
  const runs: HiddenRun[] = [];
  let index = 0;
  while (index < codes.length) {
    const kind = classOf(codes[index] as number);
    if (kind === undefined) {
      index++;
      continue;
    }
    let end = index + 1;
    while (end < codes.length && classOf(codes[end] as number) === kind) end++;
    const length = end - index;
    const before = codes[index - 1];
    const benign =
      (kind === 'zero-width' && length === 1 && codes[index] === 0x200d && isEmojiLike(before)) ||
      (kind === 'zero-width' && index === 0 && length === 1 && codes[index] === 0xfeff) ||
      (kind === 'variation-selector' && length === 1 && before !== undefined && isPresentationSelector(codes[index] as number, before));
    if (!benign) {
      const run = codes.slice(index, end);
      let evidence = run.slice(0, 12).map(code => `\\u{${code.toString(16)}}`).join('') + (length > 12 ? '…' : '');
      if (kind === 'tag') {
        const spelled = run.map(code => code - 0xe0000).filter(code => code >= 0x20 && code < 0x7f).map(code => String.fromCharCode(code)).join('');
        if (spelled.length > 0) evidence += ` (spells "${spelled.slice(0, 80)}${spelled.length > 80 ? '…' : ''}")`;
      }
      runs.push({ class: kind, position: index, length, evidence });
    }
    index = end;
  }
  return runs;
}
