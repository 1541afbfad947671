// Search and similar papers over the in-process index (search-index.ts), shared by the HTML pages and the
// JSON APIs. Ranking (docs/search.md): an exact title match first, then BM25F over titles and abstracts;
// phrases and exclusions filter; author:, cat:, a date range and a category filter narrow; the semantic model
// ranks similar papers. Keyword search works without a model.
import type { Queryable } from '../db/client.ts';
import { authorKey } from '../papers/authors.ts';
import { dropSearchIndex, indexCaches, type CachedIndex } from './index-cache.ts';
import { loadActiveVectors } from './model.service.ts';
import { parseQuery, type ParsedQuery } from './query.ts';
import { corpusStamp, hasActiveModel, loadCorpus, type CorpusStamp } from './search.repository.ts';
import { topK } from './bm25.ts';
import { normalizeText, SearchIndex, TitleSuggester, type ScoredId } from './search-index.ts';
import { tokenize } from './text.ts';

export type SearchSort = 'relevance' | 'newest' | 'trending';

export interface SearchFilters {
  category?: string;
  /** Listing days, inclusive, YYYY-MM-DD. */
  from?: string;
  to?: string;
  author?: string;
}

export interface SearchRequest extends SearchFilters {
  q: string;
  /**
   * Order of the papers with a one-word query in their title (equally relevant): 'trending' (default, the JSON
   * APIs' documented order) or 'newest' (the search page's).
   */
  oneWordTies?: 'trending' | 'newest';
  /** 'default': all stems up to two, half from three on; 'any': one stem is enough (evaluation). */
  minimumMatch?: 'default' | 'any';
  sort?: SearchSort;
  /** 0-based. */
  offset?: number;
  limit?: number;
}

export interface SearchResult {
  query: ParsedQuery;
  /** Set when the query is an arXiv id or URL: go straight to that paper. */
  redirect: string | null;
  /** Papers matching, all pages together. */
  total: number;
  /** The page's ids, best first. */
  ids: string[];
  /** Stems to highlight (the query's words and phrases, tokenised). */
  highlight: string[];
  /** Whether a semantic model took part. */
  semantic: boolean;
}


/** How long an index is trusted without asking the database whether the corpus changed. */
const STAMP_TTL_MS = 1000;


function sameStamp(a: CorpusStamp, b: CorpusStamp): boolean {
  return a.papers === b.papers && a.modified === b.modified && a.modelId === b.modelId && a.modelRevision === b.modelRevision;
}

/**
 * The index for a database, built on first use and rebuilt when papers or the active model changed (checked
 * at most every STAMP_TTL_MS; `fresh` forces the check).
 */
export async function searchIndex(db: Queryable, fresh = false): Promise<SearchIndex> {
  let entry = indexCaches.get(db);
  if (!entry) {
    entry = { current: null, building: null };
    indexCaches.set(db, entry);
  }
  const e = entry;
  const now = Date.now();
  if (e.current && !fresh && now - e.current.checkedAt < STAMP_TTL_MS) return e.current.index;
  const stamp = await corpusStamp(db);
  if (e.current && sameStamp(e.current.stamp, stamp)) {
    e.current.checkedAt = now;
    return e.current.index;
  }
  if (!e.building) {
    e.building = (async () => {
      try {
        const [corpus, model] = await Promise.all([loadCorpus(db), stamp.modelId !== null ? loadActiveVectors(db) : Promise.resolve(null)]);
        const built: CachedIndex = { stamp, index: new SearchIndex(corpus, model), checkedAt: Date.now() };
        e.current = built;
        return built;
      } finally {
        e.building = null;
      }
    })();
  }
  return (await e.building).index;
}

export { dropSearchIndex };

const CANDIDATES = 1000;

function minimumShouldMatch(n: number, or: boolean): number {
  if (or) return 1;
  if (n <= 2) return n;
  return Math.ceil(n / 2);
}

export async function search(db: Queryable, req: SearchRequest): Promise<SearchResult> {
  const query = parseQuery(req.q);
  if (query.arxivId) return { query, redirect: query.arxivId, total: 0, ids: [], highlight: [], semantic: false };
  return searchIn(db, await searchIndex(db), req);
}

