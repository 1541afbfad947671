// The comment forms:
//
//   POST /papers/:id/comments        a comment, or a reply with parent_id (old-style ids: /papers/hep-th/9901001/comments)
//   GET  /comments/:id/edit          the edit form (for browsers without JavaScript, and to fix a sent-back edit)
//   POST /comments/:id/edit          saves the author's new text
//   POST /comments/:id/delete        the author deletes the comment
//   POST /comments/:id/hide          a moderator hides it (form field `reason`, shown in its place)
//   POST /comments/:id/unhide        a moderator shows it again
//
// Every POST goes through requireMember (signed in, and the session's CSRF token), then the service checks
// who may do what: 403 for someone else's comment or a member who is not a moderator, 404 for a comment or
// paper that does not exist. Done, the browser goes back to the comment (303 to /papers/{id}#comment-{n});
// a comment that cannot be saved as sent (empty, too long, broken characters) comes back in the form with
// what is wrong. Clients asking for JSON get JSON instead of pages.
//
// Rate limits (in-process, src/subscriptions/rate-limit.ts): new comments per member and per client
// address, other changes per member; over them a 429 page with Retry-After.
import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Context } from '../../context.ts';
import { addComment, commentToEdit, CommentError, deleteComment, editComment, hideComment, unhideComment, type CommentChange } from '../../comments/comments.service.ts';
import { commentById } from '../../comments/comments.repository.ts';
import { checkCommentBody } from '../../comments/markdown.ts';
import { paperById } from '../../feed/feed.service.ts';
import { parseArxivId } from '../../papers/arxiv-id.ts';
import { RateLimiter, type RateLimitOptions } from '../../subscriptions/rate-limit.ts';
import { sendPrivateView } from './account.routes.ts';
import { Auth, requireMember, wantsJson, type Viewer } from './auth.ts';
import { registerFormBody } from './form-body.ts';
import { forbiddenPage, tooManyPage } from './views/account.ts';
import { commentAnchor, commentFormPage } from './views/comments.ts';
import { errorPage } from './views/errors.ts';

export interface CommentRouteOptions {
  /** New comments per member (default 10 per 10 minutes). */
  userLimit?: RateLimitOptions;
  /** New comments per client address (default 30 per 10 minutes). */
  ipLimit?: RateLimitOptions;
  /** Edits, deletions and moderation per member (default 60 per 10 minutes). */
  actionLimit?: RateLimitOptions;
}

type Body = Record<string, unknown>;
const str = (v: unknown) => (typeof v === 'string' ? v : Array.isArray(v) ? String(v[0] ?? '') : '');

const COMMENT_ID = /^[1-9][0-9]{0,14}$/;
const idParams = { type: 'object', properties: { id: { type: 'string', maxLength: 100 } }, required: ['id'] } as const;
// Generous schema limits: the service says what is wrong in words (the form body limit caps the bytes).
const commentBody = {
  type: 'object',
  properties: {
    body: { type: 'string', maxLength: 200_000 },
    parent_id: { type: 'string', maxLength: 100 },
    reason: { type: 'string', maxLength: 10_000 },
    _csrf: { type: 'string', maxLength: 200 },
  },
} as const;

/** Bytes a comment form may send: 10,000 characters of 4-byte UTF-8, each percent-encoded, and room to spare. */
const FORM_BYTES = 256 * 1024;

const paperHref = (paperId: string, anchor = 'comments') => `/papers/${paperId}#${anchor}`;

