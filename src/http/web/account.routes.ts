// The account pages:
//
//   GET  /signin, /signup          the email form (sign-up is the same link flow, worded for newcomers)
//   POST /signin, /signup          sends a one-time link; with a password (sign-in only), signs in directly
//   GET  /signin/:token            "sign in as ...?" (or the new account's username form): a GET changes
//                                  nothing, because mail scanners open links
//   POST /signin/:token            uses the link: new session (and account), redirect to where the member was
//   POST /signout                  ends this session
//   GET  /settings                 profile, password, API tokens, private feed, sessions
//   POST /settings/...             each form of the settings page
//   GET  /users/:username          the public profile
//
// The sign-in form answers the same for every address (no account enumeration); the email says whether
// it signs in or creates an account. Rate limits: per client address on the forms, per email address in
// the database (accounts.service.ts LINK_LIMITS).
import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Context } from '../../context.ts';
import {
  AccountError,
  activeSessionCount,
  apiTokensOf,
  changePassword,
  checkSignInLink,
  completeSignIn,
  createApiToken,
  endAllSessions,
  endSession,
  feedTokenOf,
  memberByUsername,
  requestSignInLink,
  revokeToken,
  saveProfile,
  signInWithPassword,
} from '../../accounts/accounts.service.ts';
import { checkNewPassword } from '../../accounts/passwords.ts';
import { countUpvotes, recentComments, submittedPaperIds, upvotedPaperIds } from '../../accounts/profile.repository.ts';
import { safeNextPath } from '../../accounts/profile.ts';
import { parseEmailAddress } from '../../mail/address.ts';
import { createMailer, type Mailer } from '../../mail/mailer.ts';
import { summariesByIds } from '../../search/search.repository.ts';
import { votedAmong } from '../../feed/votes.repository.ts';
import { RateLimiter, type RateLimitOptions } from '../../subscriptions/rate-limit.ts';
import { createDigestSender } from '../../digest/digest.service.ts';
import { Auth, requireMember, type Viewer } from './auth.ts';
import { Csrf, CSRF_FIELD } from './csrf.ts';
import { registerFormBody } from './form-body.ts';
import { html, raw } from './html.ts';
import {
  confirmSignInPage,
  createAccountPage,
  forbiddenPage,
  linkSentPage,
  profilePage,
  settingsPage,
  signInLinkProblemPage,
  signInPage,
  tooManyPage,
  type AccountView,
  type SettingsData,
} from './views/account.ts';
import { paperList } from './views/components.ts';
import { errorPage } from './views/errors.ts';
import { page, type Theme } from './views/layout.ts';

export interface AccountRouteOptions {
  mailer?: Mailer;
  /** Sign-in / sign-up form posts per client address (default 20 per 15 minutes). */
  ipLimit?: RateLimitOptions;
  /** Sign-in links per email address (default LINK_LIMITS). */
  linkLimits?: { max: number; windowMs: number; minIntervalMs: number };
}

const THEME_COOKIE_RE = /(?:^|;\s*)paperpulse-theme=(light|dark)(?:;|$)/;
export function themeOf(req: FastifyRequest): Theme | null {
  const cookie = req.headers.cookie;
  return cookie ? ((THEME_COOKIE_RE.exec(cookie)?.[1] as Theme | undefined) ?? null) : null;
}

/** Sends a page that belongs to one person: never cached, no Referer (links may carry secrets). */
export function sendPrivateView(req: FastifyRequest, reply: FastifyReply, status: number, view: AccountView, opts: { noindex?: boolean } = {}): FastifyReply {
  return reply
    .code(status)
    .header('Content-Type', 'text/html; charset=utf-8')
    .header('Cache-Control', 'no-store')
    .header('Referrer-Policy', 'no-referrer')
    .header('X-Robots-Tag', 'noindex')
    .send(page({ title: view.title, body: view.body, theme: themeOf(req), noindex: opts.noindex ?? true, viewer: headerViewer(req.viewer) }));
}

export const headerViewer = (v: Viewer | null) => (v && v.via === 'session' ? { id: v.member.id, username: v.member.username, csrf: v.csrf, role: v.member.role } : null);

