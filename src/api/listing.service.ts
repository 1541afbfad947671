// The lists behind the JSON APIs and the RSS/Atom feeds. They pick papers with the same repository
// queries the HTML pages use (feed.repository: same filters, same order), with a page size of the
// caller's choosing, and then read the whole papers (full abstract and author list) for that page.
// No HTTP here.
import type { Queryable } from '../db/client.ts';
import {
  countPapersByAuthorKey,
  listPapersBetween,
  listPapersByAuthorKey,
  newestAuthorList,
  rangeOverview,
  searchTitles,
  type FeedSort,
} from '../feed/feed.repository.ts';
import { latestDay, TRENDING_DAYS } from '../feed/feed.service.ts';
import { addDays, dayPeriod, periodContaining, type Period } from '../feed/periods.ts';
import { parseArxivId } from '../papers/arxiv-id.ts';
import { authorKey } from '../papers/authors.ts';
import type { Paper } from '../papers/paper.ts';
import { getPaper } from '../papers/papers.repository.ts';
import { countSubmittedBy, listSubmittedBy, type SubmissionInfo } from '../submissions/submissions.repository.ts';
import {
  categoryPaperIds,
  countCategoryPapers,
  newestPaperIds,
  papersByIds,
  searchPaperIds,
  type Slice,
} from './api.repository.ts';

export type { FeedSort } from '../feed/feed.repository.ts';

/** Which page of a list: `page` counts from 1, `limit` papers per page. */
export interface PageRequest {
  page: number;
  limit: number;
}

export interface Listing {
  papers: Paper[];
  page: number;
  limit: number;
  /** Papers in the whole list; null where counting would cost a second search (search results). */
  total: number | null;
  /** Pages the list fills (at least 1); null when total is unknown. */
  pages: number | null;
  /** Whether a page after this one has papers. */
  hasMore: boolean;
}

/** Papers on a list because a member submitted them there, by paper id (the others came with arXiv's listing). */
export type ListSubmissions = Map<string, SubmissionInfo>;

const submissionsOf = (summaries: { id: string; submission?: SubmissionInfo | null }[]): ListSubmissions =>
  new Map(summaries.flatMap((s) => (s.submission ? [[s.id, s.submission] as const] : [])));

export interface PeriodListing extends Listing {
  period: Period;
  submissions: ListSubmissions;
  sort: FeedSort;
  /** The nearest periods of the same kind that have papers. */
  prev: Period | null;
  next: Period | null;
}

export interface TrendingListing extends Listing {
  /** The window: TRENDING_DAYS listing days ending on the latest day with papers (null when empty). */
  start: string | null;
  end: string | null;
  submissions: ListSubmissions;
}

/** A member's submissions, newest first (or by trending score): one entry per submission. */
export interface SubmitterListing extends Listing {
  entries: { paper: Paper; submission: SubmissionInfo }[];
}

export interface AuthorListing extends Listing {
  /** The name as the author's newest paper writes it, else as asked. */
  name: string;
  key: string;
}

export interface CategoryListing extends Listing {
  category: string;
}

export interface SearchListing extends Listing {
  query: string;
}

const sliceOf = (r: PageRequest): Slice => ({ limit: r.limit, offset: (r.page - 1) * r.limit });

function counted(r: PageRequest, total: number, papers: Paper[]): Listing {
  const pages = Math.max(1, Math.ceil(total / r.limit));
  return { papers, page: r.page, limit: r.limit, total, pages, hasMore: r.page < pages };
}

/** Whether the page starts past the end of a list of `total` papers (no query needed then). */
const pastEnd = (r: PageRequest, total: number) => (r.page - 1) * r.limit >= total;

/** A day's, week's or month's papers, in the order the page shows them. */
export async function periodListing(db: Queryable, period: Period, sort: FeedSort, r: PageRequest): Promise<PeriodListing> {
  const overview = await rangeOverview(db, period);
  const summaries = pastEnd(r, overview.total) ? [] : await listPapersBetween(db, period, sort, sliceOf(r));
  const papers = await papersByIds(db, summaries.map((p) => p.id));
  return {
    ...counted(r, overview.total, papers),
    period,
    sort,
    submissions: submissionsOf(summaries),
    prev: overview.before ? periodContaining(period.kind, overview.before) : null,
    next: overview.after ? periodContaining(period.kind, overview.after) : null,
  };
}

/** The latest day that has papers (what /papers shows); null when the database holds none. */
export async function latestListing(db: Queryable, sort: FeedSort, r: PageRequest): Promise<PeriodListing | null> {
  const last = await latestDay(db);
  return last ? periodListing(db, dayPeriod(last), sort, r) : null;
}