export async function registerCommentRoutes(app: FastifyInstance, ctx: Context, auth: Auth, opts: CommentRouteOptions = {}): Promise<void> {
  const perUser = new RateLimiter(opts.userLimit ?? { limit: 10, windowMs: 10 * 60_000 });
  const perIp = new RateLimiter(opts.ipLimit ?? { limit: 30, windowMs: 10 * 60_000 });
  const actions = new RateLimiter(opts.actionLimit ?? { limit: 60, windowMs: 10 * 60_000 });

  await app.register(async (r) => {
    registerFormBody(r, FORM_BYTES);

    r.setErrorHandler((err: FastifyError, req, reply) => {
      const status = err.statusCode && err.statusCode >= 400 && err.statusCode < 500 ? err.statusCode : 500;
      if (status === 500) req.log.error({ err, url: req.url }, 'comment request failed');
      const message =
        status === 413 ? 'That is too much text for a comment: at most 10,000 characters.'
        : status === 415 ? 'This form accepts only what a browser form sends.'
        : err.validation ? 'Some of what was sent is not valid (too long, or not what the form sends). Go back and check it.'
        : status === 500 ? 'The server could not handle this. The error is logged; please try again in a moment.'
        : err.message;
      if (wantsJson(req)) return reply.code(status).send({ error: { code: status === 500 ? 'INTERNAL' : 'BAD_REQUEST', message } });
      return sendPrivateView(req, reply, status, errorPage(status, message));
    });

    /** The refusals of requireMember as pages: sign in first, or the form token was wrong. */
    const guard = (req: FastifyRequest, reply: FastifyReply, next: string): Viewer | null =>
      requireMember(auth, req, reply, {
        next,
        refuse: (status, failure) =>
          failure === 'signin'
            ? reply.redirect(`/signin?next=${encodeURIComponent(next)}`, 303)
            : sendPrivateView(req, reply, status, forbiddenPage('The form had expired or did not come from paperpulse: go back, reload the page and send it again.')),
      });

    const tooMany = (req: FastifyRequest, reply: FastifyReply, seconds: number, what: string) => {
      reply.header('Retry-After', String(seconds));
      if (wantsJson(req)) return reply.code(429).send({ error: { code: 'RATE_LIMITED', message: `Too many ${what}: try again in ${seconds} seconds.`, retryAfterSeconds: seconds } });
      return sendPrivateView(req, reply, 429, tooManyPage(seconds, what));
    };

    /** A refusal from the service as a page (or JSON). */
    const refused = (req: FastifyRequest, reply: FastifyReply, err: CommentError) => {
      if (wantsJson(req)) return reply.code(err.status).send({ error: { code: err.code, message: err.message } });
      if (err.status === 403) return sendPrivateView(req, reply, 403, forbiddenPage(err.message));
      return sendPrivateView(req, reply, err.status, errorPage(err.status, err.message));
    };

    const done = (req: FastifyRequest, reply: FastifyReply, change: CommentChange, status = 200) => {
      const location = paperHref(change.paperId, change.shown ? commentAnchor(change.commentId) : 'comments');
      if (wantsJson(req)) {
        return reply.code(status).send({ comment: { id: change.commentId, paperId: change.paperId, url: location }, numComments: change.numComments });
      }
      return reply.redirect(location, 303);
    };

    const unknownComment = (req: FastifyRequest, reply: FastifyReply, given: string) =>
      refused(req, reply, new CommentError('COMMENT_NOT_FOUND', `There is no comment ${given.slice(0, 20)}.`));

    // -- New comments and replies -------------------------------------------------------------------
    const postComment = async (req: FastifyRequest<{ Body: Body }>, reply: FastifyReply, given: string) => {
      const parsed = parseArxivId(given);
      const paperId = parsed?.id ?? given;
      const viewer = guard(req, reply, paperHref(paperId));
      if (!viewer) return reply;
      const paper = parsed ? await paperById(ctx.db, parsed.id) : null;
      if (!paper) return refused(req, reply, new CommentError('PAPER_NOT_FOUND', `There is no paper “${given.slice(0, 80)}” here.`));
      const body = req.body ?? {};
      const rawParent = str(body.parent_id).trim();
      if (rawParent && !COMMENT_ID.test(rawParent)) return refused(req, reply, new CommentError('PARENT_NOT_FOUND', 'The comment you replied to is not on this paper.'));
      const parentId = rawParent ? Number(rawParent) : null;
      const sendBack = (status: number, error: string) => {
        if (wantsJson(req)) return reply.code(status).send({ error: { code: 'INVALID_BODY', message: error } });
        return sendPrivateView(req, reply, status, commentFormPage({
          mode: parentId ? 'reply' : 'new',
          paperId: paper.id,
          paperTitle: paper.title,
          csrf: viewer.csrf,
          action: `/papers/${paper.id}/comments`,
          body: str(body.body),
          parentId,
          error,
        }));
      };
      // What is wrong with the text is said before the attempt counts against the rate limits.
      const checked = checkCommentBody(body.body);
      if (!checked.ok) return sendBack(400, checked.error);
      const now = ctx.clock().getTime();
      const byUser = perUser.hit(`user:${viewer.member.id}`, now);
      if (!byUser.allowed) return tooMany(req, reply, byUser.retryAfterSeconds, 'comments');
      const byIp = perIp.hit(`ip:${req.ip}`, now);
      if (!byIp.allowed) return tooMany(req, reply, byIp.retryAfterSeconds, 'comments from your network');
      try {
        const change = await addComment(ctx, { paperId: paper.id, userId: viewer.member.id, body: checked.body, parentId });
        req.log.info({ user: viewer.member.username, paper: paper.id, comment: change.commentId }, 'comment posted');
        return done(req, reply, change, 201);
      } catch (err) {
        if (!(err instanceof CommentError)) throw err;
        if (err.code === 'INVALID_BODY') return sendBack(400, err.message);
        return refused(req, reply, err);
      }
    };
    r.post('/papers/:id/comments', { schema: { hide: true, params: idParams, body: commentBody } }, (req: FastifyRequest<{ Params: { id: string }; Body: Body }>, reply) =>
      postComment(req, reply, req.params.id));
    r.post(
      '/papers/:archive/:num/comments',
      { schema: { hide: true, params: { type: 'object', properties: { archive: { type: 'string', maxLength: 100 }, num: { type: 'string', maxLength: 100 } } }, body: commentBody } },
      (req: FastifyRequest<{ Params: { archive: string; num: string }; Body: Body }>, reply) => postComment(req, reply, `${req.params.archive}/${req.params.num}`),
    );

    // -- Changing a comment ---------------------------------------------------------------------------
    /** Resolves the comment id and the member for a change; sends the refusal itself and returns null. */
    const prepare = async (req: FastifyRequest<{ Params: { id: string } }>, reply: FastifyReply) => {
      const given = req.params.id;
      const id = COMMENT_ID.test(given) ? Number(given) : null;
      const comment = id ? await commentById(ctx.db, id) : null;
      const viewer = guard(req, reply, comment ? paperHref(comment.paper_id, commentAnchor(comment.id)) : '/');
      if (!viewer) return null;
      if (!comment) {
        await unknownComment(req, reply, given);
        return null;
      }
      const limit = actions.hit(`user:${viewer.member.id}`, ctx.clock().getTime());
      if (!limit.allowed) {
        await tooMany(req, reply, limit.retryAfterSeconds, 'changes to comments');
        return null;
      }
      return { viewer, comment, actor: { id: viewer.member.id, role: viewer.member.role } };
    };

    const change = (run: (c: NonNullable<Awaited<ReturnType<typeof prepare>>>, body: Body) => Promise<CommentChange>) =>
      async (req: FastifyRequest<{ Params: { id: string }; Body: Body }>, reply: FastifyReply) => {
        const ready = await prepare(req, reply);
        if (!ready) return reply;
        try {
          return done(req, reply, await run(ready, req.body ?? {}));
        } catch (err) {
          if (!(err instanceof CommentError)) throw err;
          return refused(req, reply, err);
        }
      };

    const routeOpts = { schema: { hide: true, params: idParams, body: commentBody } };

    r.get('/comments/:id/edit', { schema: { hide: true, params: idParams } }, async (req: FastifyRequest<{ Params: { id: string } }>, reply) => {
      const given = req.params.id;
      const id = COMMENT_ID.test(given) ? Number(given) : null;
      const existing = id ? await commentById(ctx.db, id) : null;
      if (!existing) return unknownComment(req, reply, given);
      const viewer = req.viewer;
      if (!viewer || viewer.via !== 'session') return reply.redirect(`/signin?next=${encodeURIComponent(`/comments/${existing.id}/edit`)}`, 303);
      try {
        const c = await commentToEdit(ctx.db, existing.id, viewer.member);
        const paper = await paperById(ctx.db, c.paper_id);
        return sendPrivateView(req, reply, 200, commentFormPage({
          mode: 'edit',
          paperId: c.paper_id,
          paperTitle: paper?.title ?? c.paper_id,
          csrf: viewer.csrf,
          action: `/comments/${c.id}/edit`,
          body: c.body,
        }));
      } catch (err) {
        if (!(err instanceof CommentError)) throw err;
        return refused(req, reply, err);
      }
    });

    r.post('/comments/:id/edit', routeOpts, async (req: FastifyRequest<{ Params: { id: string }; Body: Body }>, reply) => {
      const ready = await prepare(req, reply);
      if (!ready) return reply;
      const body = req.body ?? {};
      try {
        return done(req, reply, await editComment(ctx, { commentId: ready.comment.id, actor: ready.actor, body: body.body }));
      } catch (err) {
        if (!(err instanceof CommentError)) throw err;
        if (err.code !== 'INVALID_BODY') return refused(req, reply, err);
        if (wantsJson(req)) return reply.code(400).send({ error: { code: err.code, message: err.message } });
        const paper = await paperById(ctx.db, ready.comment.paper_id);
        return sendPrivateView(req, reply, 400, commentFormPage({
          mode: 'edit',
          paperId: ready.comment.paper_id,
          paperTitle: paper?.title ?? ready.comment.paper_id,
          csrf: ready.viewer.csrf,
          action: `/comments/${ready.comment.id}/edit`,
          body: str(body.body),
          error: err.message,
        }));
      }
    });

    r.post('/comments/:id/delete', routeOpts, change((c) => deleteComment(ctx, { commentId: c.comment.id, actor: c.actor })));
    r.post('/comments/:id/hide', routeOpts, change((c, body) => hideComment(ctx, { commentId: c.comment.id, actor: c.actor, reason: body.reason })));
    r.post('/comments/:id/unhide', routeOpts, change((c) => unhideComment(ctx, { commentId: c.comment.id, actor: c.actor })));
  });
}
