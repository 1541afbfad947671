// Upvotes over HTTP. This module registers the buttons' routes below, and with them the JSON API's vote and
// "me" routes (src/http/api/me.routes.ts) and each member's private upvotes feed
// (src/http/feeds/upvotes-feed.routes.ts), so that the rate limits are one set shared by all three.
//
//   POST /papers/{id}/upvote     upvote (also /papers/{archive}/{number}/upvote for old-style ids)
//   POST /papers/{id}/unvote     withdraw the upvote
//
// Without JavaScript the button is a form carrying `_csrf` and `next`: the answer is a 303 to `next` (a local
// path; the paper page when it is absent or unsafe) anchored to the paper's card. With JavaScript
// (src/http/assets/votes.ts: Accept: application/json and X-CSRF-Token) the answer is JSON
// {paperId, voted, upvotes}. Anonymous visitors are sent to sign in: a 303 to /signin?next=<the page>, or a
// 401 JSON that the script turns into that navigation. Votes are idempotent: upvoting an upvoted paper or
// unvoting without a vote changes nothing and answers the current state. requireMember (auth.ts) is the
// guard: signed in, and the session's CSRF token.
import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Context } from '../../context.ts';
import type { Queryable } from '../../db/client.ts';
import { safeNextPath } from '../../accounts/profile.ts';
import { votedAmong } from '../../feed/votes.repository.ts';
import { PaperNotFoundError, unvote, upvote, type VoteResult } from '../../feed/votes.service.ts';
import { parseArxivId } from '../../papers/arxiv-id.ts';
import { RateLimiter, type RateLimitOptions } from '../../subscriptions/rate-limit.ts';
import { registerMeRoutes } from '../api/me.routes.ts';
import { registerUpvoteFeedRoutes } from '../feeds/upvotes-feed.routes.ts';
import { sendPrivateView } from './account.routes.ts';
import { requireMember, wantsJson, type Auth } from './auth.ts';
import { registerFormBody } from './form-body.ts';
import { forbiddenPage, tooManyPage } from './views/account.ts';
import { paperPath, type VoteView } from './views/components.ts';
import { errorPage } from './views/errors.ts';
import type { HeaderViewer } from './views/layout.ts';
import { paperNotFoundPage } from './views/paper.ts';

export interface VoteRouteOptions {
  /** Votes per member, over the buttons and the API together (default 120 a minute). */
  userLimit?: RateLimitOptions;
  /** Votes per client address (default 600 a minute: people behind one NAT or proxy share an address). */
  ipLimit?: RateLimitOptions;
}

export type LimitCheck = { allowed: true } | { allowed: false; retryAfterSeconds: number };

/** The vote rate limits (in process, see rate-limit.ts): per member and per client address. */
export class VoteLimiter {
  private readonly perUser: RateLimiter;
  private readonly perIp: RateLimiter;

  constructor(
    opts: VoteRouteOptions,
    private readonly clock: () => Date,
  ) {
    this.perUser = new RateLimiter(opts.userLimit ?? { limit: 120, windowMs: 60_000 });
    this.perIp = new RateLimiter(opts.ipLimit ?? { limit: 600, windowMs: 60_000 });
  }

  /** Records a vote; refused when the member or the address is over its limit. */
  hit(userId: number, ip: string): LimitCheck {
    const now = this.clock().getTime();
    // The member first: one member's refused votes do not use up the address that others share.
    const byUser = this.perUser.hit(String(userId), now);
    if (!byUser.allowed) return byUser;
    return this.perIp.hit(ip, now);
  }
}

/** Casts or withdraws the member's vote (votes.service.ts: one transaction, exact counts, the score with them). */
export function castVote(ctx: Context, userId: number, paperId: string, up: boolean): Promise<VoteResult> {
  return (up ? upvote : unvote)(ctx, { userId, paperId });
}

/**
 * What the upvote buttons of a page show to `viewer` (null: an anonymous page, which is cached and shared):
 * which of the page's papers they upvoted, in one query, and the form token. `next` is the page's path.
 */
export async function voteViewFor(db: Queryable, viewer: HeaderViewer | null | undefined, paperIds: readonly string[], next: string): Promise<VoteView> {
  return { next, csrf: viewer?.csrf ?? null, voted: viewer ? await votedAmong(db, viewer.id, paperIds) : new Set() };
}

/** The anchor of a paper's card (components.ts paperCard, paper.ts). */
export const cardAnchor = (paperId: string) => `#paper-${paperId}`;

