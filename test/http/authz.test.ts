// The authorization walk: every state-changing route the app registers is tried by someone who must be
// refused (not signed in; signed in without the form token; signed in as someone else, on another
// member's things; a plain member on moderators' routes), and the database must be exactly as it was
// afterwards. A new mutating route fails this test until it is either guarded or listed as public with
// the reason (its own signed token, or a form for people who are not signed in).
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import type { LightMyRequestResponse } from 'fastify';
import { createApiToken } from '../../src/accounts/accounts.service.ts';
import type { Db } from '../../src/db/client.ts';
import { routesOf } from '../../src/http/app.ts';
import { writePapers } from '../../src/papers/papers.repository.ts';
import { forEachDatabase } from '../helpers/db.ts';
import { createSite, signUp, type Member, type Site } from '../helpers/community.ts';
import { record } from '../helpers/records.ts';

/** Mutating routes anyone may call, and why that is safe. */
const PUBLIC: Record<string, string> = {
  'POST /signin': 'sign-in form: cookie-nonce CSRF token, sends a link or checks a password',
  'POST /signup': 'same as /signin',
  'POST /signin/:token': 'the one-time link is the authorisation (plus a cookie-nonce CSRF token)',
  'POST /signout': 'signing out nobody changes nothing; with a session it needs the form token',
  'POST /subscribe': 'digest subscription form: double opt-in by email',
  'POST /subscribe/confirm/:token': 'signed link',
  'POST /subscription/:token': 'signed link (preferences)',
  'POST /unsubscribe/:token': 'signed link (RFC 8058 one-click, no cookies by design)',
};

const PAPER = '2507.00001';
const FIELDS: Record<string, string> = {
  body: 'A comment that must not be stored',
  parent_id: '1',
  note: 'a note',
  arxiv: PAPER,
  id: PAPER,
  display_name: 'Changed',
  bio: 'changed',
  password: 'a new password 123',
  name: 'a token',
  reason: 'because',
  email: 'someone@example.org',
  username: 'changed',
};

async function snapshot(db: Db): Promise<Record<string, string>> {
  const tables: Record<string, string> = {
    users: 'SELECT * FROM users',
    votes: 'SELECT * FROM votes',
    comments: 'SELECT * FROM comments',
    submissions: 'SELECT * FROM submissions',
    api_tokens: 'SELECT * FROM api_tokens',
    subscriptions: 'SELECT * FROM subscriptions',
    papers: 'SELECT id, upvotes, num_comments, trending_score FROM papers',
  };
  const out: Record<string, string> = {};
  for (const [name, sql] of Object.entries(tables)) {
    const rows = await db.query<{ h: string }>(`SELECT md5(coalesce(string_agg(x::text, '|' ORDER BY x::text), '')) AS h FROM (${sql}) x`);
    out[name] = rows[0].h;
  }
  return out;
}