/** `search` over a given index (the evaluation builds its own); `db` serves the trending order. */
export async function searchIn(db: Queryable, index: SearchIndex, req: SearchRequest): Promise<SearchResult> {
  const query = parseQuery(req.q);
  const limit = Math.max(0, Math.min(req.limit ?? 20, 200));
  const offset = Math.max(0, req.offset ?? 0);
  const empty: SearchResult = { query, redirect: null, total: 0, ids: [], highlight: [], semantic: false };
  if (query.arxivId) return { ...empty, redirect: query.arxivId };
  const stems = [...new Set(tokenize(query.text))];
  const highlight = stems;
  const phrases = query.phrases.map((p) => ` ${normalizeText(p)} `).filter((p) => p.trim());
  const excludes = query.exclude.map((x) => ` ${normalizeText(x)} `).filter((x) => x.trim());
  const excludeStems = new Set(query.exclude.filter((x) => !x.includes(' ')).flatMap((x) => tokenize(x)));
  const authorFilters = [...query.authors, ...(req.author ? [req.author] : [])].map((a) => authorKey(a).split(' ').filter(Boolean)).filter((k) => k.length);
  const categories = query.categories.length ? query.categories : [];
  const category = req.category?.trim() || null;

  const excluded = new Set<number>();
  for (const x of excludeStems) for (const i of rowsWithStem(index, x)) excluded.add(i);
  // Papers with every word of each author filter somewhere in their author keys (the exact check follows).
  const authorRows = authorFilters.length ? rowsWithAuthors(index, authorFilters) : null;
  const accept = (i: number): boolean => {
    if (authorRows && !authorRows.has(i)) return false;
    const d = index.docs[i];
    if (category && !d.categories.includes(category)) return false;
    if (categories.length && !categories.some((c) => (c.includes('.') ? d.categories.includes(c) : d.categories.some((x) => x === c || x.startsWith(`${c}.`))))) return false;
    if (req.from && d.firstListed < req.from) return false;
    if (req.to && d.firstListed > req.to) return false;
    for (const parts of authorFilters) {
      if (!d.authorKeys.some((k) => parts.every((p) => ` ${k} `.includes(` ${p} `)))) return false;
    }
    for (const p of phrases) if (!d.haystack.includes(p)) return false;
    for (const x of excludes) if (d.haystack.includes(x)) return false;
    if (excluded.has(i)) return false;
    return true;
  };

  let ranked: number[];
  let totalOverride: number | null = null;
  if (stems.length === 0) {
    // Only filters (or only stop words): every accepted paper, newest first.
    if (!phrases.length && !authorFilters.length && !categories.length && !category && !req.from && !req.to) {
      return { ...empty, highlight };
    }
    ranked = [];
    for (let i = 0; i < index.size; i++) if (accept(i)) ranked.push(i);
    ranked.sort((a, b) => cmpNewest(index, a, b));
  } else {
    const need = req.minimumMatch === 'any' ? 1 : minimumShouldMatch(stems.length, query.hasOr);
    const m = index.bm25.matchAll(stems);
    const exact = new Set(index.byTitle.get(normalizeText(query.text)) ?? []);
    // Candidates in descending document order, so that topK's tie rule (earlier candidate first) favours the
    // later-built paper, which with ids in ascending order is (about) the newer one.
    const cand: number[] = [];
    const candScore: number[] = [];
    const head: number[] = [];
    for (let k = m.docs.length - 1; k >= 0; k--) {
      const i = m.docs[k];
      const isExact = exact.has(i);
      if (!isExact && m.matched[k] < need) continue;
      if (!accept(i)) continue;
      if (isExact) head.push(i);
      else {
        cand.push(i);
        candScore.push(m.scores[k]);
      }
    }
    const sortNow = req.sort ?? 'relevance';
    const total = head.length + cand.length;
    if (sortNow !== 'relevance') {
      ranked = [...head, ...cand];
    } else {
      let pool = cand;
      let poolScore = candScore;
      let titled: number[] = [];
      if (stems.length === 1) {
        titled = await oneWordOrder(db, index, cand, stems[0], req.oneWordTies ?? 'trending');
        if (titled.length) {
          const taken = new Set(titled);
          pool = [];
          poolScore = [];
          cand.forEach((i, k) => {
            if (!taken.has(i)) {
              pool.push(i);
              poolScore.push(candScore[k]);
            }
          });
        }
      }
      const want = Math.max(0, offset + limit - head.length - titled.length);
      const positions = Int32Array.from(pool, (_, k) => k);
      const top = topK(positions, poolScore, want).map((k) => pool[k]);
      ranked = [...head, ...titled, ...top];
    }
    totalOverride = total;
  }
  const sort = req.sort ?? 'relevance';
  if (sort === 'newest') ranked.sort((a, b) => cmpNewest(index, a, b));
  let ids: string[];
  if (sort === 'trending') {
    const all = ranked.map((i) => index.docs[i].id);
    ids = await trendingPage(db, all, offset, limit);
  } else {
    ids = ranked.slice(offset, offset + limit).map((i) => index.docs[i].id);
  }
  return { query, redirect: null, total: totalOverride ?? ranked.length, ids, highlight, semantic: false };
}

