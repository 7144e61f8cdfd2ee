import { stemmer } from 'stemmer';

/**
 * English function words and the filler of requests ("can you please help me ..."). They carry no
 * information about which tool fits, and in a small catalog BM25's IDF alone does not silence them.
 */
const stopWords = new Set(
  (
    'a about above after again against all am an and any are as at be because been before being below between both but by ' +
    'can could did do does doing down during each few for from further had has have having he her here hers herself him himself ' +
    'his how i if in into is it its itself just let lets me more most my myself no nor not now of off on once only or other our ours ' +
    'ourselves out over own please same shall she should so some such than that the their theirs them themselves then there these ' +
    'they this those through to too under until up very via was we were what when where which while who whom why will with would ' +
    'you your yours yourself yourselves im ive youre dont cant also may might must us etc e g eg ie one'
  ).split(' ')
);

/** True for words that are dropped from queries and documents. */
export function isStopWord(word: string): boolean {
  return stopWords.has(word);
}

/**
 * Chinese, Japanese and Korean script (Han, Hiragana, Katakana with its prolonged-sound mark, Hangul):
 * written without spaces between words (Korean puts them between phrases, with particles attached), so a run
 * of it is one "word" to the splitter and is cut into character bigrams by `tokenize`.
 */
const cjkCharacter = /[\p{Script=Han}\p{Script=Hiragana}\p{Script=Katakana}\p{Script=Hangul}\u30fc]/u;
const cjkRun = /[\p{Script=Han}\p{Script=Hiragana}\p{Script=Katakana}\p{Script=Hangul}\u30fc]+/gu;

/** True when `word` is a run of CJK characters (as `splitWords` returns them). */
export function isCjkWord(word: string): boolean {
  return cjkCharacter.test(word);
}

/**
 * The overlapping character bigrams of a CJK run (`查询天气` → 查询, 询天, 天气), or the run itself when it is a
 * single character. Bigrams are what CJK search engines index without a dictionary (Lucene's
 * `CJKBigramFilter`): any two-character part of a phrase finds it, and no word segmenter is needed.
 */
export function cjkBigrams(run: string): string[] {
  const characters = [...run];
  if (characters.length < 2) return characters;
  const bigrams: string[] = [];
  for (let index = 0; index + 1 < characters.length; index++)
    bigrams.push(`${characters[index]}${characters[index + 1]}`);
  return bigrams;
}

/**
 * Splits text into lowercase words, breaking identifiers apart: `getFileContents`, `get_file_contents`,
 * `get-file-contents` and `HTTPServer2` all become their words (`http server 2`). Apostrophes are dropped
 * (`don't` → `dont`); every other non-alphanumeric character separates, and so does a change between CJK
 * script and other letters (`标准adcode查询` → 标准, adcode, 查询): a CJK run is kept whole as one word.
 */
export function splitWords(text: string): string[] {
  const words: string[] = [];
  const spaced = text
    .replace(/['’]/g, '')
    // camelCase and PascalCase boundaries: fooBar → foo Bar; HTTPServer → HTTP Server
    .replace(/([a-z\d])([A-Z])/g, '$1 $2')
    .replace(/([A-Z]+)([A-Z][a-z])/g, '$1 $2')
    // letters and digits: base64 stays one word, but v2api → v2 api is not worth the ambiguity; split only letter→digit runs of 2+
    .replace(/([a-zA-Z]{2,})(\d+)(?=[^a-zA-Z\d]|$)/g, '$1 $2');
  for (const match of spaced.toLowerCase().matchAll(/[\p{L}\p{N}]+/gu)) {
    const word = match[0];
    if (!isCjkWord(word)) {
      words.push(word);
      continue;
    }
    // Letters of other scripts on either side of a CJK run are words of their own.
    for (const part of word.replace(cjkRun, run => ` ${run} `).split(' ')) if (part !== '') words.push(part);
  }
  return words;
}

const stemCache = new Map<string, string>();

/** The Porter stem of a lowercase word (cached: catalogs and queries repeat words a lot). */
export function stem(word: string): string {
  let stemmed = stemCache.get(word);
  if (stemmed === undefined) {
    stemmed = /^[a-z]+$/.test(word) && word.length > 2 ? stemmer(word) : word;
    if (stemCache.size > 200_000) stemCache.clear();
    stemCache.set(word, stemmed);
  }
  return stemmed;
}

/**
 * Words of `text` without stop words, stemmed: the terms that documents and queries are indexed by. A CJK
 * run becomes its character bigrams, unstemmed, so a partial phrase of a Chinese description finds it.
 */
export function tokenize(text: string): string[] {
  const terms: string[] = [];
  for (const word of splitWords(text)) {
    if (isCjkWord(word)) terms.push(...cjkBigrams(word));
    else if (!stopWords.has(word)) terms.push(stem(word));
  }
  return terms;
}
