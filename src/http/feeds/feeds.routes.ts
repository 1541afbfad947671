// RSS 2.0 (.xml) and Atom 1.0 (.atom) feeds of every list the site shows. A feed's address mirrors its
// page (src/api/paths.ts):
//   /feeds/latest.xml              the latest day (/papers)
//   /feeds/date/2025-07-02.xml     a day (/papers/date/2025-07-02); also /feeds/week/2025-W27.xml, /feeds/month/2025-07.xml
//   /feeds/trending.xml            trending (/papers/trending)
//   /feeds/category/cs.CL.xml      an arXiv category, primary or cross-listed, newest first
//   /feeds/author/Grace%20Hopper.xml  an author (/authors/Grace%20Hopper)
//   /feeds/search.xml?q=llama      a search (/papers?q=llama): titles containing the text, newest first
// and the same with .atom. Each feed carries the first FEED_ITEMS papers of its list in the page's order.
// Links are absolute (PUBLIC_URL), an item's GUID / Atom id is its paper page URL, its date is when the
// paper went onto its day's list. Answers carry ETag and Last-Modified and honour conditional GETs.
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Context } from '../../context.ts';
import { AppError, invalidParameter } from '../../errors.ts';
import { parsePeriod, type PeriodKind } from '../../feed/periods.ts';
import { PAGE_SIZE } from '../../feed/feed.service.ts';
import { cleanText } from '../../papers/paper.ts';
import type { Paper } from '../../papers/paper.ts';
import {
  authorListing,
  categoryListing,
  latestListing,
  periodListing,
  titleSearchListing,
  trendingListing,
} from '../../api/listing.service.ts';
import {
  authorPagePath,
  FEED_MEDIA_TYPES,
  feedBase,
  feedPath,
  periodPagePath,
  type FeedFormat,
} from '../../api/paths.ts';
import { periodLabel } from '../web/format.ts';
import { addConditionalGets, Validators } from '../api/conditional.ts';
import { useJsonErrors } from '../api/http-errors.ts';
import { CATEGORY_RE } from '../api/v1.routes.ts';
import { renderAtom, renderRss, type FeedMeta } from './feed-xml.ts';

/** Papers in a feed: the first page of the list it mirrors. */
export const FEED_ITEMS = PAGE_SIZE;
const MAX_QUERY_LENGTH = 300;
/** Feed readers poll; five minutes of freshness spares the database, conditional GETs spare the bytes. */
const FEED_CACHE_CONTROL = 'public, max-age=300';
/** The date of an empty feed that has nothing better: the start of paperpulse's trending epoch. */
const NO_DATE = '2025-01-01T00:00:00.000Z';

const KIND_TITLES: Record<PeriodKind, string> = { day: 'Daily Papers', week: 'Weekly Papers', month: 'Monthly Papers' };

/** "2025-07-02.xml" -> { name: "2025-07-02", format: "rss" }; an unknown extension is not a feed. */
function splitFile(file: string): { name: string; format: FeedFormat } {
  const m = /^(.+)\.(xml|atom)$/.exec(file);
  if (!m) throw new AppError('NOT_FOUND', `No feed at ${file.slice(0, 100)}: feeds end in .xml (RSS 2.0) or .atom (Atom 1.0).`);
  return { name: m[1], format: m[2] === 'xml' ? 'rss' : 'atom' };
}

const feedResponse = {
  200: {
    description: 'An RSS 2.0 (.xml) or Atom 1.0 (.atom) feed',
    content: {
      'application/rss+xml': { schema: { type: 'string' } },
      'application/atom+xml': { schema: { type: 'string' } },
    },
  },
  400: { description: 'A parameter is invalid; the error names it', $ref: 'ApiError#' },
  404: { description: 'No such feed', $ref: 'ApiError#' },
} as const;

const fileParam = (description: string, example: string) => ({
  type: 'object',
  required: ['file'],
  properties: { file: { type: 'string', maxLength: 600, description, examples: [example] } },
});

