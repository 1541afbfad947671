// JSON-lines parsers: our own corpus shape ('jsonl') and Kaggle's "arxiv-metadata-oai-snapshot" ('kaggle').
// Pure and per line: the caller streams the file and hands each line over, so one bad line never stops an import.
import { normalizeRecord, RecordError, type RecordInput } from '../papers/paper.ts';
import { listingDayFor } from '../papers/listing.ts';
import type { ParseItem, Where } from './types.ts';

type Json = Record<string, unknown>;

/** Runs normalizeRecord and turns a RecordError into a rejected item; anything else is a bug and is rethrown. */
export function toParseItem(input: RecordInput, where: Where): ParseItem {
  try {
    return { ok: true, record: normalizeRecord(input, listingDayFor), where };
  } catch (err) {
    if (err instanceof RecordError) return { ok: false, where, field: err.field, message: err.message };
    throw err;
  }
}

const NAME_CHAR = /[\p{L}\p{N}]/u;
/** Whether an author entry is a name at all: arXiv's metadata has stray ":" authors after collaborations. */
export const isAuthorName = (s: string): boolean => NAME_CHAR.test(s);

const isObject = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);
const NON_BLANK = /\S/;

/**
 * Parses one line of a JSON-lines file. Returns null for a blank line; a line that is not JSON, or not an
 * object, becomes a rejected item with field '(json)'.
 */
export function parseJsonlLine(line: string, where: Where, format: 'jsonl' | 'kaggle'): ParseItem | null {
  if (!NON_BLANK.test(line)) return null;
  let obj: unknown;
  try {
    obj = JSON.parse(line);
  } catch (err) {
    return { ok: false, where, field: '(json)', message: `not valid JSON: ${(err as Error).message}` };
  }
  if (!isObject(obj)) {
    return { ok: false, where, field: '(json)', message: `expected a JSON object, got ${Array.isArray(obj) ? 'an array' : typeof obj}` };
  }
  return toParseItem(format === 'kaggle' ? kaggleInput(obj) : corpusInput(obj), where);
}

/** Our corpus: {id, title, authors[], categories[], comment, summary, first_listed}. */
function corpusInput(o: Json): RecordInput {
  return {
    id: o.id,
    title: o.title,
    abstract: o.summary,
    authors: o.authors,
    categories: o.categories,
    comment: o.comment,
    firstListed: o.first_listed,
    source: 'jsonl',
  };
}

/** Kaggle's snapshot: arXiv's OAI metadata flattened to one JSON object a line. */
function kaggleInput(o: Json): RecordInput {
  return {
    id: o.id,
    title: o.title,
    abstract: o.abstract,
    authors: kaggleAuthors(o),
    categories: typeof o.categories === 'string' ? splitWords(o.categories) : o.categories,
    comment: o.comments,
    journalRef: o['journal-ref'],
    doi: typeof o.doi === 'string' ? firstDoi(o.doi) : o.doi,
    license: o.license,
    // firstListed and publishedAt follow from v1's date (normalizeRecord); `update_date` is when the metadata
    // last changed, not a version, so it is not used.
    versions: Array.isArray(o.versions)
      ? o.versions.map((v) => (isObject(v) ? { version: v.version, date: v.created } : v))
      : o.versions,
    source: 'kaggle',
  };
}

function kaggleAuthors(o: Json): unknown {
  if (Array.isArray(o.authors_parsed) && o.authors_parsed.length > 0) {
    const names: unknown[] = [];
    for (const parts of o.authors_parsed) {
      if (!Array.isArray(parts)) {
        names.push(parts); // let validation name the bad entry
        continue;
      }
      // [last, first, suffix, ...]: "first last suffix"
      const [last, first, suffix] = parts as unknown[];
      const name = [first, last, suffix].filter((p) => typeof p === 'string' && p.trim() !== '').join(' ').trim();
      if (isAuthorName(name)) names.push(name);
    }
    return names;
  }
  return typeof o.authors === 'string' ? splitAuthorList(o.authors) : o.authors;
}