type Body = Record<string, unknown>;
const str = (v: unknown) => (typeof v === 'string' ? v : Array.isArray(v) ? String(v[0] ?? '') : '');
const TOKEN_PARAMS = { type: 'object', properties: { token: { type: 'string', maxLength: 200 } }, required: ['token'] } as const;
const LINK_STATUS = { invalid: 400, expired: 410, used: 410 } as const;

export async function registerAccountRoutes(app: FastifyInstance, ctx: Context, auth: Auth, opts: AccountRouteOptions = {}): Promise<void> {
  const ownMailer = !opts.mailer;
  const mailer = opts.mailer ?? createMailer({ smtpUrl: ctx.config.smtpUrl, dataDir: ctx.config.dataDir, from: ctx.config.mailFrom });
  const sender = createDigestSender({ db: ctx.db, config: ctx.config, clock: ctx.clock, log: ctx.log }, mailer, { concurrency: 1 });
  const csrf = new Csrf({ secret: ctx.config.secretKey, publicUrl: ctx.config.publicUrl, clock: ctx.clock });
  const perIp = new RateLimiter(opts.ipLimit ?? { limit: 20, windowMs: 15 * 60_000 });
  app.addHook('onClose', async () => {
    if (ownMailer) await mailer.close();
  });

  await app.register(async (r) => {
    registerFormBody(r);

    r.setErrorHandler((err: FastifyError, req, reply) => {
      const status = err.statusCode && err.statusCode >= 400 && err.statusCode < 500 ? err.statusCode : 500;
      if (status === 500) req.log.error({ err, url: req.url }, 'account page failed');
      const message =
        status === 413 ? 'That is too much text for this form.'
        : status === 415 ? 'This form accepts only what a browser form sends.'
        : err.validation ? 'Some of what was sent is not valid (too long, or not what the form sends). Go back and check it.'
        : status === 500 ? 'The server could not handle this. The error is logged; please try again in a moment.'
        : err.message;
      return sendPrivateView(req, reply, status, errorPage(status, message));
    });

    const tooMany = (req: FastifyRequest, reply: FastifyReply, seconds: number, what?: string) =>
      sendPrivateView(req, reply.header('Retry-After', String(seconds)), 429, tooManyPage(seconds, what));

    // -- Sign in / sign up --------------------------------------------------------------------------
    const formRoute = (mode: 'signin' | 'signup') => async (req: FastifyRequest<{ Querystring: { next?: string } }>, reply: FastifyReply) => {
      const next = safeNextPath(req.query.next);
      if (req.viewer) return reply.redirect(next, 303);
      return sendPrivateView(req, reply, 200, signInPage({ csrf: csrf.issue(req, reply, 'signin'), next, mode }), { noindex: false });
    };
    const formQuery = { type: 'object', properties: { next: { type: 'string', maxLength: 2000 } } } as const;
    r.get('/signin', { schema: { hide: true, querystring: formQuery } }, formRoute('signin'));
    r.get('/signup', { schema: { hide: true, querystring: formQuery } }, formRoute('signup'));

    const postForm = (mode: 'signin' | 'signup') => async (req: FastifyRequest<{ Body: Body }>, reply: FastifyReply) => {
      const body = req.body ?? {};
      const next = safeNextPath(str(body.next));
      const typed = str(body.email).slice(0, 300).replace(/[\r\n]+/g, ' ');
      const again = (status: number, extra: { error?: string; passwordError?: string; notice?: string }) =>
        sendPrivateView(req, reply, status, signInPage({ csrf: csrf.issue(req, reply, 'signin'), next, mode, email: typed, ...extra }));
      if (!csrf.verify(req, body[CSRF_FIELD], 'signin')) return again(403, { notice: 'Your form had expired. Please send it once more.' });
      const ip = perIp.hit(req.ip, ctx.clock().getTime());
      if (!ip.allowed) return tooMany(req, reply, ip.retryAfterSeconds, 'sign-in attempts');
      const parsed = parseEmailAddress(body.email);
      if (!parsed.ok) return again(400, { error: parsed.error });
      const password = mode === 'signin' ? str(body.password) : '';
      if (password) {
        const signed = await signInWithPassword(auth.deps, parsed.address, password, {
          userAgent: req.headers['user-agent'] ?? null,
          replaceSession: auth.sessionToken(req),
        });
        // One answer for unknown addresses, accounts without a password and wrong passwords.
        if (!signed) return again(401, { passwordError: 'That email address and password do not match an account with a password. You can use an email link instead: leave the password empty.' });
        auth.setSessionCookie(reply, signed.sessionToken);
        return reply.redirect(next, 303);
      }
      const outcome = await requestSignInLink(auth.deps, parsed.address, next, opts.linkLimits);
      if (outcome.kind === 'rate-limited') return tooMany(req, reply, outcome.retryAfterSeconds, 'sign-in links for this address');
      try {
        await sender.sendOne(outcome.outboxId);
      } catch (err) {
        req.log.warn({ err: (err as Error).message }, 'sign-in message not sent yet; the outbox will retry');
      }
      return sendPrivateView(req, reply, 200, linkSentPage(parsed.address));
    };
    const formBody = {
      type: 'object',
      properties: {
        email: { type: 'string', maxLength: 5000 },
        password: { type: 'string', maxLength: 1000 },
        next: { type: 'string', maxLength: 2000 },
        [CSRF_FIELD]: { type: 'string', maxLength: 200 },
      },
    } as const;
    r.post('/signin', { schema: { hide: true, body: formBody } }, postForm('signin'));
    r.post('/signup', { schema: { hide: true, body: formBody } }, postForm('signup'));

    // -- The link -----------------------------------------------------------------------------------
    r.get('/signin/:token', { schema: { hide: true, params: TOKEN_PARAMS } }, async (req: FastifyRequest<{ Params: { token: string } }>, reply) => {
      const check = await checkSignInLink(auth.deps, req.params.token);
      if (!check.ok) return sendPrivateView(req, reply, LINK_STATUS[check.reason], signInLinkProblemPage(check.reason));
      const action = `/signin/${req.params.token}`;
      const token = csrf.issue(req, reply, 'signin-link');
      if (check.member) return sendPrivateView(req, reply, 200, confirmSignInPage({ email: check.email, csrf: token, action }));
      return sendPrivateView(req, reply, 200, createAccountPage({ email: check.email, csrf: token, action }));
    });

    r.post(
      '/signin/:token',
      {
        schema: {
          hide: true,
          params: TOKEN_PARAMS,
          body: { type: 'object', properties: { username: { type: 'string', maxLength: 1000 }, display_name: { type: 'string', maxLength: 1000 }, [CSRF_FIELD]: { type: 'string', maxLength: 200 } } },
        },
      },
      async (req: FastifyRequest<{ Params: { token: string }; Body: Body }>, reply) => {
        const body = req.body ?? {};
        // A sign-in link posted from another site would sign the victim into the sender's account.
        if (!csrf.verify(req, body[CSRF_FIELD], 'signin-link')) {
          return sendPrivateView(req, reply, 403, forbiddenPage('This form had expired or did not come from paperpulse. Open the link from your email again.'));
        }
        const signup = 'username' in body ? { username: str(body.username), displayName: str(body.display_name) } : undefined;
        try {
          const result = await completeSignIn(auth.deps, req.params.token, {
            signup,
            userAgent: req.headers['user-agent'] ?? null,
            replaceSession: auth.sessionToken(req),
          });
          if (!result.ok) {
            if (result.reason === 'needs-signup') {
              const check = await checkSignInLink(auth.deps, req.params.token);
              if (!check.ok) return sendPrivateView(req, reply, LINK_STATUS[check.reason], signInLinkProblemPage(check.reason));
              return sendPrivateView(req, reply, 400, createAccountPage({ email: check.email, csrf: csrf.issue(req, reply, 'signin-link'), action: `/signin/${req.params.token}` }));
            }
            return sendPrivateView(req, reply, LINK_STATUS[result.reason], signInLinkProblemPage(result.reason));
          }
          auth.setSessionCookie(reply, result.sessionToken);
          req.log.info({ user: result.member.username, created: result.created }, result.created ? 'account created' : 'signed in');
          return reply.redirect(result.created && result.nextPath === '/' ? '/settings' : result.nextPath, 303);
        } catch (err) {
          if (!(err instanceof AccountError)) throw err;
          const check = await checkSignInLink(auth.deps, req.params.token);
          if (!check.ok) return sendPrivateView(req, reply, LINK_STATUS[check.reason], signInLinkProblemPage(check.reason));
          const field = err.field === 'displayName' ? 'displayName' : 'username';
          return sendPrivateView(req, reply, 400, createAccountPage({
            email: check.email,
            csrf: csrf.issue(req, reply, 'signin-link'),
            action: `/signin/${req.params.token}`,
            username: signup?.username.slice(0, 100),
            displayName: signup?.displayName?.slice(0, 200),
            errors: { [field]: err.message },
          }));
        }
      },
    );

    // -- Sign out -----------------------------------------------------------------------------------
    r.post('/signout', { schema: { hide: true } }, async (req: FastifyRequest, reply) => {
      if (!req.viewer) {
        auth.clearSessionCookie(reply);
        return reply.redirect('/', 303);
      }
      if (!requireMember(auth, req, reply)) return reply;
      await endSession(auth.deps, auth.sessionToken(req));
      auth.clearSessionCookie(reply);
      return reply.redirect('/', 303);
    });

    // -- Settings -----------------------------------------------------------------------------------
    const settingsData = async (viewer: Viewer, extra: Partial<SettingsData> = {}): Promise<SettingsData> => {
      const m = viewer.member;
      const [tokens, sessions, feed] = await Promise.all([
        apiTokensOf(auth.deps, m.id),
        activeSessionCount(auth.deps, m.id),
        ctx.db.query<{ feed_token: string | null }>(`SELECT feed_token FROM users WHERE id = $1`, [m.id]),
      ]);
      const feedToken = feed[0]?.feed_token ?? null;
      return {
        member: m,
        csrf: viewer.csrf,
        tokens,
        sessions,
        feedUrl: feedToken ? `${ctx.config.publicUrl}/feeds/users/${m.username}/upvotes.xml?token=${feedToken}` : null,
        ...extra,
      };
    };

    r.get('/settings', { schema: { hide: true } }, async (req, reply) => {
      if (!req.viewer || req.viewer.via !== 'session') return reply.redirect('/signin?next=%2Fsettings', 303);
      return sendPrivateView(req, reply, 200, settingsPage(await settingsData(req.viewer)));
    });

    const settingsPost = (handler: (viewer: Viewer, body: Body, req: FastifyRequest, reply: FastifyReply) => Promise<FastifyReply>) =>
      async (req: FastifyRequest<{ Body: Body }>, reply: FastifyReply) => {
        const viewer = requireMember(auth, req, reply, { next: '/settings' });
        if (!viewer) return reply;
        if (viewer.via !== 'session') return sendPrivateView(req, reply, 403, forbiddenPage('Settings change only from a signed-in browser.'));
        return handler(viewer, req.body ?? {}, req, reply);
      };
    const settingsBody = { type: 'object', additionalProperties: { type: 'string', maxLength: 5000 } } as const;

    r.post('/settings/profile', { schema: { hide: true, body: settingsBody } }, settingsPost(async (viewer, body, req, reply) => {
      try {
        await saveProfile(auth.deps, viewer.member.id, { displayName: body.display_name, bio: body.bio, upvotesPublic: str(body.upvotes_public) === '1' });
      } catch (err) {
        if (!(err instanceof AccountError)) throw err;
        const errors = err.field === 'bio' ? { bio: err.message } : { displayName: err.message };
        return sendPrivateView(req, reply, 400, settingsPage(await settingsData(viewer, { errors, form: { displayName: str(body.display_name).slice(0, 200), bio: str(body.bio).slice(0, 1000) } })));
      }
      return reply.redirect('/settings?saved=profile', 303);
    }));

    r.post('/settings/password', { schema: { hide: true, body: settingsBody } }, settingsPost(async (viewer, body, req, reply) => {
      if (str(body.remove) === '1') {
        await changePassword(auth.deps, viewer.member.id, null);
        return reply.redirect('/settings?saved=password-removed', 303);
      }
      const checked = checkNewPassword(body.password);
      if (!checked.ok) return sendPrivateView(req, reply, 400, settingsPage(await settingsData(viewer, { errors: { password: checked.error } })));
      await changePassword(auth.deps, viewer.member.id, checked.password);
      // Other browsers signed in with the old password lose their sessions.
      await endAllSessions(auth.deps, viewer.member.id, viewer.sessionId ?? undefined);
      return reply.redirect('/settings?saved=password', 303);
    }));

    r.post('/settings/tokens', { schema: { hide: true, body: settingsBody } }, settingsPost(async (viewer, body, req, reply) => {
      try {
        const { token, secret } = await createApiToken(auth.deps, viewer.member.id, body.name);
        // Shown once, on this response (not after a redirect: the secret is never stored).
        return sendPrivateView(req, reply, 201, settingsPage(await settingsData(viewer, { newToken: { name: token.name, secret } })));
      } catch (err) {
        if (!(err instanceof AccountError)) throw err;
        return sendPrivateView(req, reply, 400, settingsPage(await settingsData(viewer, { errors: { tokenName: err.message } })));
      }
    }));

    r.post(
      '/settings/tokens/:id/revoke',
      { schema: { hide: true, params: { type: 'object', properties: { id: { type: 'integer', minimum: 1, maximum: 9e15 } }, required: ['id'] }, body: settingsBody } },
      settingsPost(async (viewer, _body, req, reply) => {
        const id = (req.params as { id: number }).id;
        const revoked = await revokeToken(auth.deps, viewer.member.id, id);
        if (!revoked) return sendPrivateView(req, reply, 404, errorPage(404, 'You have no such token (it may have been revoked already).'));
        return reply.redirect('/settings?saved=token-revoked', 303);
      }),
    );

    r.post('/settings/feed-token', { schema: { hide: true, body: settingsBody } }, settingsPost(async (viewer, _body, _req, reply) => {
      await feedTokenOf(auth.deps, viewer.member.id, true);
      return reply.redirect('/settings?saved=feed', 303);
    }));

    r.post('/settings/signout-everywhere', { schema: { hide: true, body: settingsBody } }, settingsPost(async (viewer, _body, _req, reply) => {
      await endAllSessions(auth.deps, viewer.member.id);
      auth.clearSessionCookie(reply);
      return reply.redirect('/signin?next=%2Fsettings', 303);
    }));

    // -- Profiles -----------------------------------------------------------------------------------
    r.get(
      '/users/:username',
      { schema: { hide: true, params: { type: 'object', properties: { username: { type: 'string', maxLength: 100 } }, required: ['username'] } } },
      async (req: FastifyRequest<{ Params: { username: string } }>, reply) => {
        const member = /^[A-Za-z0-9_-]{2,40}$/.test(req.params.username) ? await memberByUsername(auth.deps, req.params.username) : null;
        if (!member) return sendPrivateView(req, reply, 404, errorPage(404, `There is no member called “${req.params.username.slice(0, 60)}”.`));
        if (member.username !== req.params.username) return reply.redirect(`/users/${member.username}`, 301);
        const isSelf = req.viewer?.member.id === member.id;
        const now = ctx.clock();
        const [submissions, comments, upvoteIds, upvoteCount] = await Promise.all([
          submittedPaperIds(ctx.db, member.id, 50),
          recentComments(ctx.db, member.id, 30),
          member.upvotesPublic || isSelf ? upvotedPaperIds(ctx.db, member.id, 50) : Promise.resolve(null),
          countUpvotes(ctx.db, member.id),
        ]);
        const submittedPapers = await summariesByIds(ctx.db, submissions.map((s) => s.paperId));
        const upvoted = upvoteIds ? await summariesByIds(ctx.db, upvoteIds) : null;
        // The upvote buttons on the cards, in the viewer's state (vote.routes.ts).
        const votes = {
          next: `/users/${member.username}`,
          csrf: req.viewer?.via === 'session' ? req.viewer.csrf : null,
          voted: req.viewer ? await votedAmong(ctx.db, req.viewer.member.id, [...submittedPapers, ...(upvoted ?? [])].map((p) => p.id)) : new Set<string>(),
        };
        return sendPrivateView(req, reply, 200, profilePage({
          member,
          isSelf,
          upvoteCount,
          submitted: submittedPapers.length ? paperList(submittedPapers, now, 2, undefined, votes) : html`<p class="muted">No submissions yet.</p>`,
          upvoted: upvoted ? (upvoted.length ? paperList(upvoted, now, 2, undefined, votes) : html`<p class="muted">No upvotes yet.</p>`) : null,
          // Stored already sanitised by the comments service.
          comments: comments.map((c) => ({ ...c, bodyHtml: raw(c.bodyHtml) })),
        }), { noindex: false });
      },
    );
  });
}
