// The Hugging Face-compatible papers API (../shared/docs/hf-papers-api.md): the three GETs the official
// `huggingface_hub` client makes, answered with bare JSON arrays and objects shaped as it reads them.
// Point the client at paperpulse with HF_ENDPOINT=<PUBLIC_URL>. Registered under the /api prefix.
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { registerPaperIdRoutes } from './paper-id-routes.ts';
import type { Context } from '../../context.ts';
import { AppError, invalidParameter } from '../../errors.ts';
import { parsePeriod, type Period } from '../../feed/periods.ts';
import { ARXIV_SUBMITTER, hfDailyItem, hfPaperInfo, type EntryInfo } from '../../api/hf-shape.ts';
import {
  newestListing,
  paperByAnyId,
  periodListing,
  searchListing,
  submitterListing,
  trendingListing,
  type Listing,
  type ListSubmissions,
} from '../../api/listing.service.ts';
import { latestSubmissionOf, type SubmissionInfo } from '../../submissions/submissions.repository.ts';
import { ref } from '../../api/v1-shape.ts';

/** Most items one request returns (the client's `limit`). */
export const HF_MAX_LIMIT = 100;
export const HF_DEFAULT_LIMIT = 50;
const MAX_QUERY_LENGTH = 300;

const errorResponses = {
  400: { description: 'A parameter is invalid; the error names it', ...ref('ApiError') },
} as const;

const limitParam = {
  type: 'integer',
  minimum: 1,
  maximum: HF_MAX_LIMIT,
  default: HF_DEFAULT_LIMIT,
  description: `Items per page, 1 to ${HF_MAX_LIMIT}`,
} as const;

interface DailyQuery {
  p: number;
  limit: number;
  date?: string;
  week?: string;
  month?: string;
  submitter?: string;
  sort: 'publishedAt' | 'trending';
}

const PERIOD_PARAMS = [
  ['date', 'day'],
  ['week', 'week'],
  ['month', 'month'],
] as const;

/** The period asked for with date, week or month (at most one of them), or null for every day. */
function periodOf(q: DailyQuery): Period | null {
  const given = PERIOD_PARAMS.filter(([name]) => q[name] !== undefined);
  if (given.length > 1) {
    throw invalidParameter(given[1][0], `Give only one of date, week and month (got ${given.map(([n]) => n).join(' and ')}).`);
  }
  if (given.length === 0) return null;
  const [name, kind] = given[0];
  const parsed = parsePeriod(kind, q[name]!.trim());
  if (!parsed.ok) throw invalidParameter(name, `Invalid parameter ${name}: ${parsed.error}`);
  return parsed.value;
}

/** A member's submission as the Hugging Face shapes carry it (submittedBy, submittedOnDailyAt). */
export function hfEntry(s: SubmissionInfo | null | undefined): EntryInfo {
  if (!s) return {};
  return { day: s.listDate, submittedAt: s.submittedAt.toISOString(), submitter: { username: s.username, displayName: s.displayName ?? s.username } };
}