const WS = /\s+/;
const splitWords = (s: string) => s.split(WS).filter(Boolean);

/** arXiv's doi field can hold several DOIs separated by spaces (article + erratum): the first is the article's. */
export function firstDoi(s: string): string {
  return s.trim().split(WS)[0] ?? '';
}

const WS_GLOBAL = /\s+/g;
const AND_SEPARATOR = /\s+and\s+/i;
const AND_AT_START = /^\s+and\s+/i;
const LEADING_AND = /^and\s+/i;
const PARENS = /\([^()]*\)/g;
const NAME_SUFFIX = /^(jr|sr|ii|iii|iv)\.?$/i;
const ET_AL = /^et\.? al\.?$/i;

/**
 * Splits an arXiv author string ("A. Smith, B. Jones (MIT, CERN), and C. Wu") into names: commas and " and "
 * outside parentheses separate names, parenthesised affiliations are dropped, "Jr." stays with its name
 * ("John Smith, Jr." -> "John Smith Jr.").
 */
export function splitAuthorList(s: string): string[] {
  const pieces: string[] = [];
  let depth = 0;
  let start = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s[i];
    if (c === '(') depth++;
    else if (c === ')') depth = Math.max(0, depth - 1);
    else if ((c === ',' || c === ';') && depth === 0) {
      pieces.push(s.slice(start, i));
      start = i + 1;
    }
  }
  pieces.push(s.slice(start));
  const names: string[] = [];
  for (const piece of pieces) {
    for (const part of splitOutsideParens(piece)) {
      // Nested parentheses ("(Dept. (X))") need repeated passes.
      let name = part;
      for (let guard = 0; guard < 5 && name.includes('('); guard++) name = name.replace(PARENS, ' ');
      name = name.replace(WS_GLOBAL, ' ').trim().replace(LEADING_AND, '');
      if (!isAuthorName(name) || ET_AL.test(name)) continue;
      if (NAME_SUFFIX.test(name) && names.length > 0) names[names.length - 1] += ` ${name}`;
      else names.push(name);
    }
  }
  return names;
}

/** Splits on " and " that is not inside parentheses. */
function splitOutsideParens(piece: string): string[] {
  if (!AND_SEPARATOR.test(piece)) return [piece];
  if (!piece.includes('(')) return piece.split(AND_SEPARATOR);
  const out: string[] = [];
  let depth = 0;
  let start = 0;
  for (let i = 0; i < piece.length; i++) {
    const c = piece[i];
    if (c === '(') depth++;
    else if (c === ')') depth = Math.max(0, depth - 1);
    else if (depth === 0 && (c === ' ' || c === '\t' || c === '\n')) {
      const m = AND_AT_START.exec(piece.slice(i, i + 12));
      if (m) {
        out.push(piece.slice(start, i));
        i += m[0].length - 1;
        start = i + 1;
      }
    }
  }
  out.push(piece.slice(start));
  return out;
}

/**
 * Which JSON-lines shape a first parsed line has: Kaggle (authors_parsed, or versions of {version, created}),
 * our corpus (first_listed, or summary with a list of name strings), Hugging Face (a nested `paper` object,
 * or authors as {name} objects), or null when none fits.
 */
export function detectJsonlFormat(obj: unknown): 'jsonl' | 'kaggle' | 'hf-daily' | null {
  if (!isObject(obj)) return null;
  if (isObject(obj.paper)) return 'hf-daily';
  if (Array.isArray(obj.authors_parsed)) return 'kaggle';
  if (Array.isArray(obj.versions) && obj.versions.some((v) => isObject(v) && 'version' in v && 'created' in v)) return 'kaggle';
  if ('first_listed' in obj) return 'jsonl';
  if (Array.isArray(obj.authors)) {
    const first = obj.authors[0];
    if (isObject(first) && typeof first.name === 'string') return 'hf-daily';
    if ('summary' in obj && (first === undefined || typeof first === 'string')) return 'jsonl';
  }
  return null;
}
