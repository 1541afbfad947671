// The server-rendered pages: the daily, weekly and monthly feeds, trending, paper pages, author pages
// and the title search, plus their stylesheet and the client script. Pages are HTML that works without
// JavaScript. Rendered pages are cached in process (page-cache.ts) and carry an ETag, so a browser
// that revalidates gets a 304.
import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Context } from '../../context.ts';
import type { FeedLink } from '../../api/paths.ts';
import {
  authorFeed,
  latestDay,
  latestFeed,
  PAGE_SIZE,
  paperById,
  periodFeed,
  titleSearch,
  trendingFeed,
  type FeedSort,
  type Paging,
} from '../../feed/feed.service.ts';
import { parsePeriod, periodContaining, type PeriodKind } from '../../feed/periods.ts';
import { parseArxivId } from '../../papers/arxiv-id.ts';
import { cleanText } from '../../papers/paper.ts';
import { registerClientAsset } from './client-bundle.ts';
import { registerAssetRoutes } from './assets.routes.ts';
import { html, type SafeHtml } from './html.ts';
import { etagMatches, finishPage, PageCache, type CachedPage, type RenderResult } from './page-cache.ts';
import { withQuery } from './views/components.ts';
import { errorPage } from './views/errors.ts';
import { authorPage, emptySitePage, periodPage, periodPath, searchPage, trendingPage, type SearchPageData } from './views/feeds.ts';
import { parseQuery } from '../../search/query.ts';
import { search, similarPapers } from '../../search/search.service.ts';
import { summariesByIds } from '../../search/search.repository.ts';
import { page, type HeaderViewer, type Section, type Theme } from './views/layout.ts';
import { headerViewer } from './account.routes.ts';
import { paperNotFoundPage, paperPage } from './views/paper.ts';
import { paperSubmissionsSection } from './submit.routes.ts';
import { commentThread } from '../../comments/comments.service.ts';
import { commentsSection } from './views/comments.ts';
import { voteViewFor } from './vote.routes.ts';

export interface WebOptions {
  /** Rendered pages kept in memory (least recently used go first). */
  cacheEntries?: number;
  /** How long a rendered page is served, in ms; bounds staleness when another process changes the data. */
  cacheTtlMs?: number;
}

/** The cookie the client script sets when the theme is toggled (src/http/assets/app.ts). */
const THEME_COOKIE_RE = /(?:^|;\s*)paperpulse-theme=(light|dark)(?:;|$)/;
const MAX_SEARCH_LENGTH = 300;

/** Renders a page for a theme and, on pages rendered for one signed-in member, their header. */
type Render = (theme: Theme | null, viewer?: HeaderViewer | null) => RenderResult | Promise<RenderResult>;

interface ViewLike {
  title: string;
  body: SafeHtml;
  description?: string;
  /** RSS/Atom feeds of the page's list (autodiscovery links). */
  feeds?: FeedLink[];
}

function htmlView(status: number, view: ViewLike, extra: { section?: Section; query?: string; noindex?: boolean } = {}): Render {
  return (theme, viewer) => ({
    status,
    body: page({ title: view.title, description: view.description, body: view.body, feeds: view.feeds, theme, viewer, ...extra }),
  });
}

function themeOf(req: FastifyRequest): Theme | null {
  const cookie = req.headers.cookie;
  if (!cookie) return null;
  return (THEME_COOKIE_RE.exec(cookie)?.[1] as Theme | undefined) ?? null;
}

function send(req: FastifyRequest, reply: FastifyReply, page: CachedPage): FastifyReply {
  reply
    .code(page.status)
    .header('Content-Type', 'text/html; charset=utf-8')
    .header('Cache-Control', req.viewer ? 'private, no-cache' : 'no-cache')
    .header('ETag', page.etag)
    .header('Vary', 'Cookie')
    .header('X-Content-Type-Options', 'nosniff');
  if (page.status === 200 && etagMatches(req.headers['if-none-match'], page.etag)) return reply.code(304).send();
  return reply.send(page.body);
}

async function sendUncached(req: FastifyRequest, reply: FastifyReply, render: Render): Promise<FastifyReply> {
  const result = await render(themeOf(req), headerViewer(req.viewer));
  return send(req, reply, finishPage(result));
}

