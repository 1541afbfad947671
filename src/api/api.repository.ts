// SQL that the JSON APIs and the feeds need beyond what the pages read: whole papers for a page of ids
// (the lists pick ids with feed.repository's queries, the same ones the HTML pages use), a category's
// papers, and search through the search service's ranking.
import type { Queryable } from '../db/client.ts';
import { escapeLike } from '../feed/feed.repository.ts';
import type { Paper } from '../papers/paper.ts';
import { rowToPaper } from '../papers/papers.repository.ts';
import { search } from '../search/search.service.ts';

type PaperRow = Parameters<typeof rowToPaper>[0];

// The same columns papers.repository reads for one paper.
const COLUMNS = `id, version, title, abstract, authors, author_keys, categories, primary_category, comment,
  journal_ref, doi, license, published_at, updated_at, first_listed, versions, github_repo, project_page,
  organization, source, upvotes, num_comments, trending_score, created_at, modified_at`;

// Newest first, as feed.repository orders its "newest" lists: the later listing day, then the later v1
// submission, then the id so that pages of equal keys never repeat or skip a paper.
const NEWEST = 'first_listed DESC, published_at DESC NULLS LAST, id DESC';

export interface Slice {
  limit: number;
  offset: number;
}

/** Whole papers for ids, in the order of the ids given (ids not found are left out). */
export async function papersByIds(db: Queryable, ids: string[]): Promise<Paper[]> {
  if (ids.length === 0) return [];
  const rows = await db.query<PaperRow>(`SELECT ${COLUMNS} FROM papers WHERE id = ANY($1::text[])`, [ids]);
  const byId = new Map(rows.map((r) => [r.id, rowToPaper(r)]));
  return ids.flatMap((id) => byId.get(id) ?? []);
}

/** Papers listed in a category (primary or cross-listed), newest first, through the GIN index on categories. */
export async function categoryPaperIds(db: Queryable, category: string, slice: Slice): Promise<string[]> {
  const rows = await db.query<{ id: string }>(
    `WITH cat AS MATERIALIZED (
       SELECT id, first_listed, published_at FROM papers WHERE categories @> ARRAY[$1::text])
     SELECT id FROM cat ORDER BY ${NEWEST} LIMIT $2 OFFSET $3`,
    [category, slice.limit, slice.offset],
  );
  return rows.map((r) => r.id);
}

export async function countCategoryPapers(db: Queryable, category: string): Promise<number> {
  const [row] = await db.query<{ n: number }>(
    'SELECT count(*)::int AS n FROM papers WHERE categories @> ARRAY[$1::text]',
    [category],
  );
  return row.n;
}

/** Papers of every day, newest first (the unfiltered Hugging Face daily list). */
export async function newestPaperIds(db: Queryable, slice: Slice): Promise<string[]> {
  const rows = await db.query<{ id: string }>(`SELECT id FROM papers ORDER BY ${NEWEST} LIMIT $1 OFFSET $2`, [
    slice.limit,
    slice.offset,
  ]);
  return rows.map((r) => r.id);
}

/** Words of a search, at most this many (each one costs a scan of the candidate rows). */
export const MAX_SEARCH_WORDS = 8;

/** The words of a query, lowercased, deduplicated, at most MAX_SEARCH_WORDS. Pure. */
export function searchWords(query: string): string[] {
  const words = query.toLowerCase().split(/\s+/).filter(Boolean);
  return [...new Set(words)].slice(0, MAX_SEARCH_WORDS);
}

/**
 * Search for the JSON APIs (`/api/v1/search`, `/api/papers/search`): the same ranking as the search page
 * (src/search/search.service.ts: an exact title first, then BM25F over titles and abstracts, with the query
 * syntax). An arXiv id or URL as the query gives that paper when it is here.
 */
export async function searchPaperIds(db: Queryable, query: string, slice: Slice): Promise<string[]> {
  if (slice.limit <= 0 || !query.trim()) return [];
  const res = await search(db, { q: query, offset: slice.offset, limit: slice.limit });
  if (res.redirect) {
    if (slice.offset > 0) return [];
    const rows = await db.query<{ id: string }>('SELECT id FROM papers WHERE id = $1', [res.redirect]);
    return rows.map((r) => r.id);
  }
  return res.ids;
}
