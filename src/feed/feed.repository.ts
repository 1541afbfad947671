// The SQL behind the feed pages: papers of a range of listing days (a day, week, month or the trending
// window), the days around a range, an author's papers and the plain title search. Cards need only a
// summary of each paper, so these queries read the columns a card shows and the abstract's start.
import type { Queryable } from '../db/client.ts';
import type { SubmissionInfo } from '../submissions/submissions.repository.ts';
import { entryTrendingSql } from './ranking.ts';

/** What a paper card shows. */
export interface PaperSummary {
  id: string;
  title: string;
  /** The first ABSTRACT_PREFIX characters of the abstract: enough for an excerpt. */
  abstractStart: string;
  authorCount: number;
  organization: string | null;
  firstListed: string;
  primaryCategory: string;
  upvotes: number;
  numComments: number;
  githubRepo: string | null;
  trendingScore: number;
  /** On a list that holds the paper because a member submitted it there: that submission. */
  submission?: SubmissionInfo | null;
}

export type FeedSort = 'trending' | 'newest';

/** Characters of the abstract a card query reads (the card shows about 300). */
export const ABSTRACT_PREFIX = 400;

const SUMMARY_COLUMNS = `id, title, left(abstract, ${ABSTRACT_PREFIX}) AS abstract_start,
  cardinality(authors) AS author_count, organization, first_listed, primary_category, upvotes, num_comments,
  github_repo, trending_score`;

// Trending: the stored score (maintained by the votes feature), then votes, then the newer paper.
// Newest: the later listing day, then the later v1 submission. Both end on the id so that pages of
// equal keys never repeat or skip a paper.
const ORDER_BY: Record<FeedSort, string> = {
  trending: 'trending_score DESC, upvotes DESC, first_listed DESC, id DESC',
  newest: 'first_listed DESC, published_at DESC NULLS LAST, id DESC',
};

interface SummaryRow {
  id: string;
  title: string;
  abstract_start: string;
  author_count: number;
  organization: string | null;
  first_listed: string;
  primary_category: string;
  upvotes: number;
  num_comments: number;
  github_repo: string | null;
  trending_score: number;
}

function toSummary(r: SummaryRow): PaperSummary {
  return {
    id: r.id,
    title: r.title,
    abstractStart: r.abstract_start,
    authorCount: r.author_count,
    organization: r.organization,
    firstListed: r.first_listed,
    primaryCategory: r.primary_category,
    upvotes: r.upvotes,
    numComments: r.num_comments,
    githubRepo: r.github_repo,
    trendingScore: r.trending_score,
  };
}

export interface Slice {
  limit: number;
  offset: number;
}

/**
 * One page of cards: `idsSql` picks the page (ids only, ordered, limited), then the card columns are read
 * for those rows alone. Reading `left(abstract, ...)` in the same step as the sort would decompress the
 * abstract of every candidate row (a month has thousands) before the sort keeps fifty.
 */
async function summaries(db: Queryable, idsSql: string, order: FeedSort, params: unknown[]): Promise<PaperSummary[]> {
  const rows = await db.query<SummaryRow>(
    `SELECT ${SUMMARY_COLUMNS} FROM (${idsSql}) AS page JOIN papers USING (id) ORDER BY ${ORDER_BY[order]}`,
    params,
  );
  return rows.map(toSummary);
}

// An author's papers are found through the GIN index on author_keys, then sorted: an author has at most
// a few thousand papers. MATERIALIZED keeps the planner from walking the whole first_listed index instead
// and filtering every paper, which it prefers when its statistics are stale (after a bulk import).
const BY_AUTHOR = `WITH mine AS MATERIALIZED (
  SELECT id, first_listed, published_at FROM papers WHERE author_keys @> ARRAY[$1::text])`;

// A day's list holds the papers first listed that day and the papers members submitted to it (table
// submissions, live entries only). A paper is on a range's list once: by its submission when it has one
// in the range (the latest), else by its listing day. An entry is ordered by the same keys as a paper
// (ORDER_BY), read from the entry: a submitted paper's listing day is its submission's day and its
// trending score counts the submission time (ranking.ts entryTrendingSql).
const LIVE_SUBMISSIONS = 'SELECT * FROM submissions WHERE removed_at IS NULL';