/** A local path to come back to: `next` when it is safe (without its fragment), else null. */
export function localNext(next: unknown): string | null {
  if (typeof next !== 'string' || next === '') return null;
  const path = next.split('#')[0];
  return safeNextPath(path) === path && path !== '' ? path : null;
}

type Body = Record<string, unknown> | undefined;

export async function registerVoteRoutes(app: FastifyInstance, ctx: Context, auth: Auth, opts: VoteRouteOptions = {}): Promise<void> {
  const limiter = new VoteLimiter(opts, ctx.clock);

  await app.register(async (r) => {
    registerFormBody(r);
    r.setErrorHandler((err: FastifyError, req, reply) => {
      const status = err.statusCode && err.statusCode >= 400 && err.statusCode < 500 ? err.statusCode : 500;
      if (status === 500) req.log.error({ err, url: req.url }, 'vote failed');
      const message =
        status === 413 ? 'That is too much for an upvote.'
        : status === 415 ? 'An upvote takes what the button sends.'
        : status === 500 ? 'The server could not count this vote. The error is logged; please try again in a moment.'
        : err.message;
      if (wantsJson(req)) {
        const code = status === 500 ? 'INTERNAL_ERROR' : 'INVALID_PARAMETER';
        return reply.code(status).header('Cache-Control', 'no-store').send({ error: { code, message } });
      }
      return sendPrivateView(req, reply, status, errorPage(status, message));
    });

    const vote = (up: boolean) => async (req: FastifyRequest, reply: FastifyReply, given: string) => {
      const parsed = parseArxivId(given);
      const back = localNext((req.body as Body)?.next) ?? paperPath(parsed?.id ?? given);
      const anchored = parsed ? back + cardAnchor(parsed.id) : back;
      const viewer = requireMember(auth, req, reply, {
        next: anchored,
        refuse: (status, failure) =>
          failure === 'signin'
            ? reply.redirect(`/signin?next=${encodeURIComponent(anchored)}`, 303)
            : sendPrivateView(req, reply, status, forbiddenPage('This button had expired (you signed in or out since the page was loaded). Reload the page and press it again.')),
      });
      if (!viewer) return reply;
      const json = wantsJson(req);
      const notFound = (id: string) =>
        json
          ? reply.code(404).header('Cache-Control', 'no-store').send({ error: { code: 'PAPER_NOT_FOUND', message: `No paper ${id.slice(0, 100)} here.` } })
          : sendPrivateView(req, reply, 404, paperNotFoundPage(id));
      if (!parsed) {
        return json
          ? notFound(given)
          : sendPrivateView(req, reply, 404, errorPage(404, `“${given.slice(0, 80)}” is not an arXiv identifier. Identifiers look like 2501.00001 or hep-th/9901001.`));
      }
      const limit = limiter.hit(viewer.member.id, req.ip);
      if (!limit.allowed) {
        reply.header('Retry-After', String(limit.retryAfterSeconds));
        return json
          ? reply.code(429).header('Cache-Control', 'no-store').send({ error: { code: 'RATE_LIMITED', message: `Too many votes in a short time. Try again in ${limit.retryAfterSeconds} s.` } })
          : sendPrivateView(req, reply, 429, tooManyPage(limit.retryAfterSeconds, 'votes'));
      }
      let result: VoteResult;
      try {
        result = await castVote(ctx, viewer.member.id, parsed.id, up);
      } catch (err) {
        if (err instanceof PaperNotFoundError) return notFound(parsed.id);
        throw err;
      }
      if (json) return reply.header('Cache-Control', 'no-store').send({ paperId: result.paperId, voted: result.voted, upvotes: result.upvotes });
      return reply.redirect(anchored, 303);
    };

    for (const [action, up] of [['upvote', true], ['unvote', false]] as const) {
      const handler = vote(up);
      r.post(
        `/papers/:id/${action}`,
        { schema: { hide: true, params: { type: 'object', properties: { id: { type: 'string', maxLength: 300 } } } } },
        (req: FastifyRequest<{ Params: { id: string } }>, reply) => handler(req, reply, req.params.id),
      );
      // Old-style ids have a slash: /papers/hep-th/9901001/upvote.
      r.post(
        `/papers/:archive/:num/${action}`,
        { schema: { hide: true, params: { type: 'object', properties: { archive: { type: 'string', maxLength: 100 }, num: { type: 'string', maxLength: 100 } } } } },
        (req: FastifyRequest<{ Params: { archive: string; num: string } }>, reply) => handler(req, reply, `${req.params.archive}/${req.params.num}`),
      );
    }
  });

  await registerMeRoutes(app, ctx, auth, limiter);
  await registerUpvoteFeedRoutes(app, ctx);
}
