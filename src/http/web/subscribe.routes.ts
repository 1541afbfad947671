// The email digest's pages:
//
//   GET  /subscribe                    the subscribe page (?email= pre-fills it)
//   POST /subscribe                    ask for digests: sends a confirmation (or a preferences link)
//   GET  /subscribe/confirm/:token     "confirm?" page (a GET never changes anything: link scanners open links)
//   POST /subscribe/confirm/:token     confirms
//   GET  /subscription/:token          preferences
//   POST /subscription/:token          save, pause, resume or unsubscribe (then redirects: POST/redirect/GET)
//   GET  /unsubscribe/:token           "unsubscribe?" page
//   POST /unsubscribe/:token           unsubscribes: RFC 8058 one-click (no cookie, no CSRF token; the
//                                      signed token in the URL is the authorisation), and the page's button
//
// Tokens in URLs are signed and expire (subscriptions/links.ts). Pages carrying them are never cached and
// send no Referer, so a token cannot leak to the sites the page links to; they cannot be framed either.
import formbody from '@fastify/formbody';
import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Context } from '../../context.ts';
import { createDigestSender } from '../../digest/digest.service.ts';
import { parseEmailAddress } from '../../mail/address.ts';
import { createMailer, type Mailer } from '../../mail/mailer.ts';
import { LINK_PATHS, subscriptionLink } from '../../subscriptions/links.ts';
import { RateLimiter, type RateLimitOptions } from '../../subscriptions/rate-limit.ts';
import { parsePreferences, type Subscription } from '../../subscriptions/subscription.ts';
import {
  ADDRESS_LIMITS,
  confirmFromLink,
  pauseSubscription,
  requestSubscription,
  resumeSubscription,
  subscribeVerified,
  subscriptionFromLink,
  unsubscribe,
  updatePreferences,
} from '../../subscriptions/subscriptions.service.ts';
import { headerViewer } from './account.routes.ts';
import { requireMember, type Auth } from './auth.ts';
import { Csrf, CSRF_FIELD } from './csrf.ts';
import { errorPage } from './views/errors.ts';
import { page, type Theme } from './views/layout.ts';
import {
  checkInboxPage,
  confirmedPage,
  confirmPage,
  formExpiredPage,
  formFromSubscription,
  linkProblemPage,
  preferencesPage,
  subscribePage,
  tooManyRequestsPage,
  unsubscribedPage,
  unsubscribePage,
  type PreferencesForm,
  type SubscribeView,
} from './views/subscribe.ts';

export interface SubscribeRouteOptions {
  /** The mailer for confirmation messages; default: the configured one (SMTP_URL or <data dir>/outbox). */
  mailer?: Mailer;
  /** Subscribe requests per client address (default 10 per 15 minutes). */
  ipLimit?: RateLimitOptions;
  /** Mail per address caused by the form (default ADDRESS_LIMITS). */
  addressLimits?: typeof ADDRESS_LIMITS;
}

const THEME_COOKIE_RE = /(?:^|;\s*)paperpulse-theme=(light|dark)(?:;|$)/;
const TOKEN = { type: 'string', maxLength: 200 } as const;
const tokenParams = { type: 'object', properties: { token: TOKEN }, required: ['token'] } as const;
const LINK_STATUS = { invalid: 400, expired: 410, gone: 410 } as const;

function themeOf(req: FastifyRequest): Theme | null {
  const cookie = req.headers.cookie;
  return cookie ? ((THEME_COOKIE_RE.exec(cookie)?.[1] as Theme | undefined) ?? null) : null;
}

function sendView(req: FastifyRequest, reply: FastifyReply, status: number, view: SubscribeView): FastifyReply {
  return reply
    .code(status)
    .header('Content-Type', 'text/html; charset=utf-8')
    .header('Cache-Control', 'no-store')
    .header('Referrer-Policy', 'no-referrer')
    .header('X-Frame-Options', 'DENY')
    .header('Content-Security-Policy', "frame-ancestors 'none'")
    .header('X-Content-Type-Options', 'nosniff')
    .header('X-Robots-Tag', 'noindex')
    .send(page({ title: view.title, body: view.body, theme: themeOf(req), noindex: true, viewer: headerViewer(req.viewer) }));
}

type Body = Record<string, unknown>;
const str = (v: unknown) => (typeof v === 'string' ? v : Array.isArray(v) ? String(v[0] ?? '') : '');

