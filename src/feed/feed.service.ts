// The feed as the pages ask for it: a period's papers with paging and the periods around it, the
// latest day, the trending window, an author's papers and the plain title search. No HTTP here.
import type { Queryable } from '../db/client.ts';
import { authorKey } from '../papers/authors.ts';
import type { Paper } from '../papers/paper.ts';
import { getPaper } from '../papers/papers.repository.ts';
import {
  countPapersByAuthorKey,
  listingBounds,
  listPapersBetween,
  listPapersByAuthorKey,
  newestAuthorList,
  rangeOverview,
  searchTitles,
  type FeedSort,
  type PaperSummary,
} from './feed.repository.ts';
import { addDays, dayPeriod, periodContaining, type Period } from './periods.ts';

export type { FeedSort, PaperSummary } from './feed.repository.ts';

/** Papers per page on every list. */
export const PAGE_SIZE = 50;
/** Length of the trending window in listing days, ending on the latest day that has papers. */
export const TRENDING_DAYS = 7;

export interface Paging {
  /** 1-based page asked for. */
  page: number;
  /** Pages the list fills (at least 1, so that an empty list still has its page 1). */
  pages: number;
  total: number;
  /** True when `page` is past the last page: `papers` is then empty. */
  outOfRange: boolean;
}

function paging(total: number, page: number): Paging {
  const pages = Math.max(1, Math.ceil(total / PAGE_SIZE));
  return { page, pages, total, outOfRange: page > pages };
}

const sliceOf = (page: number) => ({ limit: PAGE_SIZE, offset: (page - 1) * PAGE_SIZE });

export interface PeriodFeed extends Paging {
  period: Period;
  sort: FeedSort;
  papers: PaperSummary[];
  /** The nearest periods of the same kind that have papers, before and after this one. */
  prev: Period | null;
  next: Period | null;
  /** The nearest listing days with papers before and after the period. */
  dayBefore: string | null;
  dayAfter: string | null;
  /** First and last listing days in the database (null when it holds no paper). */
  first: string | null;
  last: string | null;
}

/** A period's papers, one page of them, with the neighbouring periods that have papers. */
export async function periodFeed(db: Queryable, period: Period, sort: FeedSort, page: number): Promise<PeriodFeed> {
  const overview = await rangeOverview(db, period);
  const p = paging(overview.total, page);
  const papers = p.outOfRange || overview.total === 0 ? [] : await listPapersBetween(db, period, sort, sliceOf(page));
  return {
    ...p,
    period,
    sort,
    papers,
    prev: overview.before ? periodContaining(period.kind, overview.before) : null,
    next: overview.after ? periodContaining(period.kind, overview.after) : null,
    dayBefore: overview.before,
    dayAfter: overview.after,
    first: overview.first,
    last: overview.last,
  };
}

/** The latest listing day that has papers; null when the database holds none. */
export async function latestDay(db: Queryable): Promise<string | null> {
  return (await listingBounds(db)).last;
}

/** The feed of the latest day that has papers; null when the database holds none. */
export async function latestFeed(db: Queryable, sort: FeedSort, page: number): Promise<PeriodFeed | null> {
  const last = await latestDay(db);
  return last ? periodFeed(db, dayPeriod(last), sort, page) : null;
}

export interface TrendingFeed extends Paging {
  /** The window: TRENDING_DAYS listing days ending on the latest day with papers (null when empty). */
  start: string | null;
  end: string | null;
  papers: PaperSummary[];
}

/**
 * Trending: papers of the last TRENDING_DAYS days ordered by their trending score. The window ends on
 * the latest day that has papers rather than on today, so a site whose harvest paused, or one that
 * serves an imported corpus, still shows its most recent week instead of an empty list.
 */
export async function trendingFeed(db: Queryable, page: number): Promise<TrendingFeed> {
  const last = await latestDay(db);
  if (!last) return { ...paging(0, page), start: null, end: null, papers: [] };
  const range = { start: addDays(last, -(TRENDING_DAYS - 1)), end: last };
  const { total } = await rangeOverview(db, range);
  const p = paging(total, page);
  const papers = p.outOfRange ? [] : await listPapersBetween(db, range, 'trending', sliceOf(page));
  return { ...p, ...range, papers };
}

export interface AuthorFeed extends Paging {
  key: string;
  /** The name as the author's newest paper writes it, else as asked. */
  name: string;
  papers: PaperSummary[];
}

/** An author's papers, newest first; matched on authorKey(name), so accents and case do not matter. */
export async function authorFeed(db: Queryable, name: string, page: number): Promise<AuthorFeed> {
  const key = authorKey(name);
  const asked = name.trim();
  if (!key) return { ...paging(0, page), key, name: asked, papers: [] };
  const total = await countPapersByAuthorKey(db, key);
  const p = paging(total, page);
  if (total === 0) return { ...p, key, name: asked, papers: [] };
  const [papers, authors] = await Promise.all([
    p.outOfRange ? Promise.resolve([]) : listPapersByAuthorKey(db, key, sliceOf(page)),
    newestAuthorList(db, key),
  ]);
  const shown = authors?.find((a) => authorKey(a) === key) ?? asked;
  return { ...p, key, name: shown, papers };
}

export interface TitleSearch {
  query: string;
  page: number;
  papers: PaperSummary[];
  /** Whether a next page has results. */
  hasMore: boolean;
}

/** Case-insensitive title match, newest first (until full-text search replaces it). */
export async function titleSearch(db: Queryable, query: string, page: number): Promise<TitleSearch> {
  const q = query.trim();
  const rows = await searchTitles(db, q, { limit: PAGE_SIZE + 1, offset: (page - 1) * PAGE_SIZE });
  return { query: q, page, papers: rows.slice(0, PAGE_SIZE), hasMore: rows.length > PAGE_SIZE };
}

/** One paper with everything its page shows. */
export function paperById(db: Queryable, id: string): Promise<Paper | null> {
  return getPaper(db, id);
}
