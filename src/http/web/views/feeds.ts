// The list pages: a period (day, week, month, or the latest day), trending, an author, the search.
import { TRENDING_DAYS, type AuthorFeed, type FeedSort, type PeriodFeed, type TrendingFeed } from '../../../feed/feed.service.ts';
import { daysBetween, periodContaining, type Period, type PeriodKind } from '../../../feed/periods.ts';
import { dayRange, longDate, periodLabel, periodShortLabel, plural } from '../format.ts';
import { html, type SafeHtml } from '../html.ts';
import type { PaperSummary } from '../../../feed/feed.repository.ts';
import { noPapersYet, pagination, paperList, withQuery, type VoteView } from './components.ts';
import { subscribeBox } from './subscribe.ts';
import { feedBase, feedLinks, type FeedLink } from '../../../api/paths.ts';

const KIND_NAMES: Record<PeriodKind, { title: string; unit: string; segment: string }> = {
  day: { title: 'Daily Papers', unit: 'day', segment: 'date' },
  week: { title: 'Weekly Papers', unit: 'week', segment: 'week' },
  month: { title: 'Monthly Papers', unit: 'month', segment: 'month' },
};

export const periodPath = (p: Period) => `/papers/${KIND_NAMES[p.kind].segment}/${p.key}`;

const sortParam = (sort: FeedSort) => (sort === 'trending' ? undefined : sort);

export interface FeedView {
  /** Title and heading text. */
  title: string;
  body: SafeHtml;
  /** The RSS and Atom feeds of the list (announced in the page head). */
  feeds?: FeedLink[];
}

/** The visible link to a list's RSS feed, at the end of the page summary. */
function feedLink(feeds: FeedLink[] | undefined, afterText = true): SafeHtml {
  const rss = feeds?.find((f) => f.format === 'rss');
  return rss ? html`${afterText ? ' · ' : ''}<a class="feed-link" href="${rss.href}" type="application/rss+xml">RSS</a>` : html``;
}

function periodNav(feed: PeriodFeed): SafeHtml {
  const unit = KIND_NAMES[feed.period.kind].unit;
  const sort = sortParam(feed.sort);
  const link = (p: Period, rel: 'prev' | 'next') =>
    html`<a rel="${rel}" href="${withQuery(periodPath(p), { sort })}">${rel === 'prev' ? html`<span aria-hidden="true">← </span>` : ''}<span class="visually-hidden">${rel === 'prev' ? 'Previous' : 'Next'} ${unit} with papers: </span>${periodShortLabel(p)}${rel === 'next' ? html`<span aria-hidden="true"> →</span>` : ''}</a>`;
  return html`<nav class="period-nav" aria-label="Periods">
${feed.prev ? link(feed.prev, 'prev') : html`<span class="period-edge disabled">No earlier papers</span>`}
<form class="date-picker" method="get" action="/papers/date">
<label for="date-input">Go to date</label>
<input id="date-input" type="date" name="date" value="${clampDay(feed.period.start, feed.first, feed.last)}"${feed.first ? html` min="${feed.first}"` : ''}${feed.last ? html` max="${feed.last}"` : ''} required>
${sort ? html`<input type="hidden" name="sort" value="${sort}">` : ''}
<button type="submit">Go</button>
</form>
${feed.next ? link(feed.next, 'next') : html`<span class="period-edge disabled">No later papers</span>`}
</nav>`;
}

function feedControls(feed: PeriodFeed, basePath: string): SafeHtml {
  const sort = sortParam(feed.sort);
  const kinds = (['day', 'week', 'month'] as PeriodKind[]).map((kind) => {
    const p = periodContaining(kind, feed.period.start);
    const label = kind === 'day' ? 'Day' : kind === 'week' ? 'Week' : 'Month';
    const current = kind === feed.period.kind;
    return html`<li><a href="${withQuery(periodPath(p), { sort })}"${current ? html` aria-current="true"` : ''}>${label}</a></li>`;
  });
  const sorts = (['trending', 'newest'] as FeedSort[]).map((s) => {
    const current = s === feed.sort;
    return html`<li><a href="${withQuery(basePath, { sort: sortParam(s) })}"${current ? html` aria-current="true"` : ''}>${s === 'trending' ? 'Trending' : 'Newest'}</a></li>`;
  });
  return html`<div class="feed-controls">
<ul class="segmented" aria-label="Period length">${kinds}</ul>
<ul class="segmented" aria-label="Sort order">${sorts}</ul>
</div>`;
}

