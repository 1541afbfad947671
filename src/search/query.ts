// The search box's syntax, parsed (pure): words, "exact phrases", -exclusions (a word or a "phrase"), OR
// between alternatives, author:name (author:"Jane Doe"), cat:cs.CL (also category:), and an arXiv id or URL
// on its own, which goes straight to the paper. Anything unparseable is read as words: an unbalanced quote
// opens a phrase that runs to the end, operators without a value are dropped.
import { parseArxivId } from '../papers/arxiv-id.ts';

export interface ParsedQuery {
  /** The query as given, trimmed. */
  raw: string;
  /** Words and phrases to rank by, in order (without operators, exclusions or filters). */
  text: string;
  /** Plain words (each may be an alternative of an OR). */
  words: string[];
  /** Required phrases, as written. */
  phrases: string[];
  /** Excluded words and phrases, as written. */
  exclude: string[];
  /** Author names from author: (a paper must have each). */
  authors: string[];
  /** Categories from cat: (a paper must be in one of them). */
  categories: string[];
  /** Whether OR appeared between terms (terms are then alternatives: none is required). */
  hasOr: boolean;
  /** When the whole query is an arXiv id or URL: the canonical id. */
  arxivId: string | null;
}

/** Longest query read; the rest is ignored. */
export const MAX_QUERY_CHARS = 1000;
/** At most this many terms count (words and phrases together). */
export const MAX_QUERY_TERMS = 32;

interface Token {
  value: string;
  quoted: boolean;
  negated: boolean;
  field: string | null;
}

function lex(s: string): Token[] {
  const out: Token[] = [];
  let i = 0;
  while (i < s.length) {
    while (i < s.length && /\s/.test(s[i])) i++;
    if (i >= s.length) break;
    let negated = false;
    if (s[i] === '-' && i + 1 < s.length && !/\s/.test(s[i + 1])) {
      negated = true;
      i++;
    }
    let field: string | null = null;
    const f = /^([a-zA-Z]+):(?=\S)/.exec(s.slice(i));
    if (f && ['author', 'au', 'cat', 'category'].includes(f[1].toLowerCase())) {
      field = f[1].toLowerCase() === 'au' ? 'author' : f[1].toLowerCase() === 'category' ? 'cat' : f[1].toLowerCase();
      i += f[0].length;
    }
    if (s[i] === '"' || s[i] === '“' || s[i] === '”') {
      i++;
      let j = i;
      while (j < s.length && !['"', '“', '”'].includes(s[j])) j++;
      out.push({ value: s.slice(i, j), quoted: true, negated, field });
      i = j + 1;
    } else {
      let j = i;
      while (j < s.length && !/\s/.test(s[j])) j++;
      out.push({ value: s.slice(i, j), quoted: false, negated, field });
      i = j;
    }
  }
  return out;
}

export function parseQuery(input: string): ParsedQuery {
  const raw = input.slice(0, MAX_QUERY_CHARS).trim();
  const q: ParsedQuery = { raw, text: '', words: [], phrases: [], exclude: [], authors: [], categories: [], hasOr: false, arxivId: null };
  if (!raw) return q;
  const id = parseArxivId(raw);
  if (id) {
    q.arxivId = id.id;
    return q;
  }
  const text: string[] = [];
  let terms = 0;
  for (const t of lex(raw)) {
    const value = t.value.replace(/\s+/g, ' ').trim();
    if (!value) continue;
    if (t.field === 'author') {
      if (!t.negated) q.authors.push(value);
      continue;
    }
    if (t.field === 'cat') {
      if (!t.negated && /^[a-z-]+(\.[a-z-]+)?$/i.test(value)) q.categories.push(fixCategoryCase(value));
      continue;
    }
    if (!t.quoted && value === 'OR') {
      q.hasOr = true;
      continue;
    }
    if (t.negated) {
      q.exclude.push(value);
      continue;
    }
    if (terms >= MAX_QUERY_TERMS) continue;
    terms++;
    if (t.quoted && value.includes(' ')) q.phrases.push(value);
    else q.words.push(value);
    text.push(value);
  }
  q.text = text.join(' ');
  return q;
}

/** "cs.cl" -> "cs.CL", "MATH.ag" -> "math.AG", "hep-th" stays. */
function fixCategoryCase(c: string): string {
  const [archive, sub] = c.split('.');
  return sub === undefined ? archive.toLowerCase() : `${archive.toLowerCase()}.${sub.length <= 2 ? sub.toUpperCase() : sub}`;
}
