// paperpulse's own JSON API, /api/v1: papers, the lists the site shows (a day, week or month, the latest
// day, trending, a category, an author) and search. Lists are paged with ?page= (from 1) and ?limit=
// (1-100, default 50) and carry absolute `links` (self, first, last, prev, next, and the same list as an
// HTML page, RSS and Atom) plus an RFC 8288 Link header. Registered under the /api/v1 prefix.
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { registerPaperIdRoutes } from './paper-id-routes.ts';
import type { Context } from '../../context.ts';
import { AppError, invalidParameter } from '../../errors.ts';
import { parsePeriod, type Period, type PeriodKind } from '../../feed/periods.ts';
import {
  authorListing,
  categoryListing,
  latestListing,
  paperByAnyId,
  periodListing,
  searchListing,
  trendingListing,
  type FeedSort,
  type Listing,
  type PeriodListing,
} from '../../api/listing.service.ts';
import {
  authorPagePath,
  feedBase,
  feedPath,
  periodPagePath,
} from '../../api/paths.ts';
import { papersByIds } from '../../api/api.repository.ts';
import { similarPapers } from '../../search/search.service.ts';
import { apiPagination, apiPaper, listSchema, pageLinks, ref, type ApiLinks, type ApiPeriodRef } from '../../api/v1-shape.ts';

export const V1_MAX_LIMIT = 100;
export const V1_DEFAULT_LIMIT = 50;
const MAX_QUERY_LENGTH = 300;
/** arXiv categories as URLs name them: cs.CL, hep-th, math.AG. */
export const CATEGORY_RE = /^[a-z][a-z-]{0,30}(\.[A-Za-z][A-Za-z-]{0,30})?$/;

const pageProps = {
  page: { type: 'integer', minimum: 1, maximum: 1_000_000, default: 1, description: 'Page, counted from 1' },
  limit: { type: 'integer', minimum: 1, maximum: V1_MAX_LIMIT, default: V1_DEFAULT_LIMIT, description: `Papers per page, 1 to ${V1_MAX_LIMIT}` },
} as const;
const sortProp = {
  type: 'string',
  enum: ['trending', 'newest'],
  default: 'trending',
  description: 'trending: by trending score (as the site shows a list); newest: by listing day, then submission time',
} as const;

const errors = (...statuses: (400 | 404)[]) =>
  Object.fromEntries(
    statuses.map((s) => [s, { description: s === 400 ? 'A parameter is invalid; the error names it' : 'Not found', ...ref('ApiError') }]),
  );

interface PageQuery {
  page: number;
  limit: number;
}

/** An absolute URL of this API with the query parameters that differ from their defaults. */
function urlWith(base: string, path: string, params: Record<string, string | number | undefined>): string {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) if (v !== undefined && v !== '') q.set(k, String(v));
  const s = q.toString();
  return `${base}${path}${s ? `?${s}` : ''}`;
}

/** Page links for a list at `path` whose other parameters are `params` (defaults left out). */
function linksFor(
  base: string,
  path: string,
  l: Listing,
  params: Record<string, string | number | undefined>,
  alternates: Pick<ApiLinks, 'html' | 'rss' | 'atom'>,
): ApiLinks {
  const limit = l.limit === V1_DEFAULT_LIMIT ? undefined : l.limit;
  return {
    ...pageLinks(l, (page) => urlWith(base, path, { ...params, page: page === 1 ? undefined : page, limit })),
    ...alternates,
  };
}

/** The Link header (RFC 8288) repeating the page links. */
function setLinkHeader(reply: FastifyReply, links: ApiLinks): void {
  const parts = (['first', 'prev', 'next', 'last'] as const).flatMap((rel) => (links[rel] ? [`<${links[rel]}>; rel="${rel}"`] : []));
  if (parts.length) reply.header('Link', parts.join(', '));
}

