// The tokenizer shared by the keyword ranker (BM25) and the static embedding model: lowercase, runs of [a-z0-9],
// tokens of at least 2 characters, English stop words removed, Porter stems (the `stemmer` package, Martin
// Porter's 1980 algorithm). Letters with diacritics are folded to their base letter first ("Schrödinger" ->
// "schrodinger") instead of splitting the word. Pure and synchronous; stems are memoised because a corpus
// repeats its words (57k abstracts hold ~10M tokens but only ~100k distinct words).
import { stemmer } from 'stemmer';

/**
 * English stop words: function words (articles, pronouns, auxiliaries, prepositions, conjunctions) and a few
 * adverbs, about the size of the lists in Lucene/NLTK. Content words that scientific text relies on ("model",
 * "learning", "results") are kept on purpose: idf weighs them down where they are common.
 */
export const STOP_WORDS: ReadonlySet<string> = new Set(
  `a about above after again against all also am an and any are aren as at be because been before being below
  between both but by can cannot could couldn did didn do does doesn doing don down during each either else etc
  ever every few for from further had hadn has hasn have haven having he her here hers herself him himself his how
  however i if in into is isn it its itself just let ll may me might more most must mustn my myself neither no nor
  not now of off on once only or other otherwise our ours ourselves out over own per rather re same shall shan she
  should shouldn since so some such than that the their theirs them themselves then there thereby therefore these
  they this those though through thus to too under until up upon us very via was wasn we were weren what whatever
  when where whereas whether which while who whom whose why will with within without won would wouldn ve yet you
  your yours yourself yourselves`
    .split(/\s+/)
    .filter(Boolean),
);

// word -> stem, or '' for a stop word, memoised in an open-addressing table keyed by the word's characters: the
// scanner hashes a word while reading it and finds it without first copying it into a new string (a Map lookup
// would need that copy, and the copies were most of the tokenizer's time).
const TABLE_BITS = 19;
const TABLE_SIZE = 1 << TABLE_BITS;
const MAX_ENTRIES = TABLE_SIZE >> 1; // then the table is emptied: memory stays bounded on adversarial input
let words: (string | undefined)[] = new Array(TABLE_SIZE);
let stems: string[] = new Array(TABLE_SIZE);
let hashes = new Int32Array(TABLE_SIZE);
let entries = 0;

function stemOrStop(word: string): string {
  return STOP_WORDS.has(word) ? '' : stemmer(word);
}

/** The memoised stem ('' for a stop word) of s[start, end), whose FNV-1a hash is h. */
function lookup(s: string, start: number, end: number, h: number): string {
  const len = end - start;
  let slot = h & (TABLE_SIZE - 1);
  for (;;) {
    const w = words[slot];
    if (w === undefined) break;
    if (hashes[slot] === h && w.length === len) {
      let k = 0;
      while (k < len && w.charCodeAt(k) === s.charCodeAt(start + k)) k++;
      if (k === len) return stems[slot];
    }
    slot = (slot + 1) & (TABLE_SIZE - 1);
  }
  const word = s.slice(start, end);
  const st = stemOrStop(word);
  if (entries >= MAX_ENTRIES) {
    words = new Array(TABLE_SIZE);
    stems = new Array(TABLE_SIZE);
    hashes = new Int32Array(TABLE_SIZE);
    entries = 0;
    slot = h & (TABLE_SIZE - 1);
  }
  words[slot] = word;
  stems[slot] = st;
  hashes[slot] = h;
  entries++;
  return st;
}

/** Porter stem of a lowercase word (stop words are stemmed too: this does not filter). */
export function stem(word: string): string {
  return stemmer(word);
}

// Any character outside ASCII: the text needs NFKD folding (é -> e, ﬁ -> fi) before scanning.
const NON_ASCII = /[^\x00-\x7f]/;
const COMBINING_MARKS = /[\u0300-\u036f]/g;

function fold(text: string): string {
  const lower = text.toLowerCase();
  return NON_ASCII.test(lower) ? lower.normalize('NFKD').replace(COMBINING_MARKS, '') : lower;
}

/**
 * The stems of a text, in order, repeats kept (callers count term frequencies).
 * `tokenize("The Transformers are learning!")` -> `["transform", "learn"]`.
 */
export function tokenize(text: string): string[] {
  const s = fold(text);
  const out: string[] = [];
  const n = s.length;
  let i = 0;
  while (i < n) {
    let c = s.charCodeAt(i);
    // skip to the start of a run of [a-z0-9]
    while (i < n && !((c >= 97 && c <= 122) || (c >= 48 && c <= 57))) c = s.charCodeAt(++i);
    const start = i;
    let h = 0x811c9dc5;
    while (i < n && ((c >= 97 && c <= 122) || (c >= 48 && c <= 57))) {
      h = Math.imul(h ^ c, 0x01000193);
      c = s.charCodeAt(++i);
    }
    if (i - start < 2) continue;
    const st = lookup(s, start, i, h);
    if (st !== '') out.push(st);
  }
  return out;
}
