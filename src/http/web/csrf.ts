// Cross-site request forgery protection for the site's forms: a signed double-submit token (OWASP's
// "signed double-submit cookie"). The browser holds a random nonce in an HttpOnly, SameSite=Lax cookie;
// each form carries a hidden token = issue time + HMAC(SECRET_KEY, nonce, binding, issue time). A forged
// cross-site POST has the cookie (maybe) but cannot know the nonce, so it cannot make a valid token; a
// token copied from another visitor does not match their nonce. The binding ties a token to one use
// (e.g. 'prefs:42'), or to a session id once accounts exist.
//
// Generic: it needs only the request's headers and a way to set a response header, so any route can
// use it. Requests that carry no token can still be accepted when the browser itself says they come
// from this site (sameOrigin): that serves forms on cached pages, which cannot hold a per-visitor token.
//
// Exception: the RFC 8058 one-click unsubscribe POST comes from a mail provider, with no cookie and no
// token; it is authorised by the signed token in its URL instead.
import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';

/** The hidden form field that carries the token. */
export const CSRF_FIELD = '_csrf';

export interface CsrfRequest {
  headers: Record<string, string | string[] | undefined>;
}
export interface CsrfReply {
  header(name: string, value: string): unknown;
}

export interface CsrfOptions {
  secret: string;
  /** The site's public URL: its scheme decides the Secure flag and __Host- prefix, its origin is trusted. */
  publicUrl: string;
  /** How long a token is accepted after it was issued (default 12 hours). */
  maxAgeMs?: number;
  clock?: () => Date;
}

const NONCE_RE = /^[A-Za-z0-9_-]{24}$/;
const CONTEXT = 'paperpulse csrf v1';

export class Csrf {
  readonly cookieName: string;
  private readonly secure: boolean;
  private readonly maxAgeMs: number;
  private readonly clock: () => Date;
  private readonly origin: string;

  constructor(private readonly opts: CsrfOptions) {
    const url = new URL(opts.publicUrl);
    this.secure = url.protocol === 'https:';
    // __Host- cookies must be Secure, for path / and without Domain: nothing else can set or shadow them.
    this.cookieName = this.secure ? '__Host-pp_csrf' : 'pp_csrf';
    this.maxAgeMs = opts.maxAgeMs ?? 12 * 3600_000;
    this.clock = opts.clock ?? (() => new Date());
    this.origin = url.origin;
  }

  private nonceOf(req: CsrfRequest): string | null {
    const cookie = headerValue(req.headers.cookie);
    if (!cookie) return null;
    for (const part of cookie.split(';')) {
      const eq = part.indexOf('=');
      if (eq > 0 && part.slice(0, eq).trim() === this.cookieName) {
        const v = part.slice(eq + 1).trim();
        return NONCE_RE.test(v) ? v : null;
      }
    }
    return null;
  }

  private mac(nonce: string, binding: string, issued: string): Buffer {
    return createHmac('sha256', this.opts.secret).update(`${CONTEXT}\0${nonce}\0${binding}\0${issued}`).digest().subarray(0, 18);
  }

  /** A token for a form; sets the nonce cookie when the request has none. */
  issue(req: CsrfRequest, reply: CsrfReply, binding = ''): string {
    let nonce = this.nonceOf(req);
    if (!nonce) {
      nonce = randomBytes(18).toString('base64url');
      reply.header(
        'Set-Cookie',
        `${this.cookieName}=${nonce}; Path=/; HttpOnly; SameSite=Lax${this.secure ? '; Secure' : ''}`,
      );
      // Later checks in this same response cycle (none today) would not see the new cookie: remember it.
      (req.headers as Record<string, string>).cookie = `${headerValue(req.headers.cookie) ?? ''}; ${this.cookieName}=${nonce}`;
    }
    const issued = Math.floor(this.clock().getTime() / 1000).toString(36);
    return `${issued}.${this.mac(nonce, binding, issued).toString('base64url')}`;
  }

  /** Whether the submitted token was issued to this browser, for this binding, recently enough. */
  verify(req: CsrfRequest, submitted: unknown, binding = ''): boolean {
    const nonce = this.nonceOf(req);
    if (!nonce || typeof submitted !== 'string' || submitted.length > 100) return false;
    const m = /^([0-9a-z]{1,10})\.([A-Za-z0-9_-]{24})$/.exec(submitted);
    if (!m) return false;
    const issuedMs = parseInt(m[1], 36) * 1000;
    const age = this.clock().getTime() - issuedMs;
    if (age < -60_000 || age > this.maxAgeMs) return false;
    const expected = this.mac(nonce, binding, m[1]);
    const got = Buffer.from(m[2], 'base64url');
    return got.length === expected.length && timingSafeEqual(got, expected);
  }

  /**
   * Whether the browser says the request comes from this site: Sec-Fetch-Site: same-origin, or an Origin
   * header equal to the public URL's origin or to the origin the request was addressed to. Browsers set
   * both on every form POST; a request without either is not trusted by this check.
   */
  sameOrigin(req: CsrfRequest): boolean {
    const site = headerValue(req.headers['sec-fetch-site']);
    if (site) return site === 'same-origin';
    const origin = headerValue(req.headers.origin);
    if (!origin || origin === 'null') return false;
    if (origin === this.origin) return true;
    const host = headerValue(req.headers.host);
    return !!host && (origin === `http://${host}` || origin === `https://${host}`);
  }
}

function headerValue(v: string | string[] | undefined): string | undefined {
  return Array.isArray(v) ? v[0] : v;
}
