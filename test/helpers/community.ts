// A site with accounts for HTTP tests: an app on a given database with the embedded mail transport
// (.eml files in a temporary outbox), and members signed in the way people do it: the sign-in form, the
// link from the email, the account form. Returns cookies and CSRF tokens to make further requests with.
import { mkdtempSync, readdirSync, readFileSync, statSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { FastifyInstance, LightMyRequestResponse } from 'fastify';
import { simpleParser, type ParsedMail } from 'mailparser';
import { loadConfig } from '../../src/config.ts';
import { createContext, type Context } from '../../src/context.ts';
import type { Db } from '../../src/db/client.ts';
import { buildApp, type AppOptions } from '../../src/http/app.ts';

export const PUBLIC_URL = 'http://pp.test';

export interface Site {
  app: FastifyInstance;
  ctx: Context;
  dataDir: string;
  /** Moves the site's clock (ms). */
  advance(ms: number): void;
  now(): Date;
  close(): Promise<void>;
}

export async function createSite(db: Db, opts: { start?: Date; env?: Record<string, string>; app?: AppOptions } = {}): Promise<Site> {
  const dataDir = mkdtempSync(path.join(os.tmpdir(), 'paperpulse-site-'));
  const config = loadConfig({
    env: { SECRET_KEY: 's'.repeat(40), PAPERPULSE_DATA_DIR: dataDir, PUBLIC_URL, PAPERPULSE_HARVEST: 'false', MAIL_FROM: 'pp <site@pp.test>', ...opts.env },
    ensureDataDir: false,
  });
  let nowMs = (opts.start ?? new Date('2025-07-03T12:00:00Z')).getTime();
  const ctx = await createContext(config, { db, clock: () => new Date(nowMs) });
  const app = await buildApp(ctx, {
    ...opts.app,
    accounts: { ipLimit: { limit: 1000, windowMs: 60_000 }, linkLimits: { max: 1000, windowMs: 3600_000, minIntervalMs: 0 }, ...opts.app?.accounts },
  });
  return {
    app,
    ctx,
    dataDir,
    advance: (ms) => {
      nowMs += ms;
    },
    now: () => new Date(nowMs),
    close: async () => {
      await app.close();
    },
  };
}

export const form = (fields: Record<string, string | string[]>): string => {
  const p = new URLSearchParams();
  for (const [k, v] of Object.entries(fields)) for (const x of [v].flat()) p.append(k, x);
  return p.toString();
};

/** The name=value part of each Set-Cookie of a response. */
export function setCookies(res: LightMyRequestResponse): string[] {
  const h = res.headers['set-cookie'];
  return (Array.isArray(h) ? h : h ? [h] : []).map((c) => String(c).split(';')[0]);
}

/** Merges a response's Set-Cookie into a Cookie header value (later values win, Max-Age=0 removes). */
export function mergeCookies(jar: string, res: LightMyRequestResponse): string {
  const map = new Map(jar.split(';').map((p) => p.trim()).filter(Boolean).map((p) => [p.slice(0, p.indexOf('=')), p] as const));
  const h = res.headers['set-cookie'];
  for (const raw of Array.isArray(h) ? h : h ? [h] : []) {
    const pair = String(raw).split(';')[0];
    const name = pair.slice(0, pair.indexOf('='));
    if (/max-age=0/i.test(String(raw))) map.delete(name);
    else map.set(name, pair);
  }
  return [...map.values()].join('; ');
}

export const csrfIn = (body: string): string => /name="_csrf" value="([^"]+)"/.exec(body)?.[1] ?? '';

/** Messages written to the site's outbox for an address, parsed, oldest first. */
export async function mailTo(site: Site, address: string): Promise<ParsedMail[]> {
  const dir = path.join(site.dataDir, 'outbox');
  let files: string[] = [];
  try {
    files = readdirSync(dir).filter((f) => f.endsWith('.eml'));
  } catch {
    return [];
  }
  // Oldest first by the time the file was written (the site's clock may stand still in tests).
  const written = files
    .map((f) => ({ f, t: statSync(path.join(dir, f), { bigint: true }).mtimeNs }))
    .sort((a, b) => (a.t < b.t ? -1 : a.t > b.t ? 1 : 0));
  const parsed = await Promise.all(written.map(({ f }) => simpleParser(readFileSync(path.join(dir, f)))));
  return parsed.filter((m) => (m.to as { text: string } | undefined)?.text === address);
}

/** The sign-in link in the newest message to the address. */
export async function latestSignInLink(site: Site, address: string): Promise<string> {
  const mails = await mailTo(site, address);
  const text = mails.at(-1)?.text ?? '';
  const m = new RegExp(`${PUBLIC_URL.replace(/[.]/g, '\\.')}(/signin/[A-Za-z0-9_-]+)`).exec(text);
  if (!m) throw new Error(`no sign-in link in the mail to ${address}`);
  return m[1];
}

export interface Browser {
  cookie: string;
  request(method: 'GET' | 'POST' | 'DELETE', url: string, fields?: Record<string, string | string[]>, headers?: Record<string, string>): Promise<LightMyRequestResponse>;
}

/** A cookie jar over app.inject: each response's cookies are kept for the next request. */
export function browser(app: FastifyInstance): Browser {
  const b: Browser = {
    cookie: '',
    async request(method, url, fields, headers = {}) {
      const res = await app.inject({
        method,
        url,
        headers: {
          ...(b.cookie ? { cookie: b.cookie } : {}),
          ...(fields ? { 'content-type': 'application/x-www-form-urlencoded' } : {}),
          ...headers,
        },
        payload: fields ? form(fields) : undefined,
      });
      b.cookie = mergeCookies(b.cookie, res);
      return res;
    },
  };
  return b;
}

export interface Member {
  browser: Browser;
  username: string;
  email: string;
  /** The session's CSRF token (from a page rendered for the member). */
  csrf: string;
}

/** Signs up through the pages: sign-in form, link from the outbox, account form. */
export async function signUp(site: Site, username: string, email = `${username}@example.org`, displayName = ''): Promise<Member> {
  const b = browser(site.app);
  const formPage = await b.request('GET', '/signin');
  const sent = await b.request('POST', '/signin', { email, _csrf: csrfIn(formPage.body) });
  if (sent.statusCode !== 200) throw new Error(`sign-in form answered ${sent.statusCode}`);
  const link = await latestSignInLink(site, email.toLowerCase());
  const confirm = await b.request('GET', link);
  const done = await b.request('POST', link, { username, display_name: displayName, _csrf: csrfIn(confirm.body) });
  if (done.statusCode !== 303) throw new Error(`account form answered ${done.statusCode}: ${done.body.slice(0, 300)}`);
  const settings = await b.request('GET', '/settings');
  return { browser: b, username, email, csrf: csrfIn(settings.body) };
}

/** Signs an existing account in through the pages (email link). */
export async function signIn(site: Site, email: string): Promise<Member> {
  const b = browser(site.app);
  const formPage = await b.request('GET', '/signin');
  await b.request('POST', '/signin', { email, _csrf: csrfIn(formPage.body) });
  const link = await latestSignInLink(site, email.toLowerCase());
  const confirm = await b.request('GET', link);
  const done = await b.request('POST', link, { _csrf: csrfIn(confirm.body) });
  if (done.statusCode !== 303) throw new Error(`sign-in answered ${done.statusCode}`);
  const settings = await b.request('GET', '/settings');
  const username = /data-username="([^"]+)"/.exec(settings.body)?.[1] ?? '';
  return { browser: b, username, email, csrf: csrfIn(settings.body) };
}
