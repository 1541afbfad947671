// paperpulse's own JSON API (/api/v1): the shape of a paper and of the list envelopes, as explicit
// mappings from domain objects and as the JSON Schemas the routes serialize through (and OpenAPI
// documents). Pure: no I/O. Never a raw row.
import { listedAt } from './hf-shape.ts';
import { absUrl, pdfUrl } from '../papers/arxiv-id.ts';
import type { Paper } from '../papers/paper.ts';
import type { Period } from '../feed/periods.ts';
import type { Listing } from './listing.service.ts';
import { apiAuthorPath, apiPaperPath, authorPagePath, paperPagePath } from './paths.ts';

export interface ApiAuthor {
  name: string;
  /** The author's page on this site. */
  url: string;
  /** The author's papers in this API. */
  api: string;
}

export interface ApiPaper {
  id: string;
  version: number | null;
  title: string;
  abstract: string;
  authors: ApiAuthor[];
  categories: string[];
  primaryCategory: string;
  comment: string | null;
  journalRef: string | null;
  doi: string | null;
  license: string | null;
  publishedAt: string | null;
  updatedAt: string | null;
  listedOn: string;
  listedAt: string;
  versions: { version: number; date: string }[];
  githubRepo: string | null;
  projectPage: string | null;
  organization: string | null;
  upvotes: number;
  numComments: number;
  trendingScore: number;
  links: { self: string; html: string; abs: string; pdf: string };
}

/** A paper as /api/v1 shows it; `base` is the site's public URL (links are absolute). */
export function apiPaper(p: Paper, base: string): ApiPaper {
  return {
    id: p.id,
    version: p.version,
    title: p.title,
    abstract: p.abstract,
    authors: p.authors.map((name) => ({ name, url: base + authorPagePath(name), api: base + apiAuthorPath(name) })),
    categories: p.categories,
    primaryCategory: p.primaryCategory,
    comment: p.comment,
    journalRef: p.journalRef,
    doi: p.doi,
    license: p.license,
    publishedAt: p.publishedAt,
    updatedAt: p.updatedAt,
    listedOn: p.firstListed,
    listedAt: listedAt(p.firstListed),
    versions: p.versions.map((v) => ({ version: v.version, date: v.date })),
    githubRepo: p.githubRepo,
    projectPage: p.projectPage,
    organization: p.organization,
    upvotes: p.upvotes,
    numComments: p.numComments,
    trendingScore: p.trendingScore,
    links: {
      self: base + apiPaperPath(p.id),
      html: base + paperPagePath(p.id),
      // Unversioned: arXiv shows the latest version there, as the site's own links do.
      abs: absUrl(p.id),
      pdf: pdfUrl(p.id),
    },
  };
}

export interface ApiPagination {
  page: number;
  limit: number;
  total: number | null;
  pages: number | null;
  hasMore: boolean;
}

export interface ApiLinks {
  self: string;
  first: string;
  last: string | null;
  prev: string | null;
  next: string | null;
  /** The same list as an HTML page, RSS and Atom feed (null where there is none). */
  html: string | null;
  rss: string | null;
  atom: string | null;
}

export function apiPagination(l: Listing): ApiPagination {
  return { page: l.page, limit: l.limit, total: l.total, pages: l.pages, hasMore: l.hasMore };
}

/**
 * Page links of a list: `pageUrl(n)` is the absolute URL of page n. A page past the end has no next, and
 * its prev is the last page (so a client that overshoots finds its way back).
 */
export function pageLinks(l: Listing, pageUrl: (page: number) => string): Pick<ApiLinks, 'self' | 'first' | 'last' | 'prev' | 'next'> {
  const last = l.pages;
  const prevPage = l.page <= 1 ? null : last !== null ? Math.min(l.page - 1, last) : l.page - 1;
  return {
    self: pageUrl(l.page),
    first: pageUrl(1),
    last: last === null ? null : pageUrl(last),
    prev: prevPage === null ? null : pageUrl(prevPage),
    next: l.hasMore ? pageUrl(l.page + 1) : null,
  };
}

export interface ApiPeriodRef {
  kind: Period['kind'];
  key: string;
  start: string;
  end: string;
  url: string;
}

// ---- JSON Schemas -------------------------------------------------------------------------------------
// Shared schemas are added once (app.addSchema) and referenced as { $ref: '<$id>#' }; OpenAPI lists them
// under components.schemas by their $id.

const str = { type: 'string' } as const;
const nullableStr = { type: ['string', 'null'] } as const;
const url = { type: 'string', format: 'uri' } as const;
const nullableUrl = { type: ['string', 'null'], format: 'uri' } as const;