function emptyPeriod(feed: PeriodFeed): SafeHtml {
  const { period } = feed;
  const unit = KIND_NAMES[period.kind].unit;
  const where = period.kind === 'day' ? `on ${longDate(period.start)}` : `in ${periodLabel(period)}`;
  // The nearest period with papers: the closer of the two sides, counted in days from the period's edges.
  const before = feed.dayBefore ? daysBetween(feed.dayBefore, period.start) : Infinity;
  const after = feed.dayAfter ? daysBetween(period.end, feed.dayAfter) : Infinity;
  const nearest = before <= after ? feed.prev : feed.next;
  const sort = sortParam(feed.sort);
  return html`<section class="empty-state" aria-labelledby="empty-title">
<h2 id="empty-title">No papers ${where}</h2>
${nearest
  ? html`<p>The nearest ${unit} with papers is <a href="${withQuery(periodPath(nearest), { sort })}">${periodLabel(nearest)}</a>.${period.kind === 'day' ? ' arXiv lists no new papers on weekends and holidays.' : ''}</p>`
  : ''}
</section>`;
}

/** A day, week or month of papers; basePath is where sort and page links point (the latest day: /papers). */
export function periodPage(feed: PeriodFeed, now: Date, basePath: string, latest = false, votes?: VoteView): FeedView {
  const names = KIND_NAMES[feed.period.kind];
  const label = periodLabel(feed.period);
  const sort = sortParam(feed.sort);
  const summary = feed.total > 1 ? `${plural(feed.total, 'paper')}, ${feed.sort === 'trending' ? 'trending first' : 'newest first'}` : plural(feed.total, 'paper');
  const feeds = latest ? feedLinks(feedBase.latest(), 'Latest Daily Papers') : feedLinks(feedBase.period(feed.period), `${names.title}: ${label}`);
  const body = html`<div class="page-head">
<h1><span class="kicker">${latest ? `${names.title}, latest` : names.title}</span> ${label}</h1>
<p class="page-summary">${summary}${feedLink(feeds)}</p>
</div>
${feedControls(feed, basePath)}
${periodNav(feed)}
${feed.total === 0 ? emptyPeriod(feed) : paperList(feed.papers, now, 2, undefined, votes)}
${pagination({ page: feed.page, pages: feed.pages, href: (p) => withQuery(basePath, { sort, p: p === 1 ? undefined : p }) })}
${subscribeBox()}`;
  return { title: `${names.title}: ${label}`, body, feeds };
}

export function emptySitePage(): FeedView {
  return {
    title: 'Daily Papers',
    body: html`<div class="page-head"><h1>Daily Papers</h1></div>
${noPapersYet}`,
  };
}

export function trendingPage(feed: TrendingFeed, now: Date, votes?: VoteView): FeedView {
  const feeds = feedLinks(feedBase.trending(), 'Trending papers');
  const body =
    feed.start && feed.end
      ? html`<div class="page-head">
<h1><span class="kicker">Trending</span> ${dayRange(feed.start, feed.end)}</h1>
<p class="page-summary">${plural(feed.total, 'paper')} listed in the ${TRENDING_DAYS} days up to ${longDate(feed.end)}, highest trending score first.${feedLink(feeds)}</p>
</div>
${paperList(feed.papers, now, 2, undefined, votes)}
${pagination({ page: feed.page, pages: feed.pages, href: (p) => withQuery('/papers/trending', { p: p === 1 ? undefined : p }) })}
${subscribeBox()}`
      : html`<div class="page-head"><h1>Trending</h1></div>
${noPapersYet}`;
  return { title: 'Trending papers', body, feeds: feed.start ? feeds : undefined };
}

