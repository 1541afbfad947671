// The parts of /api/v1 that belong to one member: who the token belongs to, their upvotes, and voting.
//
//   GET    /api/v1/me                       the member (the token's, or the session's)
//   GET    /api/v1/me/upvotes               their upvotes, newest first, paged like every v1 list
//   GET    /api/v1/papers/{id}/upvote       whether they upvoted the paper, and its count
//   POST   /api/v1/papers/{id}/upvote       upvote (idempotent)
//   DELETE /api/v1/papers/{id}/upvote       withdraw the upvote (idempotent)
//   (and /api/v1/papers/{archive}/{number}/upvote for old-style ids)
//
// Authorised by `Authorization: Bearer pp_...` (an API token from /settings; auth.ts resolves it), or by
// the session cookie, in which case POST and DELETE also need the X-CSRF-Token header (requireMember).
// Answers depend on who asks: Cache-Control private, Vary on Authorization and Cookie. Writes get no CORS
// headers (conditional.ts answers only GET preflights), so other sites' pages cannot vote through a
// visitor's browser. Registered by src/http/web/vote.routes.ts, which shares its vote rate limits.
import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Context } from '../../context.ts';
import { AppError } from '../../errors.ts';
import { papersByIds } from '../../api/api.repository.ts';
import { apiPagination, apiPaper, pageLinks, ref } from '../../api/v1-shape.ts';
import { countUserUpvotes, getPaperCounts, hasVoted, upvotesOfUser } from '../../feed/votes.repository.ts';
import { PaperNotFoundError, unvote, upvote } from '../../feed/votes.service.ts';
import { parseArxivId } from '../../papers/arxiv-id.ts';
import type { Auth, Viewer } from '../web/auth.ts';
import { requireMember } from '../web/auth.ts';
import type { VoteLimiter } from '../web/vote.routes.ts';
import { addConditionalGets, Validators } from './conditional.ts';
import { httpError, sendError } from './http-errors.ts';
import { V1_DEFAULT_LIMIT, V1_MAX_LIMIT } from './v1.routes.ts';

export const ACCOUNT_TAG = 'Your account';
/** The OpenAPI security requirement of these routes (the schemes are declared in api.routes.ts). */
const security: { [scheme: string]: string[] }[] = [{ bearerAuth: [] }, { sessionCookie: [] }];

const errorResponse = (description: string) => ({ description, ...ref('ApiError') });
const authErrors = {
  401: errorResponse('No valid API token or session (SIGN_IN_REQUIRED, INVALID_TOKEN)'),
};
const writeErrors = {
  ...authErrors,
  403: errorResponse('A session-cookie request without its X-CSRF-Token header (CSRF_FAILED)'),
  404: errorResponse('No such paper (PAPER_NOT_FOUND)'),
  429: errorResponse('Too many votes in a short time (RATE_LIMITED); Retry-After says when to try again'),
};

const memberSchema = {
  type: 'object',
  description: 'The member the request is authorised as.',
  required: ['username', 'displayName', 'email', 'role', 'upvotesPublic', 'upvotes', 'createdAt', 'links'],
  properties: {
    username: { type: 'string', examples: ['ada'] },
    displayName: { type: ['string', 'null'] },
    email: { type: ['string', 'null'], description: 'The address the member signs in with' },
    role: { type: 'string', enum: ['user', 'moderator', 'admin'] },
    upvotesPublic: { type: 'boolean', description: 'Whether the public profile lists the upvotes' },
    upvotes: { type: 'integer', minimum: 0, description: 'How many papers the member has upvoted' },
    createdAt: { type: 'string', format: 'date-time' },
    links: {
      type: 'object',
      required: ['self', 'html', 'upvotes'],
      properties: {
        self: { type: 'string', format: 'uri' },
        html: { type: 'string', format: 'uri', description: 'The public profile page' },
        upvotes: { type: 'string', format: 'uri', description: 'The upvotes in this API' },
      },
    },
  },
} as const;

const voteSchema = {
  type: 'object',
  description: "The member's vote on a paper and the paper's count after the request.",
  required: ['paperId', 'voted', 'upvotes', 'trendingScore'],
  properties: {
    paperId: { type: 'string', examples: ['2407.21783'] },
    voted: { type: 'boolean', description: 'Whether the member upvotes the paper now' },
    upvotes: { type: 'integer', minimum: 0, description: "The paper's upvotes" },
    trendingScore: { type: 'number', description: "The paper's trending score (docs/trending.md)" },
    changed: { type: 'boolean', description: 'POST and DELETE: whether this request changed anything (false: it was so already)' },
  },
} as const;