export const apiPaperSchema = {
  $id: 'ApiPaper',
  type: 'object',
  description: 'A paper. Links are absolute URLs on this server (from PUBLIC_URL) or on arxiv.org.',
  required: [
    'id', 'version', 'title', 'abstract', 'authors', 'categories', 'primaryCategory', 'comment', 'journalRef', 'doi',
    'license', 'publishedAt', 'updatedAt', 'listedOn', 'listedAt', 'versions', 'githubRepo', 'projectPage',
    'organization', 'upvotes', 'numComments', 'trendingScore', 'links',
  ],
  properties: {
    id: { type: 'string', description: 'arXiv identifier without version', examples: ['2407.21783', 'hep-th/9901001'] },
    version: { type: ['integer', 'null'], description: 'Latest version known here (null when the source did not say)' },
    title: str,
    abstract: str,
    authors: {
      type: 'array',
      items: {
        type: 'object',
        required: ['name', 'url', 'api'],
        properties: {
          name: str,
          url: { ...url, description: "The author's page" },
          api: { ...url, description: "The author's papers in this API" },
        },
      },
    },
    categories: { type: 'array', items: str, description: 'arXiv categories, primary first' },
    primaryCategory: str,
    comment: nullableStr,
    journalRef: nullableStr,
    doi: nullableStr,
    license: nullableStr,
    publishedAt: { ...nullableStr, description: 'Submission time of version 1 (ISO 8601)' },
    updatedAt: { ...nullableStr, description: 'Submission time of the latest version (ISO 8601)' },
    listedOn: { type: 'string', format: 'date', description: 'The day of the daily list the paper belongs to' },
    listedAt: { type: 'string', format: 'date-time', description: 'When the paper went onto that list (the day at 00:00 UTC)' },
    versions: {
      type: 'array',
      items: { type: 'object', required: ['version', 'date'], properties: { version: { type: 'integer' }, date: str } },
    },
    githubRepo: nullableUrl,
    projectPage: nullableUrl,
    organization: nullableStr,
    upvotes: { type: 'integer', minimum: 0 },
    numComments: { type: 'integer', minimum: 0 },
    trendingScore: { type: 'number', description: 'Ordering key of trending lists (docs/trending.md)' },
    links: {
      type: 'object',
      required: ['self', 'html', 'abs', 'pdf'],
      properties: { self: url, html: url, abs: url, pdf: url },
    },
  },
} as const;

export const apiPaginationSchema = {
  $id: 'ApiPagination',
  type: 'object',
  required: ['page', 'limit', 'total', 'pages', 'hasMore'],
  properties: {
    page: { type: 'integer', minimum: 1, description: 'This page (counted from 1)' },
    limit: { type: 'integer', minimum: 1, description: 'Papers per page' },
    total: { type: ['integer', 'null'], description: 'Papers in the whole list; null when not counted (search)' },
    pages: { type: ['integer', 'null'], description: 'Pages in the whole list; null when not counted' },
    hasMore: { type: 'boolean', description: 'Whether the next page has papers' },
  },
} as const;

export const apiLinksSchema = {
  $id: 'ApiLinks',
  type: 'object',
  description: 'Absolute URLs: pages of this list, and the same list as an HTML page and as feeds.',
  required: ['self', 'first', 'last', 'prev', 'next', 'html', 'rss', 'atom'],
  properties: {
    self: url,
    first: url,
    last: nullableUrl,
    prev: nullableUrl,
    next: nullableUrl,
    html: nullableUrl,
    rss: nullableUrl,
    atom: nullableUrl,
  },
} as const;

const periodRef = {
  type: ['object', 'null'],
  required: ['kind', 'key', 'start', 'end', 'url'],
  properties: {
    kind: { type: 'string', enum: ['day', 'week', 'month'] },
    key: { type: 'string', examples: ['2025-07-02', '2025-W27', '2025-07'] },
    start: { type: 'string', format: 'date' },
    end: { type: 'string', format: 'date' },
    url: url,
  },
} as const;

export const apiPeriodSchema = {
  $id: 'ApiPeriod',
  type: 'object',
  required: ['kind', 'key', 'start', 'end', 'url', 'prev', 'next'],
  properties: {
    ...periodRef.properties,
    prev: { ...periodRef, description: 'The nearest earlier period of this kind that has papers' },
    next: { ...periodRef, description: 'The nearest later period of this kind that has papers' },
  },
} as const;

export const apiErrorSchema = {
  $id: 'ApiError',
  type: 'object',
  required: ['error'],
  properties: {
    error: {
      type: 'object',
      required: ['code', 'message'],
      properties: {
        code: { type: 'string', description: 'A code from the registry in docs/api.md', examples: ['INVALID_PARAMETER'] },
        message: { type: 'string', description: 'What went wrong, for people' },
        parameter: { type: 'string', description: 'The parameter at fault (INVALID_PARAMETER)' },
      },
    },
  },
} as const;

export const API_V1_SCHEMAS = [apiPaperSchema, apiPaginationSchema, apiLinksSchema, apiPeriodSchema, apiErrorSchema];

export const ref = (id: string) => ({ $ref: `${id}#` }) as const;

/** A list envelope: the papers, how the list is paged, its links, and extra fields describing the list. */
export function listSchema(description: string, extra: Record<string, unknown> = {}, extraRequired: string[] = []) {
  return {
    type: 'object',
    description,
    required: ['papers', 'pagination', 'links', ...extraRequired],
    properties: {
      ...extra,
      papers: { type: 'array', items: ref('ApiPaper') },
      pagination: ref('ApiPagination'),
      links: ref('ApiLinks'),
    },
  } as const;
}