export function authorPage(feed: AuthorFeed, now: Date, path: string, votes?: VoteView): FeedView {
  const feeds = feed.total > 0 ? feedLinks(feedBase.author(feed.name), `Papers by ${feed.name}`) : undefined;
  const body =
    feed.total > 0
      ? html`<div class="page-head">
<h1><span class="kicker">Author</span> <bdi>${feed.name}</bdi></h1>
<p class="page-summary">${plural(feed.total, 'paper')} in this paperpulse, newest first.${feedLink(feeds)}</p>
</div>
${paperList(feed.papers, now, 2, undefined, votes)}
${pagination({ page: feed.page, pages: feed.pages, href: (p) => withQuery(path, { p: p === 1 ? undefined : p }) })}`
      : html`<div class="page-head">
<h1><span class="kicker">Author</span> <bdi>${feed.name}</bdi></h1>
</div>
<section class="empty-state" aria-labelledby="empty-title">
<h2 id="empty-title">No papers by this author here yet</h2>
<p>No paper in this paperpulse lists <bdi>${feed.name}</bdi> as an author. Names match whatever their accents, case and punctuation, but not initials for first names.</p>
<p><a href="${`https://arxiv.org/search/?searchtype=author&query=${encodeURIComponent(feed.name)}`}">Search arXiv for this author</a></p>
</section>`;
  return { title: feed.name || 'Author', body, feeds };
}

/** What the search page shows (src/search/search.service.ts ranks; the route reads the cards). */
export interface SearchPageData {
  query: string;
  page: number;
  /** Results per page. */
  pageSize: number;
  papers: PaperSummary[];
  /** Matching papers, all pages together (null when unknown: then `hasMore` says whether a next page exists). */
  total: number | null;
  hasMore: boolean;
  sort: 'relevance' | 'newest' | 'trending';
  filters: { cat?: string; from?: string; to?: string; author?: string };
  /** Stems to <mark> in titles and excerpts. */
  marks: string[];
}

export function searchPage(r: SearchPageData, now: Date, votes?: VoteView): FeedView {
  const params = { q: r.query, sort: r.sort === 'relevance' ? undefined : r.sort, ...r.filters };
  const href = (p: number) => withQuery('/papers', { ...params, p: p === 1 ? undefined : p });
  const found = r.papers.length > 0;
  const pages = r.total === null ? null : Math.max(1, Math.ceil(r.total / r.pageSize));
  const feeds = feedLinks(feedBase.search(), `Search: ${r.query}`, { q: r.query });
  const filtered = Object.values(r.filters).some(Boolean) || /(^|\s)(-|author:|au:|cat:|category:|")/.test(r.query);
  const sortLink = (s: SearchPageData['sort'], label: string) =>
    s === r.sort
      ? html`<strong aria-current="true">${label}</strong>`
      : html`<a href="${withQuery('/papers', { ...params, sort: s === 'relevance' ? undefined : s })}">${label}</a>`;
  const f = r.filters;
  const form = html`<form class="search-filters" action="/papers" method="get" role="search" aria-label="Search filters">
<input type="hidden" name="q" value="${r.query}">
${r.sort !== 'relevance' ? html`<input type="hidden" name="sort" value="${r.sort}">` : ''}
<label>Category <input name="cat" value="${f.cat ?? ''}" placeholder="cs.CL" size="8" maxlength="40"></label>
<label>Author <input name="author" value="${f.author ?? ''}" size="14" maxlength="200"></label>
<label>From <input type="date" name="from" value="${f.from ?? ''}"></label>
<label>To <input type="date" name="to" value="${f.to ?? ''}"></label>
<button type="submit">Filter</button>
</form>`;
  const body = html`<div class="page-head">
<h1><span class="kicker">Search</span> <bdi>${r.query}</bdi></h1>
<p class="page-summary">${r.total !== null && (found || r.page > 1) ? html`<span class="result-count">${plural(r.total, 'result')}</span>. ` : ''}Sort: ${sortLink('relevance', 'relevance')} · ${sortLink('newest', 'newest')} · ${sortLink('trending', 'trending')}${feedLink(feeds, found)}</p>
${form}
</div>
${found
  ? paperList(r.papers, now, 2, new Set(r.marks), votes)
  : html`<section class="empty-state" aria-labelledby="empty-title">
<h2 id="empty-title">${r.page > 1 && r.total !== 0 ? 'No more results' : 'No papers match'}</h2>
<p>No titles match, and no abstracts either.${filtered ? ' Try loosening the filters: remove a category, author, date range, "quoted phrase" or -exclusion.' : ''} Try fewer or other words, or browse <a href="/papers">the latest papers</a>.</p>
</section>`}
${pagination({ page: r.page, pages: r.total ? pages : null, hasMore: r.hasMore, href })}`;
  return { title: `Search: ${r.query}`, body, feeds };
}

/** The date picker's initial value, kept within its min/max so the pre-filled form always submits. */
function clampDay(day: string, first: string | null | undefined, last: string | null | undefined): string {
  if (first && day < first) return first;
  if (last && day > last) return last;
  return day;
}
