// Addresses of pages, API resources and feeds, in one place so that the HTML pages (autodiscovery
// links), the JSON API (links) and the feeds (self links) agree. Pure.
//
// Feed addresses mirror the pages they belong to: /papers/date/2025-07-02 has /feeds/date/2025-07-02.xml
// (RSS 2.0) and /feeds/date/2025-07-02.atom (Atom 1.0).
import type { Period, PeriodKind } from '../feed/periods.ts';

export type FeedFormat = 'rss' | 'atom';

export const FEED_EXTENSIONS: Record<FeedFormat, string> = { rss: '.xml', atom: '.atom' };
export const FEED_MEDIA_TYPES: Record<FeedFormat, string> = {
  rss: 'application/rss+xml',
  atom: 'application/atom+xml',
};

/** The URL segment of each kind of period, the same on pages (/papers/date/...) and feeds (/feeds/date/...). */
export const PERIOD_SEGMENTS: Record<PeriodKind, string> = { day: 'date', week: 'week', month: 'month' };

export const paperPagePath = (id: string) => `/papers/${id}`;
export const authorPagePath = (name: string) => `/authors/${encodeURIComponent(name)}`;
export const periodPagePath = (p: Period) => `/papers/${PERIOD_SEGMENTS[p.kind]}/${p.key}`;

/** A feed's address without its extension; `feedPath` adds it. */
export const feedBase = {
  latest: () => '/feeds/latest',
  trending: () => '/feeds/trending',
  period: (p: Period) => `/feeds/${PERIOD_SEGMENTS[p.kind]}/${p.key}`,
  category: (category: string) => `/feeds/category/${category}`,
  author: (name: string) => `/feeds/author/${encodeURIComponent(name)}`,
  search: () => '/feeds/search',
};

/** A feed's path (with its query, for searches). */
export function feedPath(base: string, format: FeedFormat, query?: Record<string, string>): string {
  const q = query ? new URLSearchParams(query).toString() : '';
  return `${base}${FEED_EXTENSIONS[format]}${q ? `?${q}` : ''}`;
}

/** The feed links a page announces: an RSS and an Atom version of the same list. */
export interface FeedLink {
  format: FeedFormat;
  title: string;
  href: string;
}

export function feedLinks(base: string, title: string, query?: Record<string, string>): FeedLink[] {
  return (['rss', 'atom'] as FeedFormat[]).map((format) => ({
    format,
    title: `${title} (${format === 'rss' ? 'RSS' : 'Atom'})`,
    href: feedPath(base, format, query),
  }));
}

export const apiPaperPath = (id: string) => `/api/v1/papers/${id}`;
export const apiAuthorPath = (name: string) => `/api/v1/authors/${encodeURIComponent(name)}`;
