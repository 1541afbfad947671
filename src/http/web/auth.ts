// Who is asking: the session cookie (pages) or an `Authorization: Bearer` API token (/api only), resolved
// once per request into req.viewer. Also the session cookie itself, the per-session CSRF token, and the
// guard every state-changing route calls before it changes anything.
//
// CSRF for signed-in members: a synchronizer token derived from the session (HMAC of the session id
// with SECRET_KEY), sent in the form field `_csrf` or the `X-CSRF-Token` header. A cross-site page
// cannot read it (the cookie is HttpOnly and the token lives only in our pages), and it changes with
// every session. Forms for people who are not signed in (sign-in, sign-up) use the cookie-nonce tokens
// of csrf.ts. API tokens are not cookies, so requests authorised by one need no CSRF token.
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Context } from '../../context.ts';
import { memberByApiToken, sessionMember, SESSION_TTL_DAYS, type AccountDeps, type Member } from '../../accounts/accounts.service.ts';
import { keyedDigest, sameString } from '../../accounts/secrets.ts';
import { CSRF_FIELD } from './csrf.ts';

export interface Viewer {
  member: Member;
  via: 'session' | 'token';
  /** Hash of the session cookie (via 'session'). */
  sessionId: string | null;
  /** The CSRF token for this session's forms and fetches ('' for API tokens). */
  csrf: string;
}

declare module 'fastify' {
  interface FastifyRequest {
    viewer: Viewer | null;
  }
}

export const CSRF_HEADER = 'x-csrf-token';

export function sessionCookieName(publicUrl: string): string {
  return new URL(publicUrl).protocol === 'https:' ? '__Host-pp_session' : 'pp_session';
}

export function readCookie(header: string | string[] | undefined, name: string): string | null {
  const cookie = Array.isArray(header) ? header.join('; ') : header;
  if (!cookie) return null;
  for (const part of cookie.split(';')) {
    const eq = part.indexOf('=');
    if (eq > 0 && part.slice(0, eq).trim() === name) return part.slice(eq + 1).trim();
  }
  return null;
}

export class Auth {
  readonly cookieName: string;
  private readonly secure: boolean;
  readonly deps: AccountDeps;

  constructor(readonly ctx: Context) {
    this.cookieName = sessionCookieName(ctx.config.publicUrl);
    this.secure = new URL(ctx.config.publicUrl).protocol === 'https:';
    this.deps = { db: ctx.db, config: ctx.config, clock: ctx.clock };
  }

  csrfFor(sessionId: string): string {
    return keyedDigest(this.ctx.config.secretKey, ['paperpulse session csrf v1', sessionId]);
  }

  /** The raw session cookie value, if any. */
  sessionToken(req: FastifyRequest): string | null {
    return readCookie(req.headers.cookie, this.cookieName);
  }

  setSessionCookie(reply: FastifyReply, token: string): void {
    reply.header(
      'Set-Cookie',
      `${this.cookieName}=${token}; Path=/; Max-Age=${SESSION_TTL_DAYS * 86400}; HttpOnly; SameSite=Lax${this.secure ? '; Secure' : ''}`,
    );
  }

  clearSessionCookie(reply: FastifyReply): void {
    reply.header('Set-Cookie', `${this.cookieName}=; Path=/; Max-Age=0; HttpOnly; SameSite=Lax${this.secure ? '; Secure' : ''}`);
  }

  /** Whether the request carries this session's CSRF token (form field or header). */
  csrfOk(req: FastifyRequest): boolean {
    const viewer = req.viewer;
    if (!viewer) return false;
    if (viewer.via === 'token') return true;
    const body = req.body && typeof req.body === 'object' ? (req.body as Record<string, unknown>) : {};
    const given = typeof body[CSRF_FIELD] === 'string' ? (body[CSRF_FIELD] as string) : req.headers[CSRF_HEADER];
    return typeof given === 'string' && given.length < 100 && sameString(given, viewer.csrf);
  }
}

/** Resolves req.viewer for every request. Register before the routes. */
export function registerAuth(app: FastifyInstance, auth: Auth): void {
  app.decorateRequest('viewer', null);
  app.addHook('onRequest', async (req, reply) => {
    req.viewer = null;
    const url = req.url;
    if (url.startsWith('/assets/') || url === '/healthz' || url === '/favicon.svg') return;
    const authorization = req.headers.authorization;
    if (authorization && url.startsWith('/api/')) {
      const m = /^Bearer\s+(\S+)$/i.exec(authorization);
      const member = m ? await memberByApiToken(auth.deps, m[1]) : null;
      if (!member) {
        return reply
          .code(401)
          .header('WWW-Authenticate', 'Bearer error="invalid_token"')
          .send({ error: { code: 'INVALID_TOKEN', message: 'The API token is not valid: it is malformed, revoked, or its account is disabled. Create one at /settings.' } });
      }
      req.viewer = { member, via: 'token', sessionId: null, csrf: '' };
      return;
    }
    const token = auth.sessionToken(req);
    if (!token) return;
    const session = await sessionMember(auth.deps, token);
    if (session) req.viewer = { member: session.member, via: 'session', sessionId: session.sessionId, csrf: auth.csrfFor(session.sessionId) };
  });
}

/** Whether the client asked for JSON (a fetch from the client script, an API call). */
export function wantsJson(req: FastifyRequest): boolean {
  const accept = req.headers.accept ?? '';
  return req.url.startsWith('/api/') || (accept.includes('application/json') && !accept.includes('text/html'));
}

export type GuardFailure = 'signin' | 'csrf' | 'forbidden';

/**
 * The check every state-changing route makes first: a signed-in viewer whose request carries the CSRF
 * token (session) or comes with an API token. Sends the refusal itself and returns null when it fails:
 * people not signed in are sent to sign in (303 to /signin?next=...) or get 401 JSON; a missing or wrong
 * CSRF token gets 403.
 */
export function requireMember(
  auth: Auth,
  req: FastifyRequest,
  reply: FastifyReply,
  opts: { next?: string; refuse?: (status: 401 | 403, failure: GuardFailure) => unknown } = {},
): Viewer | null {
  const viewer = req.viewer;
  if (!viewer) {
    if (wantsJson(req)) {
      void reply.code(401).send({ error: { code: 'SIGN_IN_REQUIRED', message: 'Sign in first (or send an API token as Authorization: Bearer).' } });
    } else if (opts.refuse) {
      void opts.refuse(401, 'signin');
    } else {
      void reply.redirect(`/signin?next=${encodeURIComponent(opts.next ?? '/')}`, 303);
    }
    return null;
  }
  if (!auth.csrfOk(req)) {
    if (wantsJson(req)) {
      void reply.code(403).send({ error: { code: 'CSRF_FAILED', message: 'The form token is missing or out of date: reload the page and try again.' } });
    } else if (opts.refuse) {
      void opts.refuse(403, 'csrf');
    } else {
      void reply.code(403).type('text/plain; charset=utf-8').send('The form token is missing or out of date: go back, reload the page and try again.');
    }
    return null;
  }
  return viewer;
}