const upvotesListSchema = {
  type: 'object',
  description: "The member's upvoted papers, most recently upvoted first.",
  required: ['papers', 'votedAt', 'pagination', 'links'],
  properties: {
    papers: { type: 'array', items: ref('ApiPaper') },
    votedAt: { type: 'array', items: { type: 'string', format: 'date-time' }, description: 'When each paper was upvoted, in the order of papers' },
    pagination: ref('ApiPagination'),
    links: ref('ApiLinks'),
  },
} as const;

const pageQuery = {
  type: 'object',
  properties: {
    page: { type: 'integer', minimum: 1, maximum: 1_000_000, default: 1, description: 'Page, counted from 1' },
    limit: { type: 'integer', minimum: 1, maximum: V1_MAX_LIMIT, default: V1_DEFAULT_LIMIT, description: `Papers per page, 1 to ${V1_MAX_LIMIT}` },
  },
} as const;

const idParams = { type: 'object', required: ['id'], properties: { id: { type: 'string', maxLength: 300, examples: ['2407.21783'] } } } as const;
const oldIdParams = {
  type: 'object',
  required: ['archive', 'number'],
  properties: { archive: { type: 'string', maxLength: 100, examples: ['hep-th'] }, number: { type: 'string', maxLength: 100, examples: ['9901001'] } },
} as const;

const signInRequired = () => new AppError('SIGN_IN_REQUIRED', 'Sign in first: send an API token as Authorization: Bearer (create one at /settings).');

