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
import { normalizeText, SEMANTIC_FROM, SEMANTIC_FULL, SearchIndex, TitleSuggester, type ScoredId } from './search-index.ts';
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
  /** 'default': all stems up to two, a third (at least two) from three on; 'half': half from three on; 'any': one is enough (evaluation). */
  minimumMatch?: 'default' | 'half' | 'any';
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
        const index = new SearchIndex(corpus, model);
        // The search box's suggester too (about a second on 57k titles), so that no keystroke waits for it.
        suggesters.set(index, new TitleSuggester(index.docs));
        const built: CachedIndex = { stamp, index, checkedAt: Date.now() };
        e.current?.index.dispose(); // a search still running on it finishes on one thread
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

/** The trending sort reads the scores of at most this many matches from the database. */
const TRENDING_CANDIDATES = 10_000;

/**
 * How many of a query's distinct stems a paper must hold: all of one or two; from three on a third (at least
 * two), so long, title-like queries keep their recall (a paper rarely repeats its whole title in its abstract)
 * while short ones stay precise; one with OR. 'half' was the rule before (known-item MRR@10 -0.006, R@100
 * -0.015); 'any' is for evaluation.
 */
function minimumShouldMatch(n: number, or: boolean, mode: 'default' | 'half' | 'any'): number {
  if (or || mode === 'any') return 1;
  if (n <= 2) return n;
  return mode === 'half' ? Math.ceil(n / 2) : Math.max(2, Math.ceil(n / 3));
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
  const queryStems = tokenize(query.text);
  const stems = [...new Set(queryStems)];
  const highlight = stems;
  // A phrase (or an excluded text) as the numbers of its normalised words; `absent` when some word is in no
  // paper at all, so that no paper holds it.
  const textCheck = (t: string) => {
    const ids = Int32Array.from(normalizeText(t).split(' ').filter(Boolean), (w) => index.wordId(w));
    return { ids, absent: ids.some((x) => x < 0) };
  };
  const phrases = query.phrases.map(textCheck).filter((p) => p.ids.length > 0);
  const excludes = query.exclude.map(textCheck).filter((x) => x.ids.length > 0);
  const excludeStems = new Set(query.exclude.filter((x) => !x.includes(' ')).flatMap((x) => tokenize(x)));
  const authorFilters = [...query.authors, ...(req.author ? [req.author] : [])].map((a) => authorKey(a).split(' ').filter(Boolean)).filter((k) => k.length);
  const categories = query.categories.length ? query.categories : [];
  const category = req.category?.trim() || null;

  let excluded: Set<number> | null = null;
  for (const x of excludeStems) for (const i of index.bm25.docsWith(x)) (excluded ??= new Set()).add(i);
  // Papers with every word of each author filter somewhere in their author keys (the exact check follows).
  const authorRows = authorFilters.length ? rowsWithAuthors(index, authorFilters) : null;
  // A phrase whose stems some paper lacks altogether matches nothing; one without stems ("of the") is only
  // checked in the text.
  const impossible = phrases.some((p) => p.absent);
  // A phrase must appear in the title, abstract or authors as a run of words, as normalizeText splits them
  // (lowercase, NFKC, anything but letters and digits a separator).
  const hasText = (i: number, p: { ids: Int32Array; absent: boolean }) => !p.absent && index.hasWordRun(i, p.ids);
  const accept = (i: number): boolean => {
    if (authorRows && !authorRows.has(i)) return false;
    if (excluded && excluded.has(i)) return false;
    const d = index.docs[i];
    if (category && !d.categories.includes(category)) return false;
    if (categories.length && !categories.some((c) => (c.includes('.') ? d.categories.includes(c) : d.categories.some((x) => x === c || x.startsWith(`${c}.`))))) return false;
    if (req.from && d.firstListed < req.from) return false;
    if (req.to && d.firstListed > req.to) return false;
    for (const parts of authorFilters) {
      if (!d.authorKeys.some((k) => parts.every((p) => ` ${k} `.includes(` ${p} `)))) return false;
    }
    for (const p of phrases) if (!hasText(i, p)) return false;
    for (const x of excludes) if (hasText(i, x)) return false;
    return true;
  };
  const filtered =
    authorRows !== null || excluded !== null || category !== null || categories.length > 0 || !!req.from || !!req.to || phrases.length > 0 || excludes.length > 0;
  const sort = req.sort ?? 'relevance';
  const page = (rows: ArrayLike<number>) => Array.from(rows, (i) => index.docs[i].id).slice(offset, offset + limit);

  if (impossible) return { ...empty, highlight };
  if (stems.length === 0) {
    // Only filters (or only stop words): every accepted paper, newest first.
    if (!phrases.length && !authorFilters.length && !categories.length && !category && !req.from && !req.to) {
      return { ...empty, highlight };
    }
    const all: number[] = [];
    for (let i = 0; i < index.size; i++) if (accept(i)) all.push(i);
    if (sort === 'trending') {
      return { query, redirect: null, total: all.length, ids: await trendingPage(db, trendingCandidates(index, all), offset, limit), highlight, semantic: false };
    }
    return { query, redirect: null, total: all.length, ids: page(newestFirst(index, all, offset + limit)), highlight, semantic: false };
  }

  const need = minimumShouldMatch(stems.length, query.hasOr, req.minimumMatch ?? 'default');
  // An exact title comes first (whatever the minimum match), in descending row order (about newest first).
  const exactRows = (index.byTitle.get(normalizeText(query.text)) ?? []).filter((i) => accept(i)).sort((a, b) => b - a);
  const exact = new Set(exactRows);

  if (sort !== 'relevance') {
    const m = index.bm25.match(stems, { minMatch: need, k: -1, accept: filtered ? accept : undefined, skip: exact.size ? (i) => exact.has(i) : undefined });
    const all = [...exactRows, ...m.docs];
    const total = all.length;
    if (sort === 'trending') {
      return { query, redirect: null, total, ids: await trendingPage(db, trendingCandidates(index, all), offset, limit), highlight, semantic: false };
    }
    return { query, redirect: null, total, ids: page(newestFirst(index, all, offset + limit)), highlight, semantic: false };
  }

  // One word: the papers with it in their title next (BM25 has little to go on), newest or most popular first.
  let titled: number[] = [];
  if (stems.length === 1) {
    titled = await oneWordOrder(db, index, index.bm25.docsWith(stems[0], 0), exact, accept, req.oneWordTies ?? 'trending');
  }
  const inTitled = new Set(titled);
  const want = Math.max(0, offset + limit - exactRows.length - titled.length);
  const depth = stems.length > 1 ? index.pairDepth : 0;
  const m = index.bm25.match(stems, {
    minMatch: need,
    k: Math.max(want, depth),
    accept: filtered ? accept : undefined,
    skip: exact.size || inTitled.size ? (i) => exact.has(i) || inTitled.has(i) : undefined,
  });
  const ranked = rerankTop(index, queryStems, m.docs, m.scores, depth);
  const total = exactRows.length + titled.length + m.total;
  const rows = [...exactRows, ...titled, ...ranked.rows.subarray(0, want)];
  return { query, redirect: null, total, ids: page(rows), highlight, semantic: ranked.semantic };
}