function badRequest(message: string, extra: SafeHtml | '' = ''): Render {
  return htmlView(400, errorPage(400, message, extra), { noindex: true });
}

/** A 400 for a page number past the end of a list, linking to its last page. */
function pageOutOfRange(p: Paging, lastPageHref: string): Render {
  return badRequest(
    `There is no page ${p.page} here: this list has ${p.pages === 1 ? 'one page' : `${p.pages} pages`}.`,
    html`<p><a href="${lastPageHref}">Go to the last page</a></p>`,
  );
}

function validationMessage(err: FastifyError): string {
  const first = err.validation?.[0];
  const field = first?.instancePath?.replace(/^\//, '') ?? '';
  if (field === 'sort') return 'Papers can be sorted by “trending” or “newest” (?sort=trending or ?sort=newest).';
  if (field === 'p') return 'The page number (?p=) must be a whole number, 1 or more.';
  if (field === 'q') return `The search text is too long: at most ${MAX_SEARCH_LENGTH} characters.`;
  if (field === 'date' || field === 'from' || field === 'to') return 'The date must be written as YYYY-MM-DD, e.g. 2025-07-02.';
  return `This request is not valid: ${err.message}.`;
}

const sortProp = { type: 'string', enum: ['trending', 'newest'] } as const;
const pageProp = { type: 'integer', minimum: 1, maximum: 1_000_000 } as const;
const listQuery = { type: 'object', properties: { sort: sortProp, p: pageProp } } as const;
const pageOnlyQuery = { type: 'object', properties: { p: pageProp } } as const;
const dayProp = { type: 'string', pattern: '^(\\d{4}-\\d{2}-\\d{2})?$' } as const;
const feedQuery = {
  type: 'object',
  properties: {
    sort: { type: 'string', enum: ['trending', 'newest', 'relevance'] },
    p: pageProp,
    q: { type: 'string', maxLength: MAX_SEARCH_LENGTH },
    // Search filters (ignored without q).
    cat: { type: 'string', maxLength: 40 },
    author: { type: 'string', maxLength: 200 },
    from: dayProp,
    to: dayProp,
  },
} as const;

interface SearchQuery {
  sort?: FeedSort | 'relevance';
  p?: number;
  q?: string;
  cat?: string;
  author?: string;
  from?: string;
  to?: string;
}
const htmlResponse = { 200: { description: 'An HTML page', type: 'string' } } as const;

interface ListQuery {
  sort?: FeedSort;
  p?: number;
}

export async function registerWebRoutes(app: FastifyInstance, ctx: Context, opts: WebOptions = {}): Promise<void> {
  const cache = new PageCache({ maxEntries: opts.cacheEntries ?? 500, ttlMs: opts.cacheTtlMs ?? 30_000 });
  const onPapersChanged = () => cache.clear();
  ctx.events.on('papers-changed', onPapersChanged);
  app.addHook('onClose', async () => {
    ctx.events.off('papers-changed', onPapersChanged);
  });

  /** Serves the page cached under key (per theme), rendering it on a miss. */
  const cached = async (req: FastifyRequest, reply: FastifyReply, key: string, render: Render) => {
    // Pages for a signed-in member carry their name and form tokens: rendered for them, never shared.
    if (req.viewer) return sendUncached(req, reply, render);
    const theme = themeOf(req);
    return send(req, reply, await cache.get(`${theme ?? '-'} ${key}`, async () => render(theme)));
  };

  /** The upvote buttons of a page at `next` listing `papers`, for the viewer (null: the shared anonymous page). */
  const votesOn = (viewer: HeaderViewer | null | undefined, papers: readonly { id: string }[], next: string) =>
    voteViewFor(ctx.db, viewer, papers.map((p) => p.id), next);
  const pageParam = (p: number) => (p === 1 ? undefined : p);

  const errorHandler = (err: FastifyError, req: FastifyRequest, reply: FastifyReply) => {
    let render: Render;
    if (err.validation) render = badRequest(validationMessage(err));
    else if (err.statusCode && err.statusCode >= 400 && err.statusCode < 500) {
      render = htmlView(err.statusCode, errorPage(err.statusCode, err.message), { noindex: true });
    } else {
      req.log.error({ err, url: req.url }, 'page failed');
      render = htmlView(500, errorPage(500, 'The server could not build this page. The error is logged; please try again in a moment.'), { noindex: true });
    }
    return sendUncached(req, reply, render);
  };

  const notFound = (req: FastifyRequest, reply: FastifyReply) =>
    sendUncached(req, reply, htmlView(404, errorPage(404, `There is no page at ${decodeURIComponentSafe(req.url.split('?')[0])}.`), { noindex: true }));

  // -- The latest day (and the search, until search has its own page) ----------------------------------
  const latestOrSearch = async (req: FastifyRequest<{ Querystring: SearchQuery }>, reply: FastifyReply) => {
    const { p = 1 } = req.query;
    // Control characters (a NUL would be refused by PostgreSQL) and runs of spaces go, as in stored titles.
    const q = req.query.q ? cleanText(req.query.q) : '';
    if (q) {
      // An arXiv id or URL goes straight to the paper.
      const id = parseQuery(q).arxivId;
      if (id) return reply.redirect(`/papers/${id}`, 302);
      const sort = req.query.sort ?? 'relevance';
      const filters = {
        cat: req.query.cat ? cleanText(req.query.cat) || undefined : undefined,
        author: req.query.author ? cleanText(req.query.author) || undefined : undefined,
        from: req.query.from || undefined,
        to: req.query.to || undefined,
      };
      const key = `search ${sort} ${p} ${filters.cat ?? ''} ${filters.author ?? ''} ${filters.from ?? ''} ${filters.to ?? ''} ${q}`;
      return cached(req, reply, key, async (theme, viewer) => {
        const data = await searchPageData(q, sort, p, filters);
        const here = withQuery('/papers', { q, sort: sort === 'relevance' ? undefined : sort, ...filters, p: pageParam(p) });
        return htmlView(200, searchPage(data, ctx.clock(), await votesOn(viewer, data.papers, here)), { query: q, noindex: true })(theme, viewer);
      });
    }
    const sort = req.query.sort === 'newest' ? 'newest' : 'trending';
    return cached(req, reply, `latest ${sort} ${p}`, async (theme, viewer) => {
      const feed = await latestFeed(ctx.db, sort, p);
      if (!feed) return htmlView(200, emptySitePage(), { section: 'daily', noindex: true })(theme, viewer);
      if (feed.outOfRange) return pageOutOfRange(feed, withQuery('/papers', { sort: sort === 'trending' ? undefined : sort, p: feed.pages }))(theme, viewer);
      const here = withQuery('/papers', { sort: sort === 'trending' ? undefined : sort, p: pageParam(p) });
      return htmlView(200, periodPage(feed, ctx.clock(), '/papers', true, await votesOn(viewer, feed.papers, here)), { section: 'daily' })(theme, viewer);
    });
  };

  /** The search page: the ranked search (src/search), or the title match for a query with no searchable word. */
  const searchPageData = async (
    q: string,
    sort: SearchPageData['sort'],
    p: number,
    filters: SearchPageData['filters'],
  ): Promise<SearchPageData> => {
    const res = await search(ctx.db, {
      q,
      sort,
      category: filters.cat,
      author: filters.author,
      from: filters.from,
      to: filters.to,
      offset: (p - 1) * PAGE_SIZE,
      limit: PAGE_SIZE,
      oneWordTies: 'newest',
    });
    const noFilters = !filters.cat && !filters.author && !filters.from && !filters.to;
    if (res.total === 0 && res.highlight.length === 0 && noFilters && !/(^|\s)(-|author:|au:|cat:|category:|")/.test(q)) {
      // Only symbols or stop words ("%", "one"): the plain title match still finds titles that contain them.
      const t = await titleSearch(ctx.db, q, p);
      return { query: q, page: p, pageSize: PAGE_SIZE, papers: t.papers, total: null, hasMore: t.hasMore, sort, filters, marks: [] };
    }
    const papers = await summariesByIds(ctx.db, res.ids);
    return { query: q, page: p, pageSize: PAGE_SIZE, papers, total: res.total, hasMore: false, sort, filters, marks: res.highlight };
  };

  const periodRoute = (kind: PeriodKind) =>
    async (req: FastifyRequest<{ Params: { key: string }; Querystring: ListQuery }>, reply: FastifyReply) => {
      const parsed = parsePeriod(kind, req.params.key);
      if (!parsed.ok) return sendUncached(req, reply, badRequest(parsed.error));
      const period = parsed.value;
      const { sort = 'trending', p = 1 } = req.query;
      const path = periodPath(period);
      return cached(req, reply, `${kind} ${period.key} ${sort} ${p}`, async (theme, viewer) => {
        const feed = await periodFeed(ctx.db, period, sort, p);
        if (feed.first === null) return htmlView(200, emptySitePage(), { section: 'daily', noindex: true })(theme, viewer);
        if (feed.outOfRange) return pageOutOfRange(feed, withQuery(path, { sort: sort === 'trending' ? undefined : sort, p: feed.pages }))(theme, viewer);
        const here = withQuery(path, { sort: sort === 'trending' ? undefined : sort, p: pageParam(p) });
        const votes = await votesOn(viewer, feed.papers, here);
        return htmlView(200, periodPage(feed, ctx.clock(), path, false, votes), { section: 'daily', noindex: feed.total === 0 })(theme, viewer);
      });
    };

  const paperRoute = async (req: FastifyRequest, reply: FastifyReply, given: string) => {
    const parsed = parseArxivId(given);
    if (!parsed) {
      return sendUncached(
        req,
        reply,
        htmlView(404, errorPage(404, `“${given.slice(0, 80)}” is not an arXiv identifier. Identifiers look like 2501.00001 or hep-th/9901001.`), { noindex: true }),
      );
    }
    // One address per paper: versions, "arXiv:" prefixes and subject classes redirect to the bare id.
    if (parsed.id !== given) return reply.redirect(`/papers/${parsed.id}`, 301);
    return cached(req, reply, `paper ${parsed.id}`, async (theme, viewer) => {
      const paper = await paperById(ctx.db, parsed.id);
      if (!paper) return htmlView(404, paperNotFoundPage(parsed.id), { noindex: true })(theme, viewer);
      const sim = await similarPapers(ctx.db, paper.id, 10);
      const similar = { model: sim.modelVersion, papers: await summariesByIds(ctx.db, sim.items.map((i) => i.id)) };
      const votes = await votesOn(viewer, [paper], `/papers/${paper.id}`);
      const comments = commentsSection({ paperId: paper.id, count: paper.numComments, thread: await commentThread(ctx.db, paper.id), viewer });
      const submissions = await paperSubmissionsSection(ctx.db, paper.id, viewer, (req.query as { submitted?: unknown }).submitted);
      return htmlView(200, paperPage(paper, ctx.clock(), similar, votes, comments, submissions))(theme, viewer);
    });
  };

  /** Redirects /papers/week and /papers/month to the latest one that has papers. */
  const latestPeriodRedirect = (kind: PeriodKind) => async (_req: FastifyRequest, reply: FastifyReply) => {
    const day = await latestDay(ctx.db);
    return reply.redirect(day ? periodPath(periodContaining(kind, day)) : '/papers', 302);
  };

  await registerAssetRoutes(app);
  await registerClientAsset(app);

  // Any other address: an HTML 404 for people, a JSON error for API clients.
  app.setNotFoundHandler((req, reply) => {
    if (req.url.startsWith('/api/')) {
      return reply.code(404).send({ error: { code: 'NOT_FOUND', message: `no API route ${req.method} ${req.url.split('?')[0]}` } });
    }
    return notFound(req, reply);
  });

  await app.register(async (root) => {
    root.setErrorHandler(errorHandler);
    root.get('/', { schema: { hide: true, querystring: feedQuery, response: htmlResponse } }, latestOrSearch);
  });

  await app.register(
    async (papers) => {
      papers.setErrorHandler(errorHandler);
      papers.setNotFoundHandler(notFound);
      papers.get('/', { schema: { summary: 'The latest day of papers, or a title search with ?q=', hide: true, querystring: feedQuery, response: htmlResponse } }, latestOrSearch);
      papers.get(
        '/date',
        { schema: { hide: true, querystring: { type: 'object', properties: { date: { type: 'string', maxLength: 64 }, sort: sortProp } } } },
        async (req: FastifyRequest<{ Querystring: { date?: string; sort?: FeedSort } }>, reply) => {
          const date = req.query.date?.trim();
          if (!date) return reply.redirect('/papers', 302);
          const parsed = parsePeriod('day', date);
          if (!parsed.ok) return sendUncached(req, reply, badRequest(parsed.error));
          return reply.redirect(withQuery(periodPath(parsed.value), { sort: req.query.sort === 'newest' ? 'newest' : undefined }), 302);
        },
      );
      const redirectSchema = { hide: true, querystring: { type: 'object', properties: {} } };
      papers.get('/week', { schema: redirectSchema }, latestPeriodRedirect('week'));
      papers.get('/month', { schema: redirectSchema }, latestPeriodRedirect('month'));
      const periodSchema = { hide: true, params: { type: 'object', properties: { key: { type: 'string' } } }, querystring: listQuery, response: htmlResponse };
      papers.get('/date/:key', { schema: periodSchema }, periodRoute('day'));
      papers.get('/week/:key', { schema: periodSchema }, periodRoute('week'));
      papers.get('/month/:key', { schema: periodSchema }, periodRoute('month'));
      papers.get(
        '/trending',
        { schema: { hide: true, querystring: pageOnlyQuery, response: htmlResponse } },
        async (req: FastifyRequest<{ Querystring: { p?: number } }>, reply) => {
          const p = req.query.p ?? 1;
          return cached(req, reply, `trending ${p}`, async (theme, viewer) => {
            const feed = await trendingFeed(ctx.db, p);
            if (feed.outOfRange) return pageOutOfRange(feed, withQuery('/papers/trending', { p: feed.pages }))(theme, viewer);
            const votes = await votesOn(viewer, feed.papers, withQuery('/papers/trending', { p: pageParam(p) }));
            return htmlView(200, trendingPage(feed, ctx.clock(), votes), { section: 'trending' })(theme, viewer);
          });
        },
      );
      papers.get(
        '/:id',
        { schema: { hide: true, params: { type: 'object', properties: { id: { type: 'string' } } }, response: htmlResponse } },
        (req: FastifyRequest<{ Params: { id: string } }>, reply) => paperRoute(req, reply, req.params.id),
      );
      // Old-style ids have a slash: /papers/hep-th/9901001.
      papers.get(
        '/:archive/:num',
        {
          schema: {
            hide: true,
            params: { type: 'object', properties: { archive: { type: 'string' }, num: { type: 'string' } } },
            response: htmlResponse,
          },
        },
        (req: FastifyRequest<{ Params: { archive: string; num: string } }>, reply) =>
          paperRoute(req, reply, `${req.params.archive}/${req.params.num}`),
      );
    },
    { prefix: '/papers' },
  );

  await app.register(
    async (authors) => {
      authors.setErrorHandler(errorHandler);
      authors.setNotFoundHandler(notFound);
      authors.get(
        '/:name',
        { schema: { hide: true, params: { type: 'object', properties: { name: { type: 'string', maxLength: 500 } } }, querystring: pageOnlyQuery, response: htmlResponse } },
        async (req: FastifyRequest<{ Params: { name: string }; Querystring: { p?: number } }>, reply) => {
          const p = req.query.p ?? 1;
          const name = req.params.name;
          const path = `/authors/${encodeURIComponent(name)}`;
          return cached(req, reply, `author ${p} ${name}`, async (theme, viewer) => {
            const feed = await authorFeed(ctx.db, name, p);
            if (feed.total === 0) return htmlView(404, authorPage(feed, ctx.clock(), path), { noindex: true })(theme, viewer);
            if (feed.outOfRange) return pageOutOfRange(feed, withQuery(path, { p: feed.pages }))(theme, viewer);
            const votes = await votesOn(viewer, feed.papers, withQuery(path, { p: pageParam(p) }));
            return htmlView(200, authorPage(feed, ctx.clock(), path, votes))(theme, viewer);
          });
        },
      );
    },
    { prefix: '/authors' },
  );
}

function decodeURIComponentSafe(s: string): string {
  try {
    return decodeURIComponent(s);
  } catch {
    return s;
  }
}
