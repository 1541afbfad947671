// The web application as a Fastify instance built from a Context. server.ts only listens; tests build
// the app and call inject(). Routes get what they need from ctx; nothing is decorated onto Fastify.
import Fastify, { LogController, type FastifyBaseLogger, type FastifyInstance } from 'fastify';
import type { Context } from '../context.ts';
import { countPapers } from '../papers/papers.repository.ts';
import { registerApiRoutes } from './api/api.routes.ts';
import { registerFeedRoutes } from './feeds/feeds.routes.ts';
import { registerWebRoutes } from './web/routes.ts';
import { registerAccountRoutes, type AccountRouteOptions } from './web/account.routes.ts';
import { Auth, registerAuth } from './web/auth.ts';
import { registerCommentRoutes, type CommentRouteOptions } from './web/comments.routes.ts';
import { registerSecurityHeaders } from './security-headers.ts';
import { registerSubscribeRoutes, type SubscribeRouteOptions } from './web/subscribe.routes.ts';
import { registerSuggestRoutes } from './web/suggest.routes.ts';
import { registerSubmitRoutes, type SubmitRouteOptions } from './web/submit.routes.ts';
import { registerVoteRoutes, type VoteRouteOptions } from './web/vote.routes.ts';

export interface AppOptions {
  /** Log each request (serve: yes; tests: no). */
  logRequests?: boolean;
  /** Email digest pages: the mailer for confirmations and the rate limits (tests). */
  subscribe?: SubscribeRouteOptions;
  /** Account pages: the mailer for sign-in links and the rate limits (tests). */
  accounts?: AccountRouteOptions;
  /** Submitting papers: the rate limits and the arXiv client (tests). */
  submit?: SubmitRouteOptions;
  /** Upvote buttons and the vote API: the rate limits (tests). */
  votes?: VoteRouteOptions;
  /** Comment forms: the rate limits (tests). */
  comments?: CommentRouteOptions;
}

export interface RouteSummary {
  method: string;
  url: string;
}
const ROUTES = new WeakMap<FastifyInstance, RouteSummary[]>();

/** The routes of an app built by buildApp. */
export function routesOf(app: FastifyInstance): RouteSummary[] {
  return [...(ROUTES.get(app) ?? [])];
}

export async function buildApp(ctx: Context, opts: AppOptions = {}): Promise<FastifyInstance> {
  const app = Fastify({
    loggerInstance: ctx.log as FastifyBaseLogger,
    logController: new LogController({ disableRequestLogging: !opts.logRequests }),
    bodyLimit: 1024 * 1024,
    trustProxy: false,
  });
  // Every route, as registered (the authorization walk in test/http/authz.test.ts reads them).
  const routes: RouteSummary[] = [];
  ROUTES.set(app, routes);
  app.addHook('onRoute', (r) => {
    for (const method of [r.method].flat()) routes.push({ method: String(method), url: r.url });
  });

  registerSecurityHeaders(app, ctx.config.publicUrl);
  const auth = new Auth(ctx);
  registerAuth(app, auth);

  app.get(
    '/healthz',
    {
      schema: {
        response: {
          200: {
            type: 'object',
            properties: { status: { type: 'string' }, database: { type: 'string' }, papers: { type: 'integer' } },
          },
          503: { type: 'object', properties: { status: { type: 'string' }, error: { type: 'string' } } },
        },
      },
    },
    async (_req, reply) => {
      try {
        const papers = await countPapers(ctx.db);
        return { status: 'ok', database: ctx.db.kind, papers };
      } catch (err) {
        return reply.code(503).send({ status: 'unavailable', error: `database: ${(err as Error).message}` });
      }
    },
  );

  await registerWebRoutes(app, ctx);
  await registerSubscribeRoutes(app, ctx, opts.subscribe, auth);
  await registerAccountRoutes(app, ctx, auth, opts.accounts);
  await registerSubmitRoutes(app, ctx, auth, opts.submit);
  await registerCommentRoutes(app, ctx, auth, opts.comments);
  await registerApiRoutes(app, ctx);
  await registerSuggestRoutes(app, ctx); // after the API: its OpenAPI document lists the route
  await registerVoteRoutes(app, ctx, auth, opts.votes);
  await registerFeedRoutes(app, ctx);

  return app;
}
