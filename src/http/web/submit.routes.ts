// Submitting papers to the daily list, and moderators removing them:
//
//   GET  /submit                      the form (arXiv id or link, optional note); ?paper= fills it in.
//                                     Not signed in: 303 to /signin?next=/submit
//   POST /submit                      submits: 303 to the paper page (?submitted=<id>, which thanks the
//                                     submitter), or a page that says why not: 422 not an arXiv id or a
//                                     note too long, 404 arXiv has no such paper, 409 already on the list
//                                     (with a link to the entry), 429 quota used (and when it resets) or
//                                     too many requests, 503 arXiv cannot be reached (nothing saved)
//   POST /submissions/{id}/remove     a moderator takes a submission off its list (optional `reason`);
//                                     303 to the paper page; 403 for everyone else
//
// Both POSTs go through requireMember (signed in + the session's CSRF token) first. Rate limits, in
// process: per member and per client address, on every POST /submit (the quota of papers per daily
// list is separate and kept in the database: submissions.service.ts).
import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Context } from '../../context.ts';
import { isModerator } from '../../accounts/accounts.service.ts';
import { SubmissionService, type SubmissionServiceOptions } from '../../submissions/submissions.service.ts';
import { RateLimiter, type RateLimitOptions } from '../../subscriptions/rate-limit.ts';
import { sendPrivateView } from './account.routes.ts';
import { requireMember, type Auth } from './auth.ts';
import { CSRF_FIELD } from './csrf.ts';
import { registerFormBody } from './form-body.ts';
import { forbiddenPage, tooManyPage } from './views/account.ts';
import { errorPage } from './views/errors.ts';
import { arxivUnavailablePage, duplicatePage, quotaPage, submissionsSection, submitPage } from './views/submit.ts';
import type { HeaderViewer } from './views/layout.ts';
import type { SafeHtml } from './html.ts';
import { getPaper } from '../../papers/papers.repository.ts';
import { submissionsOfPaper } from '../../submissions/submissions.repository.ts';

export interface SubmitRouteOptions {
  /** POST /submit per member (default 20 per 10 minutes). */
  userLimit?: RateLimitOptions;
  /** POST /submit per client address (default 60 per 10 minutes: people behind one proxy share one). */
  ipLimit?: RateLimitOptions;
  /** The service's arXiv client and its limits (tests). */
  service?: SubmissionServiceOptions;
}

type Body = Record<string, unknown>;
const str = (v: unknown) => (typeof v === 'string' ? v : Array.isArray(v) ? String(v[0] ?? '') : '');

const submitBody = {
  type: 'object',
  properties: {
    paper: { type: 'string', maxLength: 2000 },
    note: { type: 'string', maxLength: 5000 },
    [CSRF_FIELD]: { type: 'string', maxLength: 200 },
  },
} as const;