/** Trending: the last TRENDING_DAYS listing days by trending score (what /papers/trending shows). */
export async function trendingListing(db: Queryable, r: PageRequest): Promise<TrendingListing> {
  const last = await latestDay(db);
  if (!last) return { ...counted(r, 0, []), start: null, end: null, submissions: new Map() };
  const range = { start: addDays(last, -(TRENDING_DAYS - 1)), end: last };
  const { total } = await rangeOverview(db, range);
  const summaries = pastEnd(r, total) ? [] : await listPapersBetween(db, range, 'trending', sliceOf(r));
  const papers = await papersByIds(db, summaries.map((p) => p.id));
  return { ...counted(r, total, papers), ...range, submissions: submissionsOf(summaries) };
}

/**
 * What a member submitted (live submissions), on the lists of a period or of every day: newest first, or
 * by the entries' trending score. `username` as typed (usernames are lowercase); an unknown one has none.
 */
export async function submitterListing(
  db: Queryable,
  username: string,
  period: Period | null,
  sort: FeedSort,
  r: PageRequest,
): Promise<SubmitterListing> {
  const who = username.trim().toLowerCase();
  const total = await countSubmittedBy(db, who, period);
  const subs = pastEnd(r, total) ? [] : await listSubmittedBy(db, who, period, sort, sliceOf(r));
  const papers = new Map((await papersByIds(db, subs.map((s) => s.paperId))).map((p) => [p.id, p]));
  const entries = subs.flatMap((s) => {
    const paper = papers.get(s.paperId);
    return paper ? [{ paper, submission: s }] : [];
  });
  return { ...counted(r, total, entries.map((e) => e.paper)), entries };
}

/** Every paper, newest first. */
export async function newestListing(db: Queryable, r: PageRequest): Promise<Listing> {
  const ids = await newestPaperIds(db, { ...sliceOf(r), limit: r.limit + 1 });
  const papers = await papersByIds(db, ids.slice(0, r.limit));
  return { papers, page: r.page, limit: r.limit, total: null, pages: null, hasMore: ids.length > r.limit };
}

/** An author's papers, newest first, matched as the author page matches them (authorKey). */
export async function authorListing(db: Queryable, name: string, r: PageRequest): Promise<AuthorListing> {
  const key = authorKey(name);
  const asked = name.trim();
  if (!key) return { ...counted(r, 0, []), key, name: asked };
  const total = await countPapersByAuthorKey(db, key);
  if (total === 0) return { ...counted(r, 0, []), key, name: asked };
  const [summaries, authors] = await Promise.all([
    pastEnd(r, total) ? Promise.resolve([]) : listPapersByAuthorKey(db, key, sliceOf(r)),
    newestAuthorList(db, key),
  ]);
  const papers = await papersByIds(db, summaries.map((p) => p.id));
  return { ...counted(r, total, papers), key, name: authors?.find((a) => authorKey(a) === key) ?? asked };
}

/** A category's papers (primary or cross-listed), newest first. */
export async function categoryListing(db: Queryable, category: string, r: PageRequest): Promise<CategoryListing> {
  const total = await countCategoryPapers(db, category);
  const papers = pastEnd(r, total) ? [] : await papersByIds(db, await categoryPaperIds(db, category, sliceOf(r)));
  return { ...counted(r, total, papers), category };
}

/** Keyword search over titles and abstracts, best first (api.repository's searchPaperIds). */
export async function searchListing(db: Queryable, query: string, r: PageRequest): Promise<SearchListing> {
  const ids = await searchPaperIds(db, query, { ...sliceOf(r), limit: r.limit + 1 });
  const papers = await papersByIds(db, ids.slice(0, r.limit));
  return { papers, page: r.page, limit: r.limit, total: null, pages: null, hasMore: ids.length > r.limit, query: query.trim() };
}

/**
 * The search page's own list (title contains the text, newest first), for the feed of a search: a
 * subscriber of a search wants the newest matches, and the feed lists what the page it belongs to lists.
 */
export async function titleSearchListing(db: Queryable, query: string, r: PageRequest): Promise<SearchListing> {
  const q = query.trim();
  const rows = await searchTitles(db, q, { ...sliceOf(r), limit: r.limit + 1 });
  const papers = await papersByIds(db, rows.slice(0, r.limit).map((p) => p.id));
  return { papers, page: r.page, limit: r.limit, total: null, pages: null, hasMore: rows.length > r.limit, query: q };
}

/**
 * A paper by any form of its identifier (versioned, "arXiv:" prefixed, an arxiv.org URL); null when the
 * text is not an identifier or the paper is not stored.
 */
export async function paperByAnyId(db: Queryable, given: string): Promise<Paper | null> {
  const parsed = parseArxivId(given);
  return parsed ? getPaper(db, parsed.id) : null;
}
