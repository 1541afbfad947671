// SQL that the JSON APIs and the feeds need beyond what the pages read: whole papers for a page of ids
// (the lists pick ids with feed.repository's queries, the same ones the HTML pages use), a category's
// papers, and a stopgap keyword match over titles and abstracts until full-text search lands.
import type { Queryable } from '../db/client.ts';
import { escapeLike } from '../feed/feed.repository.ts';
import type { Paper } from '../papers/paper.ts';
import { rowToPaper } from '../papers/papers.repository.ts';

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
 * A stopgap keyword search until the search feature's ranking exists: papers whose title or abstract
 * contains every word of the query (case-insensitive substrings), best first:
 *   0. the title is the query (ignoring case),
 *   1. the title starts with the query,
 *   2. the title contains the query as written,
 *   3. the title contains every word,
 *   4. the abstract contains the query as written,
 *   5. the words are spread over title and abstract;
 * within a rank, the higher trending score (recent and voted papers), then the newer paper.
 *
 * Two queries, because reading every abstract is what costs (about 2 s for 57,000 papers on PGlite,
 * where matching the titles takes about 0.3 s): titles first, and abstracts only when the title matches
 * do not fill the page asked for. Both scan the table; full-text search replaces this.
 */
export async function searchPaperIds(db: Queryable, query: string, slice: Slice): Promise<string[]> {
  const phrase = query.trim().replace(/\s+/g, ' ');
  const words = searchWords(phrase);
  if (words.length === 0 || slice.limit <= 0) return [];
  const patterns = words.map((w) => `%${escapeLike(w)}%`);
  const contains = `%${escapeLike(phrase)}%`;
  const wanted = slice.offset + slice.limit;
  const inTitles = await db.query<{ id: string }>(
    `SELECT id FROM papers
     WHERE title ILIKE ALL ($2::text[])
     ORDER BY CASE
         WHEN lower(title) = lower($1) THEN 0
         WHEN title ILIKE $3 THEN 1
         WHEN title ILIKE $4 THEN 2
         ELSE 3 END,
       trending_score DESC, ${NEWEST}
     LIMIT $5`,
    [phrase, patterns, `${escapeLike(phrase)}%`, contains, wanted],
  );
  const fromTitles = inTitles.slice(slice.offset).map((r) => r.id);
  if (inTitles.length >= wanted) return fromTitles;
  // Fewer title matches than the page needs: inTitles holds all of them, so the rest of the page comes
  // from the abstracts, skipping as many of those as the page's offset reaches past the title matches.
  const inAbstracts = await db.query<{ id: string }>(
    `SELECT id FROM papers
     WHERE NOT (title ILIKE ALL ($1::text[])) AND (title || ' ' || abstract) ILIKE ALL ($1::text[])
     ORDER BY CASE WHEN abstract ILIKE $2 THEN 4 ELSE 5 END, trending_score DESC, ${NEWEST}
     LIMIT $3 OFFSET $4`,
    [patterns, contains, slice.limit - fromTitles.length, Math.max(0, slice.offset - inTitles.length)],
  );
  return [...fromTitles, ...inAbstracts.map((r) => r.id)];
}