export async function registerMeRoutes(app: FastifyInstance, ctx: Context, auth: Auth, limiter: VoteLimiter): Promise<void> {
  const base = ctx.config.publicUrl;

  await app.register(
    async (v1) => {
      v1.setErrorHandler((err: FastifyError, req: FastifyRequest, reply: FastifyReply) => {
        const appError = httpError(err);
        if (appError.status >= 500) req.log.error({ err, url: req.url }, 'API request failed');
        return sendError(reply, appError);
      });
      // What these routes answer depends on who asks: never stored by shared caches.
      addConditionalGets(v1, { cacheControl: 'private, no-cache', validators: new Validators() });
      v1.addHook('onSend', async (_req, reply, payload) => {
        reply.header('Vary', 'Authorization, Cookie');
        if (reply.statusCode === 401 && !reply.hasHeader('WWW-Authenticate')) reply.header('WWW-Authenticate', 'Bearer realm="paperpulse"');
        if (reply.statusCode !== 200 && reply.statusCode !== 304) reply.header('Cache-Control', 'no-store');
        return payload;
      });

      const member = (req: FastifyRequest): Viewer => {
        if (!req.viewer) throw signInRequired();
        return req.viewer;
      };
      const paperIdOf = (given: string): string => {
        const parsed = parseArxivId(given);
        if (!parsed) throw new AppError('PAPER_NOT_FOUND', `No paper ${given.slice(0, 100)} here: that is not an arXiv identifier.`);
        return parsed.id;
      };

      // ---- Who am I --------------------------------------------------------------------------------
      v1.get(
        '/me',
        {
          schema: {
            tags: [ACCOUNT_TAG],
            summary: 'The member the token belongs to',
            description: 'Who an API token (or the session) is authorised as.',
            security,
            response: { 200: memberSchema, ...authErrors },
          },
        },
        async (req) => {
          const m = member(req).member;
          return {
            username: m.username,
            displayName: m.displayName,
            email: m.email,
            role: m.role,
            upvotesPublic: m.upvotesPublic,
            upvotes: await countUserUpvotes(ctx.db, m.id),
            createdAt: m.createdAt.toISOString(),
            links: { self: `${base}/api/v1/me`, html: `${base}/users/${m.username}`, upvotes: `${base}/api/v1/me/upvotes` },
          };
        },
      );

      v1.get(
        '/me/upvotes',
        {
          schema: {
            tags: [ACCOUNT_TAG],
            summary: 'Your upvotes',
            description: 'The papers the member upvoted, most recently upvoted first, paged like every list (page, limit, links).',
            security,
            querystring: pageQuery,
            response: { 200: upvotesListSchema, 400: errorResponse('A parameter is invalid; the error names it'), ...authErrors },
          },
        },
        async (req: FastifyRequest<{ Querystring: { page: number; limit: number } }>, reply) => {
          const m = member(req).member;
          const { page, limit } = req.query;
          const total = await countUserUpvotes(ctx.db, m.id);
          const pages = Math.max(1, Math.ceil(total / limit));
          const votes = (page - 1) * limit >= total ? [] : await upvotesOfUser(ctx.db, m.id, limit, (page - 1) * limit);
          const papers = await papersByIds(ctx.db, votes.map((v) => v.paperId));
          const votedAt = new Map(votes.map((v) => [v.paperId, v.votedAt]));
          const listing = { papers, page, limit, total, pages, hasMore: page < pages };
          const links = {
            ...pageLinks(listing, (n) => {
              const q = new URLSearchParams();
              if (n !== 1) q.set('page', String(n));
              if (limit !== V1_DEFAULT_LIMIT) q.set('limit', String(limit));
              const s = q.toString();
              return `${base}/api/v1/me/upvotes${s ? `?${s}` : ''}`;
            }),
            html: m.upvotesPublic ? `${base}/users/${m.username}` : null,
            rss: null,
            atom: null,
          };
          const parts = (['first', 'prev', 'next', 'last'] as const).flatMap((rel) => (links[rel] ? [`<${links[rel]}>; rel="${rel}"`] : []));
          if (parts.length) reply.header('Link', parts.join(', '));
          return {
            papers: papers.map((p) => apiPaper(p, base)),
            votedAt: papers.map((p) => votedAt.get(p.id)!),
            pagination: apiPagination(listing),
            links,
          };
        },
      );

      // ---- Voting ----------------------------------------------------------------------------------
      const state = async (req: FastifyRequest, given: string) => {
        const m = member(req).member;
        const id = paperIdOf(given);
        const counts = await getPaperCounts(ctx.db, id);
        if (!counts) throw new PaperNotFoundError(id);
        return { paperId: id, voted: await hasVoted(ctx.db, m.id, id), upvotes: counts.upvotes, trendingScore: counts.trending_score };
      };
      const cast = (up: boolean) => async (req: FastifyRequest, reply: FastifyReply, given: string) => {
        const viewer = requireMember(auth, req, reply);
        if (!viewer) return reply;
        const id = paperIdOf(given);
        const limit = limiter.hit(viewer.member.id, req.ip);
        if (!limit.allowed) {
          reply.header('Retry-After', String(limit.retryAfterSeconds));
          throw new AppError('RATE_LIMITED', `Too many votes in a short time. Try again in ${limit.retryAfterSeconds} s.`);
        }
        const r = await (up ? upvote : unvote)(ctx, { userId: viewer.member.id, paperId: id });
        return { paperId: r.paperId, voted: r.voted, upvotes: r.upvotes, trendingScore: r.trendingScore, changed: r.changed };
      };
      const castUp = cast(true);
      const castDown = cast(false);

      const routes = [
        { path: '/papers/:id/upvote', params: idParams, idOf: (p: Record<string, string>) => p.id, old: false },
        { path: '/papers/:archive/:number/upvote', params: oldIdParams, idOf: (p: Record<string, string>) => `${p.archive}/${p.number}`, old: true },
      ];
      for (const { path, params, idOf, old } of routes) {
        const which = old ? ' (old-style identifier, hep-th/9901001)' : '';
        v1.get(
          path,
          {
            schema: {
              tags: [ACCOUNT_TAG],
              summary: `Whether you upvoted a paper${which}`,
              description: 'The member\'s vote on the paper and its count. A version suffix or "arXiv:" prefix is accepted.',
              security,
              params,
              response: { 200: voteSchema, ...authErrors, 404: writeErrors[404] },
            },
          },
          (req: FastifyRequest<{ Params: Record<string, string> }>) => state(req, idOf(req.params)),
        );
        v1.post(
          path,
          {
            schema: {
              tags: [ACCOUNT_TAG],
              summary: `Upvote a paper${which}`,
              description: 'Counts the member\'s upvote; upvoting again changes nothing (changed: false). With a session cookie instead of a token, send the X-CSRF-Token header.',
              security,
              params,
              response: { 200: voteSchema, ...writeErrors },
            },
          },
          (req: FastifyRequest<{ Params: Record<string, string> }>, reply) => castUp(req, reply, idOf(req.params)),
        );
        v1.delete(
          path,
          {
            schema: {
              tags: [ACCOUNT_TAG],
              summary: `Withdraw your upvote${which}`,
              description: 'Removes the member\'s upvote; without one it changes nothing (changed: false).',
              security,
              params,
              response: { 200: voteSchema, ...writeErrors },
            },
          },
          (req: FastifyRequest<{ Params: Record<string, string> }>, reply) => castDown(req, reply, idOf(req.params)),
        );
      }
    },
    { prefix: '/api/v1' },
  );
}