export async function registerSubscribeRoutes(app: FastifyInstance, ctx: Context, opts: SubscribeRouteOptions = {}, auth?: Auth): Promise<void> {
  const ownMailer = !opts.mailer;
  const mailer = opts.mailer ?? createMailer({ smtpUrl: ctx.config.smtpUrl, dataDir: ctx.config.dataDir, from: ctx.config.mailFrom });
  const deps = { db: ctx.db, config: ctx.config, clock: ctx.clock, log: ctx.log };
  const sender = createDigestSender(deps, mailer, { concurrency: 1 });
  const csrf = new Csrf({ secret: ctx.config.secretKey, publicUrl: ctx.config.publicUrl, clock: ctx.clock });
  const perIp = new RateLimiter(opts.ipLimit ?? { limit: 10, windowMs: 15 * 60_000 });
  const addressLimits = opts.addressLimits ?? ADDRESS_LIMITS;
  app.addHook('onClose', async () => {
    if (ownMailer) await mailer.close();
  });

  await app.register(async (r) => {
    // Forms post application/x-www-form-urlencoded. Mail providers' one-click POSTs may also come as
    // multipart/form-data (RFC 8058): bodies of other types are accepted here and ignored.
    await r.register(formbody, { bodyLimit: 64 * 1024 });
    r.addContentTypeParser('*', { parseAs: 'string', bodyLimit: 64 * 1024 }, (_req, _body, done) => done(null, {}));

    r.setErrorHandler((err: FastifyError, req, reply) => {
      const status = err.statusCode && err.statusCode >= 400 && err.statusCode < 500 ? err.statusCode : 500;
      if (status === 500) req.log.error({ err, url: req.url }, 'subscription page failed');
      const message =
        status === 413 ? 'That is too much text for this form.'
        : err.validation ? 'Some of what was sent is not valid (too long, or not what the form sends). Go back and check it.'
        : status === 500 ? 'The server could not handle this. The error is logged; please try again in a moment.'
        : err.message;
      return sendView(req, reply, status, errorPage(status, message));
    });

    // -- Subscribing ------------------------------------------------------------------------------
    r.get(
      '/subscribe',
      { schema: { hide: true, querystring: { type: 'object', properties: { email: { type: 'string', maxLength: 300 } } } } },
      async (req: FastifyRequest<{ Querystring: { email?: string } }>, reply) => {
        const member = req.viewer?.via === 'session' && req.viewer.member.email ? { email: req.viewer.member.email, csrf: req.viewer.csrf } : undefined;
        return sendView(req, reply, 200, subscribePage({ csrf: csrf.issue(req, reply, 'subscribe'), email: req.query.email, member }));
      },
    );

    // A signed-in member's address was proven by their sign-in link: one click, no confirmation email.
    r.post('/subscribe/member', { schema: { hide: true, body: { type: 'object', properties: { [CSRF_FIELD]: { type: 'string', maxLength: 200 } } } } }, async (req: FastifyRequest<{ Body: Body }>, reply) => {
      if (!auth) return reply.code(404).send();
      const viewer = requireMember(auth, req, reply, { next: '/subscribe' });
      if (!viewer) return reply;
      const email = viewer.member.email;
      if (!email) return sendView(req, reply, 400, errorPage(400, 'Your account has no email address to send the digest to.'));
      const sub = await subscribeVerified(deps, email);
      return reply.redirect(`${manageHref(sub)}?done=subscribed`, 303);
    });

    r.post(
      '/subscribe',
      {
        schema: {
          hide: true,
          body: { type: 'object', properties: { email: { type: 'string', maxLength: 5000 }, [CSRF_FIELD]: { type: 'string', maxLength: 200 } } },
        },
      },
      async (req: FastifyRequest<{ Body: Body }>, reply) => {
        const body = req.body ?? {};
        const typed = str(body.email).slice(0, 300);
        // The box on feed pages (cached, so without a per-visitor token) is accepted when the browser
        // says the form came from this site; anything else needs the token of the subscribe page.
        if (!csrf.verify(req, body[CSRF_FIELD], 'subscribe') && !csrf.sameOrigin(req)) {
          return sendView(req, reply, 403, subscribePage({
            csrf: csrf.issue(req, reply, 'subscribe'),
            email: typed.replace(/[\r\n]+/g, ' '),
            notice: 'Please press Subscribe once more to confirm.',
          }));
        }
        const ip = perIp.hit(req.ip, ctx.clock().getTime());
        if (!ip.allowed) return sendView(req, reply.header('Retry-After', String(ip.retryAfterSeconds)), 429, tooManyRequestsPage(ip.retryAfterSeconds));
        const parsed = parseEmailAddress(body.email);
        if (!parsed.ok) {
          return sendView(req, reply, 400, subscribePage({
            csrf: csrf.issue(req, reply, 'subscribe'),
            email: typed.replace(/[\r\n]+/g, ' '),
            error: parsed.error,
          }));
        }
        const outcome = await requestSubscription(deps, parsed.address, addressLimits);
        if (outcome.kind === 'rate-limited') {
          return sendView(req, reply.header('Retry-After', String(outcome.retryAfterSeconds)), 429, tooManyRequestsPage(outcome.retryAfterSeconds));
        }
        // Deliver now, so the message is there when the person looks; if the mail server is unavailable
        // the outbox keeps the message and the background sender retries it.
        try {
          await sender.sendOne(outcome.outboxId);
        } catch (err) {
          req.log.warn({ err: (err as Error).message }, 'confirmation message not sent yet; the outbox will retry');
        }
        return sendView(req, reply, 200, checkInboxPage(parsed.address));
      },
    );

    // -- Confirming -------------------------------------------------------------------------------
    r.get('/subscribe/confirm/:token', { schema: { hide: true, params: tokenParams } }, async (req: FastifyRequest<{ Params: { token: string } }>, reply) => {
      const found = await subscriptionFromLink(deps, req.params.token, 'confirm');
      if (!found.ok) return sendView(req, reply, LINK_STATUS[found.reason], linkProblemPage(found.reason));
      const sub = found.subscription;
      if (sub.status !== 'pending') return sendView(req, reply, 200, confirmedPage({ email: sub.email, manageHref: manageHref(sub), already: true }));
      return sendView(req, reply, 200, confirmPage({
        email: sub.email,
        csrf: csrf.issue(req, reply, `confirm:${sub.id}`),
        action: `${LINK_PATHS.confirm}${req.params.token}`,
      }));
    });

    r.post(
      '/subscribe/confirm/:token',
      { schema: { hide: true, params: tokenParams } },
      async (req: FastifyRequest<{ Params: { token: string }; Body: Body }>, reply) => {
        const found = await subscriptionFromLink(deps, req.params.token, 'confirm');
        if (!found.ok) return sendView(req, reply, LINK_STATUS[found.reason], linkProblemPage(found.reason));
        if (!csrf.verify(req, (req.body ?? {})[CSRF_FIELD], `confirm:${found.subscription.id}`)) {
          return sendView(req, reply, 403, formExpiredPage());
        }
        const already = found.subscription.status !== 'pending';
        const confirmed = await confirmFromLink(deps, req.params.token);
        if (!confirmed.ok) return sendView(req, reply, LINK_STATUS[confirmed.reason], linkProblemPage(confirmed.reason));
        const sub = confirmed.subscription;
        return sendView(req, reply, 200, confirmedPage({ email: sub.email, manageHref: manageHref(sub), already }));
      },
    );

    // -- Preferences ------------------------------------------------------------------------------
    const prefsPage = (req: FastifyRequest, reply: FastifyReply, sub: Subscription, token: string, status = 200, form?: PreferencesForm, errors?: Parameters<typeof preferencesPage>[0]['errors'], notice?: string) =>
      sendView(req, reply, status, preferencesPage({
        sub,
        action: `${LINK_PATHS.manage}${token}`,
        csrf: csrf.issue(req, reply, `prefs:${sub.id}`),
        offered: offeredCategories(ctx.config.categories, sub),
        form: form ?? formFromSubscription(sub, offeredCategories(ctx.config.categories, sub)),
        errors,
        notice,
      }));

    r.get(
      '/subscription/:token',
      { schema: { hide: true, params: tokenParams, querystring: { type: 'object', properties: { done: { type: 'string', maxLength: 20 } } } } },
      async (req: FastifyRequest<{ Params: { token: string }; Querystring: { done?: string } }>, reply) => {
        const found = await subscriptionFromLink(deps, req.params.token, 'manage');
        if (!found.ok) return sendView(req, reply, LINK_STATUS[found.reason], linkProblemPage(found.reason));
        return prefsPage(req, reply, found.subscription, req.params.token, 200, undefined, undefined, req.query.done);
      },
    );

    r.post(
      '/subscription/:token',
      {
        schema: {
          hide: true,
          params: tokenParams,
          body: {
            type: 'object',
            properties: {
              action: { type: 'string', enum: ['save', 'pause', 'resume', 'unsubscribe'] },
              frequency: { type: 'string', maxLength: 20 },
              count: { type: 'string', maxLength: 20 },
              categories: { type: 'array', maxItems: 200, items: { type: 'string', maxLength: 100 } },
              other_categories: { type: 'string', maxLength: 2000 },
              keywords: { type: 'string', maxLength: 20_000 },
              [CSRF_FIELD]: { type: 'string', maxLength: 200 },
            },
          },
        },
      },
      async (req: FastifyRequest<{ Params: { token: string }; Body: Body }>, reply) => {
        const token = req.params.token;
        const found = await subscriptionFromLink(deps, token, 'manage');
        if (!found.ok) return sendView(req, reply, LINK_STATUS[found.reason], linkProblemPage(found.reason));
        const sub = found.subscription;
        const body = req.body ?? {};
        if (!csrf.verify(req, body[CSRF_FIELD], `prefs:${sub.id}`)) return sendView(req, reply, 403, formExpiredPage());
        const done = (what: string) => reply.redirect(`${LINK_PATHS.manage}${token}?done=${what}`, 303);
        switch (str(body.action) || 'save') {
          case 'pause':
            await pauseSubscription(deps, sub.id);
            return done('paused');
          case 'resume':
            await resumeSubscription(deps, sub.id);
            return done('resumed');
          case 'unsubscribe':
            await unsubscribe(deps, sub.id);
            return done('unsubscribed');
          default: {
            if (sub.status !== 'confirmed' && sub.status !== 'paused') return prefsPage(req, reply, sub, token, 409);
            const categories = Array.isArray(body.categories) ? body.categories.map(String) : [];
            const other = str(body.other_categories).split(/[\s,;]+/).filter(Boolean);
            const form: PreferencesForm = {
              frequency: str(body.frequency),
              count: str(body.count),
              categories,
              otherCategories: str(body.other_categories),
              keywords: str(body.keywords),
            };
            const parsed = parsePreferences({ frequency: form.frequency, count: form.count, categories: [...categories, ...other], keywords: form.keywords });
            if (!parsed.ok) return prefsPage(req, reply, sub, token, 400, form, parsed.errors);
            await updatePreferences(deps, sub.id, parsed.value);
            return done('saved');
          }
        }
      },
    );

    // -- Unsubscribing ----------------------------------------------------------------------------
    r.get('/unsubscribe/:token', { schema: { hide: true, params: tokenParams } }, async (req: FastifyRequest<{ Params: { token: string } }>, reply) => {
      const found = await subscriptionFromLink(deps, req.params.token, 'unsubscribe');
      if (!found.ok) return sendView(req, reply, LINK_STATUS[found.reason], linkProblemPage(found.reason));
      const sub = found.subscription;
      if (sub.status === 'unsubscribed') return sendView(req, reply, 200, unsubscribedPage({ email: sub.email }));
      return sendView(req, reply, 200, unsubscribePage({ email: sub.email, action: `${LINK_PATHS.unsubscribe}${req.params.token}` }));
    });

    // RFC 8058: the mail provider POSTs "List-Unsubscribe=One-Click" to the List-Unsubscribe URL, without
    // cookies. The signed, unexpired token in the URL is what authorises it; the body is not needed.
    r.post('/unsubscribe/:token', { schema: { hide: true, params: tokenParams } }, async (req: FastifyRequest<{ Params: { token: string } }>, reply) => {
      const found = await subscriptionFromLink(deps, req.params.token, 'unsubscribe');
      if (!found.ok) return sendView(req, reply, LINK_STATUS[found.reason], linkProblemPage(found.reason));
      await unsubscribe(deps, found.subscription.id);
      return sendView(req, reply, 200, unsubscribedPage({ email: found.subscription.email }));
    });
  });

  function manageHref(sub: Subscription): string {
    return subscriptionLink(ctx.config, sub, 'manage', ctx.clock()).slice(ctx.config.publicUrl.length);
  }
}

/** Checkboxes: the categories this paperpulse harvests (others go in the form's free-text field). */
function offeredCategories(harvested: readonly string[], _sub: Subscription): string[] {
  return [...new Set(harvested)].sort();
}