export async function registerHfRoutes(api: FastifyInstance, ctx: Context): Promise<void> {
  api.get(
    '/daily_papers',
    {
      schema: {
        tags: ['Hugging Face compatible'],
        summary: 'Daily papers, as Hugging Face serves them',
        description:
          'Papers on the daily lists, newest first (sort=publishedAt) or by trending score (sort=trending). Without date, week or month: every day (trending: the trending window of the last 7 listing days). A bare JSON array.',
        querystring: {
          type: 'object',
          properties: {
            p: { type: 'integer', minimum: 0, maximum: 1_000_000, default: 0, description: 'Page number, counted from 0' },
            limit: limitParam,
            date: { type: 'string', maxLength: 64, description: 'One listing day, YYYY-MM-DD', examples: ['2025-07-02'] },
            week: { type: 'string', maxLength: 64, description: 'An ISO week, YYYY-Www', examples: ['2025-W27'] },
            month: { type: 'string', maxLength: 64, description: 'A month, YYYY-MM', examples: ['2025-07'] },
            submitter: {
              type: 'string',
              maxLength: 100,
              description: `Only papers submitted by this user (a member's username), newest list first or by trending score. "${ARXIV_SUBMITTER.username}" stands for arXiv's own listing: the lists without the papers members submitted (a page can then hold fewer than limit items).`,
            },
            sort: { type: 'string', enum: ['publishedAt', 'trending'], default: 'publishedAt' },
          },
        },
        response: { 200: { type: 'array', items: ref('HfDailyItem') }, ...errorResponses },
      },
    },
    async (req: FastifyRequest<{ Querystring: DailyQuery }>) => {
      const q = req.query;
      const period = periodOf(q);
      const r = { page: q.p + 1, limit: q.limit };
      const sort = q.sort === 'trending' ? 'trending' : 'newest';
      const submitter = q.submitter?.trim().toLowerCase();
      if (submitter !== undefined && submitter !== ARXIV_SUBMITTER.username) {
        if (!/^[a-z0-9_-]{2,40}$/.test(submitter)) return [];
        const mine = await submitterListing(ctx.db, submitter, period, sort, r);
        return mine.entries.map((e) => hfDailyItem(e.paper, hfEntry(e.submission)));
      }
      // Every day, newest first, is the plain list of papers (no submissions): the lists of days carry them.
      const listing: Listing & { submissions?: ListSubmissions } = period
        ? await periodListing(ctx.db, period, sort, r)
        : sort === 'trending'
          ? await trendingListing(ctx.db, r)
          : await newestListing(ctx.db, r);
      const submissions: ListSubmissions = listing.submissions ?? new Map();
      const papers = submitter === ARXIV_SUBMITTER.username ? listing.papers.filter((p) => !submissions.has(p.id)) : listing.papers;
      return papers.map((p) => hfDailyItem(p, hfEntry(submissions.get(p.id))));
    },
  );

  api.get(
    '/papers/search',
    {
      schema: {
        tags: ['Hugging Face compatible'],
        summary: 'Search papers, as Hugging Face serves it',
        description:
          'Papers whose title or abstract contains every word of q, best first (an exact title match first). Without q: the newest papers. A bare JSON array of daily-list items.',
        querystring: {
          type: 'object',
          properties: {
            q: { type: 'string', maxLength: MAX_QUERY_LENGTH, description: 'Search text', examples: ['llama'] },
            limit: limitParam,
          },
        },
        response: { 200: { type: 'array', items: ref('HfDailyItem') }, ...errorResponses },
      },
    },
    async (req: FastifyRequest<{ Querystring: { q?: string; limit: number } }>) => {
      const q = req.query.q?.trim() ?? '';
      const r = { page: 1, limit: req.query.limit };
      const listing = q ? await searchListing(ctx.db, q, r) : await newestListing(ctx.db, r);
      return listing.papers.map((p) => hfDailyItem(p));
    },
  );

  const paperRoute = async (given: string) => {
    const paper = await paperByAnyId(ctx.db, given);
    if (!paper) throw new AppError('PAPER_NOT_FOUND', `No paper ${given.slice(0, 100)} here.`);
    // The member who put it on a daily list most recently, if any; else arXiv's listing.
    return hfPaperInfo(paper, hfEntry(await latestSubmissionOf(ctx.db, paper.id)));
  };
  const paperResponses = {
    200: ref('HfPaperInfo'),
    404: { description: 'No such paper', ...ref('ApiError') },
  } as const;
  registerPaperIdRoutes(api, {
    tags: ['Hugging Face compatible'],
    summary: 'One paper, as Hugging Face serves it',
    description: 'A flat paper object. Versioned ids (2407.21783v2) give the paper; unknown ids give 404.',
    response: paperResponses,
    handler: paperRoute,
  });
}