export async function registerFeedRoutes(app: FastifyInstance, ctx: Context): Promise<void> {
  const base = ctx.config.publicUrl;
  const validators = new Validators();

  await app.register(
    async (feeds) => {
      useJsonErrors(feeds);
      addConditionalGets(feeds, { cacheControl: FEED_CACHE_CONTROL, validators });

      /** Sends the list as the feed format asked for. `feedBasePath` is the feed's address without extension. */
      const send = (
        reply: FastifyReply,
        format: FeedFormat,
        papers: Paper[],
        meta: Omit<FeedMeta, 'selfUrl' | 'base'> & { feedBasePath: string; query?: Record<string, string> },
      ) => {
        const full: FeedMeta = { ...meta, base, selfUrl: base + feedPath(meta.feedBasePath, format, meta.query) };
        const body = format === 'rss' ? renderRss(papers, full) : renderAtom(papers, full);
        return reply.type(`${FEED_MEDIA_TYPES[format]}; charset=utf-8`).header('X-Content-Type-Options', 'nosniff').send(body);
      };
      const first = { page: 1, limit: FEED_ITEMS };

      for (const format of ['rss', 'atom'] as FeedFormat[]) {
        const ext = format === 'rss' ? 'xml' : 'atom';
        const tags = ['RSS and Atom feeds'];
        feeds.get(
          `/latest.${ext}`,
          { schema: { tags, summary: `The latest day that has papers (${format === 'rss' ? 'RSS 2.0' : 'Atom 1.0'})`, response: feedResponse } },
          async (_req, reply) => {
            const l = await latestListing(ctx.db, 'trending', first);
            return send(reply, format, l?.papers ?? [], {
              feedBasePath: feedBase.latest(),
              title: 'latest Daily Papers',
              description: l ? `Papers of ${periodLabel(l.period)}, trending first.` : 'Papers of the latest day, trending first.',
              htmlUrl: `${base}/papers`,
              emptyUpdated: NO_DATE,
            });
          },
        );
        feeds.get(
          `/trending.${ext}`,
          { schema: { tags, summary: `Trending papers (${format === 'rss' ? 'RSS 2.0' : 'Atom 1.0'})`, response: feedResponse } },
          async (_req, reply) => {
            const l = await trendingListing(ctx.db, first);
            return send(reply, format, l.papers, {
              feedBasePath: feedBase.trending(),
              title: 'Trending papers',
              description: 'Papers of the last 7 listing days, highest trending score first.',
              htmlUrl: `${base}/papers/trending`,
              emptyUpdated: NO_DATE,
            });
          },
        );
        feeds.get(
          `/search.${ext}`,
          {
            schema: {
              tags,
              summary: `Papers whose title contains the search text, newest first (${format === 'rss' ? 'RSS 2.0' : 'Atom 1.0'})`,
              querystring: {
                type: 'object',
                required: ['q'],
                properties: { q: { type: 'string', minLength: 1, maxLength: MAX_QUERY_LENGTH, examples: ['llama'] } },
              },
              response: feedResponse,
            },
          },
          async (req: FastifyRequest<{ Querystring: { q: string } }>, reply) => {
            // As the search page cleans it: control characters and runs of spaces go.
            const q = cleanText(req.query.q);
            if (!q) throw invalidParameter('q', 'Invalid parameter q: the search text is empty.');
            const l = await titleSearchListing(ctx.db, q, first);
            return send(reply, format, l.papers, {
              feedBasePath: feedBase.search(),
              query: { q },
              title: `search “${q}”`,
              description: `Papers whose title contains “${q}”, newest first.`,
              htmlUrl: `${base}/papers?${new URLSearchParams({ q })}`,
              emptyUpdated: NO_DATE,
            });
          },
        );
      }

      for (const kind of ['day', 'week', 'month'] as PeriodKind[]) {
        const segment = kind === 'day' ? 'date' : kind;
        const example = kind === 'day' ? '2025-07-02.xml' : kind === 'week' ? '2025-W27.atom' : '2025-07.xml';
        feeds.get(
          `/${segment}/:file`,
          {
            schema: {
              tags: ['RSS and Atom feeds'],
              summary: `The papers of one ${kind}, trending first`,
              params: fileParam(`The ${kind} and the format: ${example}`, example),
              response: feedResponse,
            },
          },
          async (req: FastifyRequest<{ Params: { file: string } }>, reply) => {
            const { name, format } = splitFile(req.params.file);
            const parsed = parsePeriod(kind, name);
            if (!parsed.ok) throw invalidParameter(segment, `Invalid ${segment}: ${parsed.error}`);
            const period = parsed.value;
            const l = await periodListing(ctx.db, period, 'trending', first);
            return send(reply, format, l.papers, {
              feedBasePath: feedBase.period(period),
              title: `${KIND_TITLES[kind]}, ${periodLabel(period)}`,
              description: `Papers listed ${kind === 'day' ? 'on' : 'in'} ${periodLabel(period)}, trending first.`,
              htmlUrl: base + periodPagePath(period),
              emptyUpdated: `${period.start}T00:00:00.000Z`,
            });
          },
        );
      }

      feeds.get(
        '/category/:file',
        {
          schema: {
            tags: ['RSS and Atom feeds'],
            summary: 'The papers of an arXiv category (primary or cross-listed), newest first',
            params: fileParam('The category and the format: cs.CL.xml or cs.CL.atom', 'cs.CL.xml'),
            response: feedResponse,
          },
        },
        async (req: FastifyRequest<{ Params: { file: string } }>, reply) => {
          const { name: category, format } = splitFile(req.params.file);
          if (!CATEGORY_RE.test(category)) {
            throw invalidParameter('category', `Invalid category: “${category.slice(0, 40)}” is not an arXiv category (e.g. cs.CL, hep-th).`);
          }
          const l = await categoryListing(ctx.db, category, first);
          return send(reply, format, l.papers, {
            feedBasePath: feedBase.category(category),
            title: category,
            description: `Papers listed in ${category} (primary or cross-listed), newest first.`,
            htmlUrl: `${base}/papers`,
            emptyUpdated: NO_DATE,
          });
        },
      );

      feeds.get(
        '/author/:file',
        {
          schema: {
            tags: ['RSS and Atom feeds'],
            summary: "An author's papers, newest first",
            params: fileParam('The name (URL-encoded) and the format: Grace%20Hopper.xml', 'Grace Hopper.xml'),
            response: feedResponse,
          },
        },
        async (req: FastifyRequest<{ Params: { file: string } }>, reply) => {
          const { name, format } = splitFile(req.params.file);
          const l = await authorListing(ctx.db, name, first);
          if (l.total === 0) throw new AppError('AUTHOR_NOT_FOUND', `No paper here lists “${name.slice(0, 100)}” as an author.`);
          return send(reply, format, l.papers, {
            feedBasePath: feedBase.author(name),
            title: `papers by ${l.name}`,
            description: `Papers by ${l.name}, newest first.`,
            htmlUrl: base + authorPagePath(name),
            emptyUpdated: NO_DATE,
          });
        },
      );
    },
    { prefix: '/feeds' },
  );
}