forEachDatabase('authorization on every mutating route', (fx) => {
  let site: Site;
  let alice: Member;
  let bob: Member;
  const ids = { comment: 0, submission: 0, token: 0 };

  before(async () => {
    await fx.db.transaction((tx) => writePapers(tx, [record({ id: PAPER }), record({ id: '2507.00002' })]));
    site = await createSite(fx.db);
    alice = await signUp(site, 'alice');
    bob = await signUp(site, 'bob');
    const aliceId = (await fx.db.query<{ id: number }>(`SELECT id FROM users WHERE username = 'alice'`))[0].id;
    ids.comment = (await fx.db.query<{ id: number }>(
      `INSERT INTO comments (paper_id, user_id, body, body_html) VALUES ($1, $2, 'hello', '<p>hello</p>') RETURNING id`,
      [PAPER, aliceId],
    ))[0].id;
    ids.submission = (await fx.db.query<{ id: number }>(
      `INSERT INTO submissions (paper_id, list_date, user_id, note) VALUES ($1, '2025-07-03', $2, 'mine') RETURNING id`,
      [PAPER, aliceId],
    ))[0].id;
    ids.token = (await createApiToken({ db: fx.db, config: site.ctx.config, clock: site.now }, aliceId, 'alice script')).token.id;
    await fx.db.query(`INSERT INTO votes (user_id, paper_id) VALUES ($1, $2)`, [aliceId, PAPER]);
    await fx.db.query(`UPDATE papers SET upvotes = 1 WHERE id = $1`, [PAPER]);
  });
  after(async () => {
    await site?.close();
  });

  /** The concrete URL for a route pattern, pointing at alice's things. */
  function fill(url: string): string | null {
    return url
      .replace(/^\/comments\/:id/, `/comments/${ids.comment}`)
      .replace(/^\/submissions\/:id/, `/submissions/${ids.submission}`)
      .replace(/^\/settings\/tokens\/:id/, `/settings/tokens/${ids.token}`)
      .replace(/\/:archive\/:num(ber)?/, `/hep-th/9901001`)
      .replace(/:id/, PAPER)
      .replace(/:username/, 'alice');
  }

  const mutating = () =>
    routesOf(site.app)
      .filter((r) => !['GET', 'HEAD', 'OPTIONS'].includes(r.method))
      .filter((r) => !PUBLIC[`${r.method} ${r.url}`]);

  async function send(method: string, url: string, who: Member | null, withToken: boolean): Promise<LightMyRequestResponse> {
    const api = url.startsWith('/api/');
    const headers: Record<string, string> = {};
    if (who) headers.cookie = who.browser.cookie;
    if (who && withToken && api) headers['x-csrf-token'] = who.csrf;
    const fields = { ...FIELDS, ...(who && withToken && !api ? { _csrf: who.csrf } : {}) };
    if (api) {
      headers['content-type'] = 'application/json';
      headers.accept = 'application/json';
      return site.app.inject({ method: method as 'POST', url, headers, payload: JSON.stringify(fields) });
    }
    headers['content-type'] = 'application/x-www-form-urlencoded';
    return site.app.inject({ method: method as 'POST', url, headers, payload: new URLSearchParams(fields).toString() });
  }

  const refused = (res: LightMyRequestResponse) =>
    [401, 403, 404].includes(res.statusCode) || (res.statusCode === 303 && String(res.headers.location).startsWith('/signin'));

  test('the walk covers the community routes', () => {
    const seen = mutating().map((r) => `${r.method} ${r.url}`);
    for (const expected of [
      'POST /settings/profile',
      'POST /settings/tokens/:id/revoke',
      'POST /subscribe/member',
      'POST /submit',
      'POST /submissions/:id/remove',
      'POST /papers/:id/comments',
      'POST /comments/:id/edit',
      'POST /comments/:id/delete',
      'POST /comments/:id/hide',
      'POST /papers/:id/upvote',
      'POST /papers/:id/unvote',
      'POST /api/v1/papers/:id/upvote',
      'DELETE /api/v1/papers/:id/upvote',
    ]) {
      assert.ok(seen.includes(expected), `${expected} is walked (routes: ${seen.join(', ')})`);
    }
  });

  test('nobody who is not signed in changes anything', async () => {
    const before = await snapshot(fx.db);
    for (const r of mutating()) {
      const url = fill(r.url)!;
      const res = await send(r.method, url, null, false);
      assert.ok(refused(res), `${r.method} ${url} anonymous: ${res.statusCode} ${res.body.slice(0, 200)}`);
      assert.deepEqual(await snapshot(fx.db), before, `${r.method} ${url} anonymous changed the database`);
    }
  });

  test('a signed-in member without the form token changes nothing', async () => {
    const before = await snapshot(fx.db);
    for (const r of mutating()) {
      const url = fill(r.url)!;
      const res = await send(r.method, url, alice, false);
      assert.equal(res.statusCode, 403, `${r.method} ${url} without CSRF token: ${res.statusCode} ${res.body.slice(0, 200)}`);
      assert.deepEqual(await snapshot(fx.db), before, `${r.method} ${url} without CSRF token changed the database`);
    }
  });

  test("another member cannot touch alice's things, and members cannot moderate", async () => {
    const before = await snapshot(fx.db);
    const foreign = mutating().filter((r) => /^\/(comments|submissions|settings\/tokens)\/:id/.test(r.url));
    assert.ok(foreign.length >= 1, 'routes on owned things exist');
    for (const r of foreign) {
      const url = fill(r.url)!;
      const res = await send(r.method, url, bob, true);
      assert.ok([403, 404].includes(res.statusCode), `${r.method} ${url} as bob: ${res.statusCode} ${res.body.slice(0, 200)}`);
      assert.deepEqual(await snapshot(fx.db), before, `${r.method} ${url} as bob changed the database`);
    }
  });
});
