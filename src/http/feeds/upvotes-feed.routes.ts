// A member's own upvotes as a feed, for their feed reader:
//
//   /feeds/users/{username}/upvotes.xml?token=...    RSS 2.0
//   /feeds/users/{username}/upvotes.atom?token=...   Atom 1.0
//
// The token is the member's secret feed token (users.feed_token, made and renewed on the settings page),
// so a reader needs no cookie. A wrong or missing token gets the same 404 as a username nobody has: the
// address reveals nothing about who exists. The latest FEED_ITEMS upvotes, most recent first; an item's
// date is when it was upvoted (new upvotes are what a subscriber wants to see), its GUID the paper's page
// as in every other feed. Answers are private (the URL is a secret): Cache-Control private, no Referer.
// Registered by src/http/web/vote.routes.ts.
import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Context } from '../../context.ts';
import { userByUsername } from '../../accounts/accounts.repository.ts';
import { looksLikeSecret, sameString } from '../../accounts/secrets.ts';
import { papersByIds } from '../../api/api.repository.ts';
import { FEED_MEDIA_TYPES, feedPath, type FeedFormat } from '../../api/paths.ts';
import { AppError } from '../../errors.ts';
import { upvotesOfUser } from '../../feed/votes.repository.ts';
import { addConditionalGets, Validators } from '../api/conditional.ts';
import { httpError, sendError } from '../api/http-errors.ts';
import { FEED_ITEMS } from './feeds.routes.ts';
import { renderAtom, renderRss } from './feed-xml.ts';

/** The path of a member's upvotes feed without its extension (feedPath adds it and the token). */
export const upvotesFeedBase = (username: string) => `/feeds/users/${username}/upvotes`;

const USERNAME_RE = /^[a-z0-9_-]{2,40}$/;

const feedResponse = {
  200: {
    description: 'An RSS 2.0 (.xml) or Atom 1.0 (.atom) feed',
    content: {
      'application/rss+xml': { schema: { type: 'string' } },
      'application/atom+xml': { schema: { type: 'string' } },
    },
  },
  404: { description: 'No such feed: an unknown member, or a missing or wrong token (the same answer)', $ref: 'ApiError#' },
} as const;

export async function registerUpvoteFeedRoutes(app: FastifyInstance, ctx: Context): Promise<void> {
  const base = ctx.config.publicUrl;
  const noFeed = () => new AppError('NOT_FOUND', 'No feed at this address. The address of your upvotes feed, with its token, is on your settings page.');

  await app.register(
    async (feeds) => {
      feeds.setErrorHandler((err: FastifyError, req: FastifyRequest, reply: FastifyReply) => {
        const appError = httpError(err);
        if (appError.status >= 500) req.log.error({ err, url: req.url }, 'feed failed');
        // A malformed token or name is no different from a wrong one.
        return sendError(reply, appError.code === 'INVALID_PARAMETER' ? noFeed() : appError);
      });
      addConditionalGets(feeds, { cacheControl: 'private, max-age=300', validators: new Validators(1000) });
      feeds.addHook('onSend', async (_req, reply, payload) => {
        reply.header('Referrer-Policy', 'no-referrer').header('X-Robots-Tag', 'noindex');
        return payload;
      });

      for (const format of ['rss', 'atom'] as FeedFormat[]) {
        const ext = format === 'rss' ? 'xml' : 'atom';
        feeds.get(
          `/:username/upvotes.${ext}`,
          {
            schema: {
              tags: ['RSS and Atom feeds'],
              summary: `A member's upvotes, most recent first (${format === 'rss' ? 'RSS 2.0' : 'Atom 1.0'}); private, by a secret token`,
              description: 'The address, with its token, is on the member\'s settings page; renewing the token there retires the old address.',
              params: { type: 'object', required: ['username'], properties: { username: { type: 'string', maxLength: 100, examples: ['ada'] } } },
              querystring: {
                type: 'object',
                properties: { token: { type: 'string', maxLength: 200, description: "The member's secret feed token" } },
              },
              response: feedResponse,
            },
          },
          async (req: FastifyRequest<{ Params: { username: string }; Querystring: { token?: string } }>, reply) => {
            const { username } = req.params;
            const token = req.query.token;
            if (!looksLikeSecret(token) || !USERNAME_RE.test(username)) throw noFeed();
            const user = await userByUsername(ctx.db, username);
            if (!user || user.disabled_at || !user.feed_token || !sameString(user.feed_token, token)) throw noFeed();
            const votes = await upvotesOfUser(ctx.db, user.id, FEED_ITEMS, 0);
            const papers = await papersByIds(ctx.db, votes.map((v) => v.paperId));
            const meta = {
              title: `upvotes of ${user.username}`,
              description: `Papers ${user.display_name ?? user.username} upvoted, most recent first.`,
              selfUrl: base + feedPath(upvotesFeedBase(user.username), format, { token }),
              htmlUrl: `${base}/users/${user.username}`,
              base,
              emptyUpdated: new Date(user.created_at).toISOString(),
              itemDates: new Map(votes.map((v) => [v.paperId, v.votedAt])),
            };
            const body = format === 'rss' ? renderRss(papers, meta) : renderAtom(papers, meta);
            return reply.type(`${FEED_MEDIA_TYPES[format]}; charset=utf-8`).header('X-Content-Type-Options', 'nosniff').send(body);
          },
        );
      }
    },
    { prefix: '/feeds/users' },
  );
}