/**
 * Re-ranks the best `depth` BM25 matches (docs/search.md). Query words side by side (a title typed from memory,
 * a name of several words) are a strong sign of the paper meant: a match gains `pairWeight` times the mean idf
 * of each pair of consecutive query stems that its title or abstract also holds side by side. With the built-in
 * model, a long query also adds `semanticWeight` times the cosine similarity of its vector to the paper's (from
 * nothing at SEMANTIC_FROM distinct stems to all of it at SEMANTIC_FULL; a paper without a vector yet gets the
 * mean of the others). Papers past `depth` keep their BM25 order, so pages stay consistent whatever the offset.
 */
function rerankTop(
  index: SearchIndex,
  queryStems: readonly string[],
  docs: Int32Array,
  scores: Float64Array,
  depth: number,
): { rows: Int32Array; semantic: boolean } {
  const n = Math.min(depth, docs.length);
  if (n < 2) return { rows: docs, semantic: false };
  const v = index.stemCount;
  const pairs = new Map<number, readonly [number, number]>();
  for (let j = 0; j + 1 < queryStems.length && pairs.size < 64; j++) {
    const a = index.stemId(queryStems[j]);
    const b = index.stemId(queryStems[j + 1]);
    if (a < 0 || b < 0 || a === b || pairs.has(a * v + b)) continue;
    const w = (index.pairWeight * (index.bm25.idf(queryStems[j]) + index.bm25.idf(queryStems[j + 1]))) / 2;
    pairs.set(a * v + b, [pairs.size, w]);
  }
  const distinct = new Set(queryStems).size;
  const gate = Math.min(1, Math.max(0, (distinct - SEMANTIC_FROM) / (SEMANTIC_FULL - SEMANTIC_FROM)));
  const lambda = index.model ? index.semanticWeight * gate : 0;
  let cos: Float64Array | null = null;
  if (lambda > 0 && index.model) {
    const q = index.model.encodeTokens(queryStems);
    if (q.some((x) => x !== 0)) {
      cos = index.cosines(q, docs, n);
      let sum = 0;
      let known = 0;
      for (const c of cos) if (!Number.isNaN(c)) (sum += c), known++;
      const mean = known ? sum / known : 0;
      for (let k = 0; k < n; k++) if (Number.isNaN(cos[k])) cos[k] = mean;
    }
  }
  if (pairs.size === 0 && !cos) return { rows: docs, semantic: false };
  const order = Array.from({ length: n }, (_, k) => ({
    row: docs[k],
    score: scores[k] + (pairs.size ? index.pairScore(docs[k], pairs) : 0) + (cos ? lambda * cos[k] : 0),
    k,
  }));
  // Ties keep the BM25 order.
  order.sort((x, y) => y.score - x.score || x.k - y.k);
  const out = docs.slice();
  order.forEach((o, k) => (out[k] = o.row));
  return { rows: out, semantic: cos !== null };
}