export async function registerV1Routes(v1: FastifyInstance, ctx: Context): Promise<void> {
  const base = ctx.config.publicUrl;
  const papersOf = (l: Listing) => l.papers.map((p) => apiPaper(p, base));

  const periodRef = (p: Period | null): ApiPeriodRef | null =>
    p && { kind: p.kind, key: p.key, start: p.start, end: p.end, url: `${base}/api/v1/feeds/${p.kind}/${p.key}` };

  /** A period's list; `latest` for the latest day, whose page and feeds have their own addresses. */
  function periodBody(l: PeriodListing, path: string, reply: FastifyReply, latest = false) {
    const sortParam = l.sort === 'trending' ? undefined : l.sort;
    const links = linksFor(base, path, l, { sort: sortParam }, {
      html: urlWith(base, latest ? '/papers' : periodPagePath(l.period), { sort: sortParam }),
      rss: base + feedPath(latest ? feedBase.latest() : feedBase.period(l.period), 'rss'),
      atom: base + feedPath(latest ? feedBase.latest() : feedBase.period(l.period), 'atom'),
    });
    setLinkHeader(reply, links);
    return {
      period: { ...periodRef(l.period)!, prev: periodRef(l.prev), next: periodRef(l.next) },
      sort: l.sort,
      papers: papersOf(l),
      pagination: apiPagination(l),
      links,
    };
  }

  // ---- Papers -----------------------------------------------------------------------------------------
  const paperResponses = { 200: ref('ApiPaper'), ...errors(404) };
  const paperRoute = async (given: string) => {
    const paper = await paperByAnyId(ctx.db, given);
    if (!paper) throw new AppError('PAPER_NOT_FOUND', `No paper ${given.slice(0, 100)} here.`);
    return apiPaper(paper, base);
  };
  registerPaperIdRoutes(v1, {
    tags: ['Papers'],
    summary: 'One paper',
    description: 'By arXiv identifier; a version suffix (2407.21783v2) or an "arXiv:" prefix is accepted.',
    response: paperResponses,
    handler: paperRoute,
  });

  // ---- Similar papers (the semantic model; docs/search.md) ----------------------------------------
  const similarResponse = {
    type: 'object',
    description: 'The papers most similar to this one under the active search model, best first (the paper itself left out)',
    required: ['id', 'model', 'papers', 'scores'],
    properties: {
      id: { type: 'string' },
      model: { type: ['string', 'null'], description: 'Version of the model that ranked; null when no model is trained yet' },
      message: { type: 'string' },
      papers: { type: 'array', items: ref('ApiPaper') },
      scores: { type: 'array', items: { type: 'number' }, description: 'Cosine similarity of each paper, in the same order' },
    },
  } as const;
  const similarRoute = async (given: string, limit: number) => {
    const paper = await paperByAnyId(ctx.db, given);
    if (!paper) throw new AppError('PAPER_NOT_FOUND', `No paper ${given.slice(0, 100)} here.`);
    const sim = await similarPapers(ctx.db, paper.id, limit);
    if (!sim.available) {
      return {
        id: paper.id,
        model: sim.modelVersion,
        message: sim.modelVersion ? 'This paper has no vector yet: it arrived after the model was trained.' : 'No search model yet: similar papers appear after "paperpulse model train".',
        papers: [],
        scores: [],
      };
    }
    const papers = await papersByIds(ctx.db, sim.items.map((i) => i.id));
    const score = new Map(sim.items.map((i) => [i.id, i.score]));
    return { id: paper.id, model: sim.modelVersion, papers: papers.map((p) => apiPaper(p, base)), scores: papers.map((p) => score.get(p.id) ?? 0) };
  };
  const similarQuery = { type: 'object', properties: { limit: { type: 'integer', minimum: 1, maximum: 50, default: 10 } } } as const;
  v1.get(
    '/papers/:id/similar',
    {
      schema: {
        tags: ['Papers'],
        summary: 'Similar papers',
        description: 'The 10 (?limit= up to 50) papers nearest to this one under the semantic model paperpulse trains on its own papers ("paperpulse model train").',
        params: { type: 'object', required: ['id'], properties: { id: { type: 'string', maxLength: 300, examples: ['2407.21783'] } } },
        querystring: similarQuery,
        response: { 200: similarResponse, ...errors(400, 404) },
      },
    },
    (req: FastifyRequest<{ Params: { id: string }; Querystring: { limit?: number } }>) => similarRoute(req.params.id, req.query.limit ?? 10),
  );
  v1.get(
    '/papers/:archive/:number/similar',
    {
      schema: {
        tags: ['Papers'],
        summary: 'Similar papers of a paper with an old-style identifier',
        params: {
          type: 'object',
          required: ['archive', 'number'],
          properties: { archive: { type: 'string', maxLength: 100 }, number: { type: 'string', maxLength: 100 } },
        },
        querystring: similarQuery,
        response: { 200: similarResponse, ...errors(400, 404) },
      },
    },
    (req: FastifyRequest<{ Params: { archive: string; number: string }; Querystring: { limit?: number } }>) =>
      similarRoute(`${req.params.archive}/${req.params.number}`, req.query.limit ?? 10),
  );

  // ---- Lists of the daily feed ----------------------------------------------------------------------
  const periodList = listSchema('A day, week or month of papers', {
    period: ref('ApiPeriod'),
    sort: { type: 'string', enum: ['trending', 'newest'] },
  }, ['period', 'sort']);

  const periodRoute = (kind: PeriodKind, param: string, example: string) =>
    v1.get(
      `/feeds/${kind}/:${param}`,
      {
        schema: {
          tags: ['Feeds'],
          summary: `The papers of one ${kind}`,
          description: `Papers listed on the ${kind === 'day' ? 'day' : `days of the ${kind}`}, as /papers/${kind === 'day' ? 'date' : kind}/${example} shows them.`,
          params: {
            type: 'object',
            required: [param],
            properties: { [param]: { type: 'string', maxLength: 64, examples: [example] } },
          },
          querystring: { type: 'object', properties: { sort: sortProp, ...pageProps } },
          response: { 200: periodList, ...errors(400) },
        },
      },
      async (req: FastifyRequest<{ Params: Record<string, string>; Querystring: PageQuery & { sort: FeedSort } }>, reply) => {
        const parsed = parsePeriod(kind, req.params[param]);
        if (!parsed.ok) throw invalidParameter(param, `Invalid path parameter ${param}: ${parsed.error}`);
        const l = await periodListing(ctx.db, parsed.value, req.query.sort, req.query);
        return periodBody(l, `/api/v1/feeds/${kind}/${parsed.value.key}`, reply);
      },
    );
  periodRoute('day', 'date', '2025-07-02');
  periodRoute('week', 'week', '2025-W27');
  periodRoute('month', 'month', '2025-07');

  v1.get(
    '/feeds/latest',
    {
      schema: {
        tags: ['Feeds'],
        summary: 'The latest day that has papers',
        description: 'What /papers shows. period is null (and papers empty) while the database holds no paper.',
        querystring: { type: 'object', properties: { sort: sortProp, ...pageProps } },
        response: {
          200: listSchema('The latest day of papers', {
            period: { anyOf: [ref('ApiPeriod'), { type: 'null' }] },
            sort: { type: 'string', enum: ['trending', 'newest'] },
          }, ['period', 'sort']),
          ...errors(400),
        },
      },
    },
    async (req: FastifyRequest<{ Querystring: PageQuery & { sort: FeedSort } }>, reply) => {
      const l = await latestListing(ctx.db, req.query.sort, req.query);
      if (l) return periodBody(l, '/api/v1/feeds/latest', reply, true);
      const sortParam = req.query.sort === 'trending' ? undefined : req.query.sort;
      const empty = { papers: [], page: req.query.page, limit: req.query.limit, total: 0, pages: 1, hasMore: false };
      return {
        period: null,
        sort: req.query.sort,
        papers: [],
        pagination: apiPagination(empty),
        links: linksFor(base, '/api/v1/feeds/latest', empty, { sort: sortParam }, {
          html: urlWith(base, '/papers', { sort: sortParam }),
          rss: base + feedPath(feedBase.latest(), 'rss'),
          atom: base + feedPath(feedBase.latest(), 'atom'),
        }),
      };
    },
  );

  v1.get(
    '/feeds/trending',
    {
      schema: {
        tags: ['Feeds'],
        summary: 'Trending papers',
        description: 'Papers of the last 7 listing days (ending on the latest day that has papers), highest trending score first, as /papers/trending shows them.',
        querystring: { type: 'object', properties: pageProps },
        response: {
          200: listSchema('Trending papers', {
            window: {
              type: ['object', 'null'],
              description: 'The listing days the list covers (null while the database holds no paper)',
              required: ['start', 'end'],
              properties: { start: { type: 'string', format: 'date' }, end: { type: 'string', format: 'date' } },
            },
          }, ['window']),
          ...errors(400),
        },
      },
    },
    async (req: FastifyRequest<{ Querystring: PageQuery }>, reply) => {
      const l = await trendingListing(ctx.db, req.query);
      const links = linksFor(base, '/api/v1/feeds/trending', l, {}, {
        html: `${base}/papers/trending`,
        rss: base + feedPath(feedBase.trending(), 'rss'),
        atom: base + feedPath(feedBase.trending(), 'atom'),
      });
      setLinkHeader(reply, links);
      return {
        window: l.start && l.end ? { start: l.start, end: l.end } : null,
        papers: papersOf(l),
        pagination: apiPagination(l),
        links,
      };
    },
  );

  v1.get(
    '/feeds/category/:category',
    {
      schema: {
        tags: ['Feeds'],
        summary: 'The papers of an arXiv category',
        description: 'Papers whose categories include this one (primary or cross-listed), newest first.',
        params: { type: 'object', required: ['category'], properties: { category: { type: 'string', maxLength: 64, examples: ['cs.CL'] } } },
        querystring: { type: 'object', properties: pageProps },
        response: { 200: listSchema('A category of papers', { category: { type: 'string' } }, ['category']), ...errors(400) },
      },
    },
    async (req: FastifyRequest<{ Params: { category: string }; Querystring: PageQuery }>, reply) => {
      const { category } = req.params;
      if (!CATEGORY_RE.test(category)) {
        throw invalidParameter('category', `Invalid path parameter category: “${category.slice(0, 40)}” is not an arXiv category (e.g. cs.CL, hep-th).`);
      }
      const l = await categoryListing(ctx.db, category, req.query);
      const links = linksFor(base, `/api/v1/feeds/category/${category}`, l, {}, {
        html: null,
        rss: base + feedPath(feedBase.category(category), 'rss'),
        atom: base + feedPath(feedBase.category(category), 'atom'),
      });
      setLinkHeader(reply, links);
      return { category, papers: papersOf(l), pagination: apiPagination(l), links };
    },
  );

  // ---- Authors ------------------------------------------------------------------------------------
  v1.get(
    '/authors/:name',
    {
      schema: {
        tags: ['Authors'],
        summary: "An author's papers",
        description: 'Newest first. Names match whatever their accents, case and punctuation ("Jose Alvarez" finds "José Álvarez").',
        params: { type: 'object', required: ['name'], properties: { name: { type: 'string', maxLength: 500, examples: ['Grace Hopper'] } } },
        querystring: { type: 'object', properties: pageProps },
        response: {
          200: listSchema("An author's papers", {
            author: {
              type: 'object',
              required: ['name', 'key', 'url'],
              properties: {
                name: { type: 'string', description: "The name as the author's newest paper writes it" },
                key: { type: 'string', description: 'The normalised name papers are matched on' },
                url: { type: 'string', format: 'uri', description: "The author's page" },
              },
            },
          }, ['author']),
          ...errors(400, 404),
        },
      },
    },
    async (req: FastifyRequest<{ Params: { name: string }; Querystring: PageQuery }>, reply) => {
      const l = await authorListing(ctx.db, req.params.name, req.query);
      if (l.total === 0) throw new AppError('AUTHOR_NOT_FOUND', `No paper here lists “${req.params.name.slice(0, 100)}” as an author.`);
      const path = `/api/v1/authors/${encodeURIComponent(req.params.name)}`;
      const links = linksFor(base, path, l, {}, {
        html: base + authorPagePath(req.params.name),
        rss: base + feedPath(feedBase.author(req.params.name), 'rss'),
        atom: base + feedPath(feedBase.author(req.params.name), 'atom'),
      });
      setLinkHeader(reply, links);
      return {
        author: { name: l.name, key: l.key, url: base + authorPagePath(l.name) },
        papers: papersOf(l),
        pagination: apiPagination(l),
        links,
      };
    },
  );

  // ---- Search ------------------------------------------------------------------------------------
  v1.get(
    '/search',
    {
      schema: {
        tags: ['Search'],
        summary: 'Search papers',
        description:
          'Papers best first, ranked as the search page ranks them (docs/search.md): an exact title match first; for one word, papers with it in their title by trending score; then BM25 over titles and abstracts. q understands "exact phrases", -exclusions, OR, author:name and cat:cs.CL; an arXiv id or URL gives that paper.',
        querystring: {
          type: 'object',
          required: ['q'],
          properties: { q: { type: 'string', minLength: 1, maxLength: MAX_QUERY_LENGTH, examples: ['llama'] }, ...pageProps },
        },
        response: {
          200: listSchema('Search results, best first', { query: { type: 'string' } }, ['query']),
          ...errors(400),
        },
      },
    },
    async (req: FastifyRequest<{ Querystring: PageQuery & { q: string } }>, reply) => {
      const q = req.query.q.trim();
      if (!q) throw invalidParameter('q', 'Invalid parameter q: the search text is empty.');
      const l = await searchListing(ctx.db, q, req.query);
      const links = linksFor(base, '/api/v1/search', l, { q }, {
        html: urlWith(base, '/papers', { q }),
        rss: base + feedPath(feedBase.search(), 'rss', { q }),
        atom: base + feedPath(feedBase.search(), 'atom', { q }),
      });
      setLinkHeader(reply, links);
      return { query: q, papers: papersOf(l), pagination: apiPagination(l), links };
    },
  );
}