const ENTRY_ORDER: Record<FeedSort, string> = {
  trending: 'k_score DESC, k_upvotes DESC, k_listed_on DESC, k_id DESC',
  newest: 'k_listed_on DESC, k_published_at DESC NULLS LAST, k_id DESC',
};

/**
 * The entries of the lists from $1 to $2 (days), one page ($3 entries from $4) in the given order. The
 * papers listed in the range come with their own LIMIT, so a day's page still reads only its top rows
 * through papers_trending_idx; the few submissions of the range are added and the union sorted.
 */
function rangeEntriesSql(sort: FeedSort): string {
  return `WITH subs AS MATERIALIZED (
      SELECT DISTINCT ON (paper_id) paper_id, id, list_date, created_at FROM (${LIVE_SUBMISSIONS}) AS live
      WHERE list_date BETWEEN $1::date AND $2::date
      ORDER BY paper_id, list_date DESC, id DESC)
    SELECT * FROM (
      (SELECT id AS k_id, trending_score AS k_score, upvotes AS k_upvotes, first_listed AS k_listed_on,
              published_at AS k_published_at, NULL::bigint AS k_submission_id
         FROM papers
        WHERE first_listed BETWEEN $1::date AND $2::date AND NOT EXISTS (SELECT 1 FROM subs WHERE subs.paper_id = papers.id)
        ORDER BY ${ORDER_BY[sort]} LIMIT $3::bigint + $4::bigint)
      UNION ALL
      SELECT p.id, ${entryTrendingSql('p.trending_score', 'p.first_listed', 'subs.list_date', 'subs.created_at')}, p.upvotes,
             subs.list_date, p.published_at, subs.id
        FROM subs JOIN papers p ON p.id = subs.paper_id
    ) AS e ORDER BY ${ENTRY_ORDER[sort]} LIMIT $3 OFFSET $4`;
}

/** The first and last days that have a list (papers listed, or submitted) in the database (both null when none). */
export async function listingBounds(db: Queryable): Promise<{ first: string | null; last: string | null }> {
  const [row] = await db.query<{ first: string | null; last: string | null }>(
    `SELECT least((SELECT min(first_listed) FROM papers), (SELECT min(list_date) FROM submissions WHERE removed_at IS NULL)) AS first,
            greatest((SELECT max(first_listed) FROM papers), (SELECT max(list_date) FROM submissions WHERE removed_at IS NULL)) AS last`,
  );
  return { first: row.first, last: row.last };
}

/** The papers on the lists from start to end (inclusive days), in the given order; submitted ones carry their submission. */
export async function listPapersBetween(
  db: Queryable,
  range: { start: string; end: string },
  sort: FeedSort,
  slice: Slice,
): Promise<PaperSummary[]> {
  const rows = await db.query<SummaryRow & EntrySubmissionRow>(
    `SELECT papers.id, papers.title, left(papers.abstract, ${ABSTRACT_PREFIX}) AS abstract_start,
            cardinality(papers.authors) AS author_count, papers.organization, papers.first_listed, papers.primary_category,
            papers.upvotes, papers.num_comments, papers.github_repo, papers.trending_score,
            s.id AS sub_id, s.list_date AS sub_list_date, s.note AS sub_note, s.created_at AS sub_created_at,
            u.username AS sub_username, u.display_name AS sub_display_name
       FROM (${rangeEntriesSql(sort)}) AS e JOIN papers ON papers.id = e.k_id
       LEFT JOIN submissions s ON s.id = e.k_submission_id LEFT JOIN users u ON u.id = s.user_id
      ORDER BY ${ENTRY_ORDER[sort]}`,
    [range.start, range.end, slice.limit, slice.offset],
  );
  return rows.map((r) => ({ ...toSummary(r), submission: entrySubmission(r) }));
}

interface EntrySubmissionRow {
  sub_id: number | null;
  sub_list_date: string | null;
  sub_note: string | null;
  sub_created_at: Date | string | null;
  sub_username: string | null;
  sub_display_name: string | null;
}