/** The ids the trending order is taken from: at most TRENDING_CANDIDATES, the newest (by row) when more. */
function trendingCandidates(index: SearchIndex, rows: readonly number[]): string[] {
  const kept = rows.length > TRENDING_CANDIDATES ? [...rows].sort((a, b) => b - a).slice(0, TRENDING_CANDIDATES) : rows;
  return kept.map((i) => index.docs[i].id);
}

/** The first `k` of `rows` newest first (listing day, then id, both descending). */
function newestFirst(index: SearchIndex, rows: readonly number[], k: number): number[] {
  const rank = index.newestRank;
  if (rows.length > 4 * k) {
    // Keep the k newest with a bound, then sort those.
    const kept: number[] = [];
    let bound = Infinity;
    for (const i of rows) {
      if (rank[i] >= bound) continue;
      kept.push(i);
      if (kept.length >= 2 * k) {
        kept.sort((a, b) => rank[a] - rank[b]);
        kept.length = k;
        bound = rank[kept[k - 1]];
      }
    }
    return kept.sort((a, b) => rank[a] - rank[b]).slice(0, k);
  }
  return [...rows].sort((a, b) => rank[a] - rank[b]).slice(0, k);
}

/**
 * One word gives BM25 little to go on beyond field lengths: after an exact title, the papers with the word in
 * their title come first, the more popular (trending score) first, then the rest in BM25 order.
 */
async function oneWordOrder(
  db: Queryable,
  index: SearchIndex,
  titleRows: Int32Array,
  exact: ReadonlySet<number>,
  accept: (i: number) => boolean,
  ties: 'trending' | 'newest',
): Promise<number[]> {
  // Descending row order (about newest first) as the trending query's cap applies.
  const inTitle: number[] = [];
  for (let k = titleRows.length - 1; k >= 0; k--) {
    const i = titleRows[k];
    if (!exact.has(i) && accept(i)) inTitle.push(i);
  }
  if (inTitle.length < 2) return [];
  if (ties === 'newest') return inTitle.sort((a, b) => index.newestRank[a] - index.newestRank[b]);
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

async function trendingPage(db: Queryable, ids: string[], offset: number, limit: number): Promise<string[]> {
  if (ids.length === 0 || limit === 0) return [];
  const rows = await db.query<{ id: string }>(
    `SELECT id FROM papers WHERE id = ANY($1::text[])
     ORDER BY trending_score DESC, upvotes DESC, first_listed DESC, id DESC LIMIT $2 OFFSET $3`,
    [ids, limit, offset],
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
 * suggester is built with the search index (or here, for an index built elsewhere) and dropped with it.
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