/**
 * One word gives BM25 little to go on beyond field lengths: after an exact title, the papers with the word in
 * their title come first, the more popular (trending score) first, then the rest in BM25 order.
 */
async function oneWordOrder(
  db: Queryable,
  index: SearchIndex,
  cand: readonly number[],
  stem: string,
  ties: 'trending' | 'newest',
): Promise<number[]> {
  const needle = ` ${stem} `;
  const inTitle = cand.filter((i) => index.docs[i].titleStems.includes(needle));
  if (inTitle.length < 2) return [];
  if (ties === 'newest') return inTitle.sort((a, b) => cmpNewest(index, a, b));
  const rows = await db.query<{ id: string }>(
    `SELECT id FROM papers WHERE id = ANY($1::text[])
     ORDER BY trending_score DESC, first_listed DESC, published_at DESC NULLS LAST, id DESC LIMIT $2`,
    [inTitle.slice(0, ONE_WORD_TITLE_CAP).map((i) => index.docs[i].id), ONE_WORD_TITLE_CAP],
  );
  return rows.map((r) => index.row.get(r.id)).filter((i): i is number => i !== undefined);
}

const ONE_WORD_TITLE_CAP = 2000;

/** Rows whose author keys hold every word of each filter (in some author; the exact check is accept's). */
function rowsWithAuthors(index: SearchIndex, filters: readonly (readonly string[])[]): Set<number> {
  let acc: Set<number> | undefined;
  for (const parts of filters) {
    for (const p of parts) {
      const r = index.rowsWithAuthorWord(p);
      const prev = acc;
      acc = new Set(prev === undefined ? r : r.filter((i) => prev.has(i)));
    }
  }
  return acc ?? new Set<number>();
}

function cmpNewest(index: SearchIndex, a: number, b: number): number {
  const x = index.docs[a];
  const y = index.docs[b];
  return x.firstListed < y.firstListed ? 1 : x.firstListed > y.firstListed ? -1 : x.id < y.id ? 1 : x.id > y.id ? -1 : 0;
}

/** Rows of the papers whose title or abstract has the stem, from the BM25 postings. */
function rowsWithStem(index: SearchIndex, stem: string): number[] {
  return Array.from(index.bm25.matchAll([stem]).docs);
}

async function trendingPage(db: Queryable, ids: string[], offset: number, limit: number): Promise<string[]> {
  if (ids.length === 0 || limit === 0) return [];
  const rows = await db.query<{ id: string }>(
    `SELECT id FROM papers WHERE id = ANY($1::text[])
     ORDER BY trending_score DESC, upvotes DESC, first_listed DESC, id DESC LIMIT $2 OFFSET $3`,
    [ids.slice(0, CANDIDATES * 10), limit, offset],
  );
  return rows.map((r) => r.id);
}

export interface SimilarResult {
  /** False when no model is trained (or the paper has no vector yet). */
  available: boolean;
  items: ScoredId[];
  modelVersion: string | null;
}

/** The papers most similar to a paper under the active model, best first (itself left out). */
export async function similarPapers(db: Queryable, id: string, k = 10): Promise<SimilarResult> {
  // Without a trained model there is nothing to rank by: don't build (and hold) the keyword index for it.
  if (!(await hasActiveModel(db))) return { available: false, items: [], modelVersion: null };
  const index = await searchIndex(db);
  if (index.modelId === null) return { available: false, items: [], modelVersion: null };
  const items = index.similar(id, k);
  return { available: items !== null, items: items ?? [], modelVersion: index.modelVersion };
}

export interface TitleSuggestion {
  id: string;
  title: string;
}

/** At most this many suggestions per request. */
export const MAX_SUGGESTIONS = 20;

const suggesters = new WeakMap<SearchIndex, TitleSuggester>();

/**
 * Titles for search-as-you-type: each word typed begins a word of the title (docs/search.md), best first. The
 * suggester is built on the search index's first use and dropped with it.
 */
export async function suggestTitles(db: Queryable, typed: string, limit = 8): Promise<TitleSuggestion[]> {
  if (!typed.trim()) return [];
  const index = await searchIndex(db);
  let suggester = suggesters.get(index);
  if (!suggester) suggesters.set(index, (suggester = new TitleSuggester(index.docs)));
  return suggester
    .suggest(typed, Math.max(0, Math.min(limit, MAX_SUGGESTIONS)))
    .map((row) => ({ id: index.docs[row].id, title: index.docs[row].title }));
}