/** The live submission an entry of a list stands for (null: listed by arXiv). */
function entrySubmission(r: SummaryRow & EntrySubmissionRow): SubmissionInfo | null {
  if (r.sub_id === null) return null;
  return {
    id: Number(r.sub_id),
    paperId: r.id,
    listDate: r.sub_list_date!,
    note: r.sub_note,
    submittedAt: new Date(r.sub_created_at!),
    username: r.sub_username!,
    displayName: r.sub_display_name,
    removedAt: null,
    removedBy: null,
    removedReason: null,
  };
}

export interface RangeOverview {
  /** Papers listed in the range. */
  total: number;
  /** First and last listing days in the whole database (null when it is empty). */
  first: string | null;
  last: string | null;
  /** The last listing day before the range and the first one after it (null when there is none). */
  before: string | null;
  after: string | null;
}

/** Everything a period page needs besides its papers, in one round trip (each part is an index lookup). */
export async function rangeOverview(db: Queryable, range: { start: string; end: string }): Promise<RangeOverview> {
  // Days with a list: listing days of papers, and days that only have submissions.
  const [row] = await db.query<RangeOverview>(
    `SELECT (SELECT count(*)::int FROM papers WHERE first_listed BETWEEN $1::date AND $2::date)
          + (SELECT count(DISTINCT s.paper_id)::int FROM (${LIVE_SUBMISSIONS}) AS s JOIN papers p ON p.id = s.paper_id
              WHERE s.list_date BETWEEN $1::date AND $2::date AND p.first_listed NOT BETWEEN $1::date AND $2::date) AS total,
            least((SELECT min(first_listed) FROM papers), (SELECT min(list_date) FROM (${LIVE_SUBMISSIONS}) AS s)) AS first,
            greatest((SELECT max(first_listed) FROM papers), (SELECT max(list_date) FROM (${LIVE_SUBMISSIONS}) AS s)) AS last,
            greatest((SELECT max(first_listed) FROM papers WHERE first_listed < $1::date),
                     (SELECT max(list_date) FROM (${LIVE_SUBMISSIONS}) AS s WHERE list_date < $1::date)) AS before,
            least((SELECT min(first_listed) FROM papers WHERE first_listed > $2::date),
                  (SELECT min(list_date) FROM (${LIVE_SUBMISSIONS}) AS s WHERE list_date > $2::date)) AS after`,
    [range.start, range.end],
  );
  return row;
}

/** An author's papers, newest first, matched on the normalised key (papers/authors.ts). */
export async function listPapersByAuthorKey(db: Queryable, key: string, slice: Slice): Promise<PaperSummary[]> {
  return summaries(
    db,
    `${BY_AUTHOR} SELECT id FROM mine ORDER BY ${ORDER_BY.newest} LIMIT $2 OFFSET $3`,
    'newest',
    [key, slice.limit, slice.offset],
  );
}

export async function countPapersByAuthorKey(db: Queryable, key: string): Promise<number> {
  const [row] = await db.query<{ n: number }>(
    'SELECT count(*)::int AS n FROM papers WHERE author_keys @> ARRAY[$1::text]',
    [key],
  );
  return row.n;
}

/** The author list of the author's newest paper, to show the name as that paper writes it. */
export async function newestAuthorList(db: Queryable, key: string): Promise<string[] | null> {
  const rows = await db.query<{ authors: string[] }>(
    `SELECT authors FROM papers
     WHERE id = (${BY_AUTHOR} SELECT id FROM mine ORDER BY ${ORDER_BY.newest} LIMIT 1)`,
    [key],
  );
  return rows[0]?.authors ?? null;
}

/** Escapes LIKE's wildcards so that user text matches literally (the default escape is a backslash). */
export function escapeLike(text: string): string {
  return text.replace(/[\\%_]/g, (c) => `\\${c}`);
}

/**
 * Papers whose title contains the text, case-insensitively, newest first. A stopgap until full-text
 * search: it scans the table. Callers ask for one row more than they show to learn whether a next page exists.
 */
export async function searchTitles(db: Queryable, text: string, slice: Slice): Promise<PaperSummary[]> {
  return summaries(
    db,
    `SELECT id FROM papers WHERE title ILIKE $1 ORDER BY ${ORDER_BY.newest} LIMIT $2 OFFSET $3`,
    'newest',
    [`%${escapeLike(text)}%`, slice.limit, slice.offset],
  );
}