export async function registerSubmitRoutes(app: FastifyInstance, ctx: Context, auth: Auth, opts: SubmitRouteOptions = {}): Promise<void> {
  const service = new SubmissionService(ctx, opts.service);
  const perUser = new RateLimiter(opts.userLimit ?? { limit: 20, windowMs: 10 * 60_000 });
  const perIp = new RateLimiter(opts.ipLimit ?? { limit: 60, windowMs: 10 * 60_000 });

  await app.register(async (r) => {
    registerFormBody(r);

    r.setErrorHandler((err: FastifyError, req, reply) => {
      const status = err.statusCode && err.statusCode >= 400 && err.statusCode < 500 ? err.statusCode : 500;
      if (status === 500) req.log.error({ err, url: req.url }, 'submit page failed');
      const message =
        status === 413 ? 'That is too much text for this form.'
        : status === 415 ? 'This form accepts only what a browser form sends.'
        : err.validation ? 'Some of what was sent is not valid (too long, or not what the form sends). Go back and check it.'
        : status === 500 ? 'The server could not handle this. The error is logged; please try again in a moment.'
        : err.message;
      return sendPrivateView(req, reply, status, errorPage(status, message));
    });

    const form = async (req: FastifyRequest, reply: FastifyReply, status: number, extra: { paper?: string; note?: string; errors?: { paper?: string; note?: string } } = {}) => {
      const viewer = req.viewer!;
      const quota = await service.remaining(viewer.member);
      return sendPrivateView(req, reply, status, submitPage({
        csrf: viewer.csrf,
        today: service.today(),
        left: quota ? quota.left : null,
        quota: quota?.quota,
        ...extra,
      }));
    };

    r.get(
      '/submit',
      { schema: { hide: true, querystring: { type: 'object', properties: { paper: { type: 'string', maxLength: 300 } } } } },
      async (req: FastifyRequest<{ Querystring: { paper?: string } }>, reply) => {
        if (!req.viewer || req.viewer.via !== 'session') return reply.redirect('/signin?next=%2Fsubmit', 303);
        return form(req, reply, 200, { paper: req.query.paper });
      },
    );

    r.post('/submit', { schema: { hide: true, body: submitBody } }, async (req: FastifyRequest<{ Body: Body }>, reply) => {
      const viewer = requireMember(auth, req, reply, { next: '/submit' });
      if (!viewer) return reply;
      const now = ctx.clock().getTime();
      const limited = [perIp.hit(req.ip, now), perUser.hit(String(viewer.member.id), now)].find((h) => !h.allowed);
      if (limited && !limited.allowed) {
        return sendPrivateView(req, reply.header('Retry-After', String(limited.retryAfterSeconds)), 429, tooManyPage(limited.retryAfterSeconds, 'submissions'));
      }
      const body = req.body ?? {};
      const typed = { paper: str(body.paper).slice(0, 300), note: str(body.note).slice(0, 1000) };
      const outcome = await service.submit(viewer.member, str(body.paper), str(body.note));
      switch (outcome.kind) {
        case 'submitted':
          return reply.redirect(`/papers/${outcome.submission.paperId}?submitted=${outcome.submission.id}#submissions`, 303);
        case 'invalid':
          return form(req, reply, 422, { ...typed, errors: { [outcome.field]: outcome.message } });
        case 'unknown':
          return form(req, reply, 404, { ...typed, errors: { paper: outcome.message } });
        case 'duplicate': {
          const paper = await getPaper(ctx.db, outcome.existing.paperId);
          return sendPrivateView(req, reply, 409, duplicatePage(outcome.existing, paper?.title ?? null));
        }
        case 'quota': {
          const seconds = Math.max(1, Math.ceil((outcome.resetsAt.getTime() - now) / 1000));
          return sendPrivateView(req, reply.header('Retry-After', String(seconds)), 429, quotaPage(outcome.quota, outcome.resetsAt, outcome.message));
        }
        case 'unavailable':
          return sendPrivateView(req, reply.header('Retry-After', '60'), 503, arxivUnavailablePage(outcome.message, typed.paper));
      }
    });

    r.post(
      '/submissions/:id/remove',
      {
        schema: {
          hide: true,
          params: { type: 'object', properties: { id: { type: 'integer', minimum: 1, maximum: 9e15 } }, required: ['id'] },
          body: { type: 'object', properties: { reason: { type: 'string', maxLength: 5000 }, [CSRF_FIELD]: { type: 'string', maxLength: 200 } } },
        },
      },
      async (req: FastifyRequest<{ Params: { id: number }; Body: Body }>, reply) => {
        const viewer = requireMember(auth, req, reply, { next: '/papers' });
        if (!viewer) return reply;
        if (!isModerator(viewer.member)) return sendPrivateView(req, reply, 403, forbiddenPage('Only moderators can remove submissions.'));
        const outcome = await service.remove(viewer.member, req.params.id, str(req.body?.reason));
        switch (outcome.kind) {
          case 'removed':
            return reply.redirect(`/papers/${outcome.paperId}#submissions`, 303);
          case 'already-removed':
            return reply.redirect(`/papers/${outcome.submission.paperId}#submissions`, 303);
          case 'forbidden':
            return sendPrivateView(req, reply, 403, forbiddenPage(outcome.message));
          case 'not-found':
            return sendPrivateView(req, reply, 404, errorPage(404, outcome.message));
          case 'invalid':
            return sendPrivateView(req, reply, 400, errorPage(400, outcome.message));
        }
      },
    );
  });
}

/**
 * The paper page's "Submitted by members" section for `viewer`: live submissions for everyone; removed
 * ones and the remove forms for moderators; thanks to the member who has just submitted (`?submitted=<id>`
 * after POST /submit). Empty for a paper nobody submitted.
 */
export async function paperSubmissionsSection(
  db: Context['db'],
  paperId: string,
  viewer: HeaderViewer | null | undefined,
  submittedParam: unknown,
): Promise<SafeHtml> {
  const moderator = viewer && (viewer.role === 'moderator' || viewer.role === 'admin') ? { csrf: viewer.csrf } : null;
  const subs = await submissionsOfPaper(db, paperId, { withRemoved: moderator !== null });
  const justSent = viewer && typeof submittedParam === 'string' && /^\d{1,15}$/.test(submittedParam) ? Number(submittedParam) : null;
  const confirmation = subs.find((s) => s.id === justSent && s.username === viewer?.username && !s.removedAt) ?? null;
  return submissionsSection(subs, moderator, confirmation);
}
