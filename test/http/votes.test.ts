// Upvotes over HTTP, as members and scripts use them, on PGlite and on the PostgreSQL server: the button's
// form (no JavaScript) and its fetch (JSON), anonymous visitors sent to sign in, CSRF, per-member votes,
// old-style and unknown ids, rate limits; the API (/api/v1/me, /me/upvotes, POST/DELETE .../upvote) with
// tokens and cookies, its CORS, OpenAPI and curl examples; the private upvotes feeds read by a real feed
// parser. The 200-voters-at-once test is in votes-concurrency.test.ts.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { Validator } from '@seriousme/openapi-schema-validator';
import type { LightMyRequestResponse } from 'fastify';
import Parser from 'rss-parser';
import { XMLValidator } from 'fast-xml-parser';
import { getPaperCounts } from '../../src/feed/votes.repository.ts';
import { writePapers } from '../../src/papers/papers.repository.ts';
import { forEachDatabase } from '../helpers/db.ts';
import { createSite, PUBLIC_URL, signUp, type Member, type Site } from '../helpers/community.ts';
import { record } from '../helpers/records.ts';
import { projectRoot } from '../helpers/shared.ts';

const DAY = '2025-07-02';
const A = '2507.00201';
const B = '2507.00202';
const C = '2507.00203';
const OLD = 'hep-th/9901001';

function seed() {
  const v1 = (h: number) => [{ version: 1, date: `2025-07-01T${String(h).padStart(2, '0')}:00:00Z` }];
  return [
    record({ id: A, title: 'Alpha Attention', firstListed: DAY, versions: v1(10) }),
    record({ id: B, title: 'Beta <b>Bold</b> & Co', firstListed: DAY, versions: v1(11) }),
    record({ id: C, title: 'Gamma Gradients', firstListed: DAY, versions: v1(12) }),
    // The paper of the curl examples in docs/api.md.
    record({ id: '2407.21783', title: 'The Llama 3 Herd of Models', firstListed: '2024-08-01', versions: [{ version: 1, date: '2024-07-31T17:54:27Z' }] }),
    record({ id: OLD, title: 'Strings Old and New', categories: ['hep-th'], firstListed: '1999-01-04', versions: [{ version: 1, date: '1999-01-03T12:00:00Z' }] }),
  ];
}

type Json = Record<string, any>;
const json = (res: LightMyRequestResponse) => res.json() as Json;
const JSON_ACCEPT = { accept: 'application/json' };

/** The upvote button of a paper in a page, or null. */
function button(body: string, id: string): { form: string; pressed: boolean; action: string; count: number } | null {
  const forms = [...body.matchAll(/<form class="vote-form"[\s\S]*?<\/form>/g)].map((m) => m[0]);
  const form = forms.find((f) => f.includes(`data-paper-id="${id}"`));
  if (!form) return null;
  return {
    form,
    pressed: /aria-pressed="true"/.test(form),
    action: /action="([^"]+)"/.exec(form)![1],
    count: Number(/<span class="upvote-count">(\d+)<\/span>/.exec(form)![1]),
  };
}

async function newToken(site: Site, m: Member, name = 'script'): Promise<string> {
  const res = await m.browser.request('POST', '/settings/tokens', { name, _csrf: m.csrf });
  const secret = /<code class="token-secret">(pp_[A-Za-z0-9_-]{43})<\/code>/.exec(res.body)?.[1];
  assert.ok(secret, `a token was created (${res.statusCode})`);
  return secret!;
}

forEachDatabase('upvotes over HTTP', (fx) => {
  let site: Site;
  const upvotesOf = async (id: string) => (await getPaperCounts(fx.db, id))!.upvotes;

  before(async () => {
    await fx.db.transaction((tx) => writePapers(tx, seed()));
    site = await createSite(fx.db);
  });
  after(async () => {
    await site?.close();
  });

  test('anonymous visitors see the same buttons, and pressing one sends them to sign in', async () => {
    const page = await site.app.inject({ method: 'GET', url: `/papers/date/${DAY}` });
    assert.equal(page.statusCode, 200);
    const b = button(page.body, A);
    assert.ok(b, 'the card has a button');
    assert.equal(b!.pressed, false);
    assert.equal(b!.action, `/papers/${A}/upvote`);
    assert.match(b!.form, new RegExp(`<input type="hidden" name="next" value="/papers/date/${DAY}">`));
    assert.doesNotMatch(b!.form, /_csrf/, 'a shared page carries nobody\'s token');
    assert.match(b!.form, /<button type="submit" class="upvotes upvote-button"[^>]* aria-pressed="false"/);
    assert.match(b!.form, /<span class="visually-hidden">Upvote, <\/span><span class="upvote-count">0<\/span><span class="visually-hidden"> upvotes<\/span>/);
    assert.match(page.body, new RegExp(`<article class="paper-card" data-paper-id="${A}" id="paper-${A}">`), 'the card is the anchor');

    const form = await site.app.inject({
      method: 'POST',
      url: `/papers/${A}/upvote`,
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      payload: `next=${encodeURIComponent(`/papers/date/${DAY}?sort=newest`)}`,
    });
    assert.equal(form.statusCode, 303);
    assert.equal(form.headers.location, `/signin?next=${encodeURIComponent(`/papers/date/${DAY}?sort=newest#paper-${A}`)}`);
    const fetched = await site.app.inject({ method: 'POST', url: `/papers/${A}/upvote`, headers: JSON_ACCEPT });
    assert.equal(fetched.statusCode, 401);
    assert.equal(json(fetched).error.code, 'SIGN_IN_REQUIRED');
    assert.equal(await upvotesOf(A), 0, 'nothing was counted');
  });

  test('a member upvotes with the form, comes back to the card, sees the button pressed, and takes it back', async () => {
    const m = await signUp(site, 'ada');
    const own = await m.browser.request('GET', `/papers/date/${DAY}?sort=newest`);
    const before = button(own.body, A)!;
    assert.equal(before.pressed, false);
    assert.match(before.form, new RegExp(`name="_csrf" value="${m.csrf}"`), "the member's page carries her token");
    assert.match(before.form, new RegExp(`name="next" value="/papers/date/${DAY}\\?sort=newest"`));

    const res = await m.browser.request('POST', `/papers/${A}/upvote`, { next: `/papers/date/${DAY}?sort=newest`, _csrf: m.csrf });
    assert.equal(res.statusCode, 303);
    assert.equal(res.headers.location, `/papers/date/${DAY}?sort=newest#paper-${A}`);
    assert.equal(await upvotesOf(A), 1);

    const after = await m.browser.request('GET', `/papers/date/${DAY}?sort=newest`);
    const pressed = button(after.body, A)!;
    assert.deepEqual([pressed.pressed, pressed.action, pressed.count], [true, `/papers/${A}/unvote`, 1]);
    assert.match(pressed.form, /title="Remove upvote"/);
    assert.equal(button(after.body, B)!.pressed, false, 'only the paper she upvoted');
    const paperPage = await m.browser.request('GET', `/papers/${A}`);
    assert.equal(button(paperPage.body, A)!.pressed, true, 'the paper page knows too');
    const anon = await site.app.inject({ method: 'GET', url: `/papers/date/${DAY}?sort=newest` });
    assert.deepEqual([button(anon.body, A)!.pressed, button(anon.body, A)!.count], [false, 1], 'others see the count, not her vote');

    // Idempotent: a second upvote (a stale page, a double submit) changes nothing.
    await m.browser.request('POST', `/papers/${A}/upvote`, { _csrf: m.csrf });
    assert.equal(await upvotesOf(A), 1);
    const undo = await m.browser.request('POST', `/papers/${A}/unvote`, { next: `/papers/${A}`, _csrf: m.csrf });
    assert.equal(undo.statusCode, 303);
    assert.equal(undo.headers.location, `/papers/${A}#paper-${A}`);
    assert.equal(await upvotesOf(A), 0);
    assert.equal(button((await m.browser.request('GET', `/papers/${A}`)).body, A)!.pressed, false);
  });

  test('next must be a local path: anything else comes back to the paper page', async () => {
    const m = await signUp(site, 'redirects');
    for (const next of ['//evil.example/x', 'https://evil.example/', '/\\evil.example', 'javascript:alert(1)', '/signout', '']) {
      const res = await m.browser.request('POST', `/papers/${B}/upvote`, { next, _csrf: m.csrf });
      assert.equal(res.statusCode, 303, next);
      assert.equal(res.headers.location, `/papers/${B}#paper-${B}`, next);
    }
    const hash = await m.browser.request('POST', `/papers/${B}/unvote`, { next: `/papers/trending?p=2#elsewhere`, _csrf: m.csrf });
    assert.equal(hash.headers.location, `/papers/trending?p=2#paper-${B}`, "the card's anchor replaces any other");
  });

  test('CSRF: without the token, or with another session\'s, nothing is counted', async () => {
    const m = await signUp(site, 'csrf-victim');
    const other = await signUp(site, 'csrf-attacker');
    const noToken = await m.browser.request('POST', `/papers/${C}/upvote`, { next: '/papers' });
    assert.equal(noToken.statusCode, 403);
    assert.match(noToken.headers['content-type'] as string, /^text\/html/);
    assert.match(noToken.body, /Reload the page/);
    const wrong = await m.browser.request('POST', `/papers/${C}/upvote`, { _csrf: other.csrf });
    assert.equal(wrong.statusCode, 403);
    const fetchNoHeader = await m.browser.request('POST', `/papers/${C}/upvote`, undefined, JSON_ACCEPT);
    assert.equal(fetchNoHeader.statusCode, 403);
    assert.equal(json(fetchNoHeader).error.code, 'CSRF_FAILED');
    assert.equal(await upvotesOf(C), 0);
  });

  test('with JavaScript: JSON in, JSON out, and votes are per member', async () => {
    const ann = await signUp(site, 'ann');
    const bob = await signUp(site, 'bob');
    const vote = (m: Member, action: 'upvote' | 'unvote', id = C) =>
      m.browser.request('POST', `/papers/${id}/${action}`, undefined, { ...JSON_ACCEPT, 'x-csrf-token': m.csrf });
    const up = await vote(ann, 'upvote');
    assert.equal(up.statusCode, 200);
    assert.deepEqual(json(up), { paperId: C, voted: true, upvotes: 1 });
    assert.equal(up.headers['cache-control'], 'no-store');
    // Bob cannot take Ann's vote away: his unvote is about his own (absent) vote.
    const bobUndo = await vote(bob, 'unvote');
    assert.deepEqual(json(bobUndo), { paperId: C, voted: false, upvotes: 1 });
    assert.deepEqual(json(await vote(bob, 'upvote')), { paperId: C, voted: true, upvotes: 2 });
    assert.deepEqual(json(await vote(ann, 'unvote')), { paperId: C, voted: false, upvotes: 1 });
    const bobsPage = await bob.browser.request('GET', `/papers/${C}`);
    assert.equal(button(bobsPage.body, C)!.pressed, true);
    const annsPage = await ann.browser.request('GET', `/papers/${C}`);
    assert.equal(button(annsPage.body, C)!.pressed, false);
    await vote(bob, 'unvote');
    assert.equal(await upvotesOf(C), 0);
  });

  test('old-style and versioned ids; unknown papers and non-ids are 404s, as pages and as JSON', async () => {
    const m = await signUp(site, 'ids');
    const headers = { ...JSON_ACCEPT, 'x-csrf-token': m.csrf };
    const old = await m.browser.request('POST', `/papers/${OLD}/upvote`, undefined, headers);
    assert.deepEqual(json(old), { paperId: OLD, voted: true, upvotes: 1 });
    const oldForm = await m.browser.request('POST', `/papers/${OLD}/unvote`, { _csrf: m.csrf });
    assert.equal(oldForm.headers.location, `/papers/${OLD}#paper-${OLD}`);
    assert.equal(await upvotesOf(OLD), 0);
    const versioned = await m.browser.request('POST', `/papers/${A}v2/upvote`, undefined, headers);
    assert.deepEqual(json(versioned), { paperId: A, voted: true, upvotes: 1 });
    await m.browser.request('POST', `/papers/${A}/unvote`, undefined, headers);

    const missing = await m.browser.request('POST', '/papers/2507.99999/upvote', { _csrf: m.csrf });
    assert.equal(missing.statusCode, 404);
    assert.match(missing.body, /not in this paperpulse yet/);
    const missingJson = await m.browser.request('POST', '/papers/2507.99999/upvote', undefined, headers);
    assert.equal(missingJson.statusCode, 404);
    assert.equal(json(missingJson).error.code, 'PAPER_NOT_FOUND');
    const junk = await m.browser.request('POST', `/papers/${encodeURIComponent('<script>')}/upvote`, { _csrf: m.csrf });
    assert.equal(junk.statusCode, 404);
    assert.doesNotMatch(junk.body, /<script>/);
  });

  test('the API: /me, voting with a token (no CSRF), /me/upvotes paged, 401s in the error shape', async () => {
    const m = await signUp(site, 'scripter');
    const token = await newToken(site, m);
    const auth = { authorization: `Bearer ${token}` };
    const api = (method: 'GET' | 'POST' | 'DELETE', url: string, headers: Record<string, string> = auth) => site.app.inject({ method, url, headers });

    const anon = await api('GET', '/api/v1/me', {});
    assert.equal(anon.statusCode, 401);
    assert.equal(json(anon).error.code, 'SIGN_IN_REQUIRED');
    assert.match(anon.headers['www-authenticate'] as string, /^Bearer/);
    const bad = await api('GET', '/api/v1/me', { authorization: 'Bearer pp_wrong' });
    assert.equal(bad.statusCode, 401);
    assert.equal(json(bad).error.code, 'INVALID_TOKEN');
    for (const method of ['POST', 'DELETE'] as const) {
      const res = await api(method, `/api/v1/papers/${A}/upvote`, {});
      assert.equal(res.statusCode, 401, method);
      assert.equal(json(res).error.code, 'SIGN_IN_REQUIRED', method);
    }

    const me = await api('GET', '/api/v1/me');
    assert.equal(me.statusCode, 200);
    assert.deepEqual({ ...json(me), createdAt: undefined }, {
      username: 'scripter', displayName: null, email: 'scripter@example.org', role: 'user', upvotesPublic: true, upvotes: 0, createdAt: undefined,
      links: { self: `${PUBLIC_URL}/api/v1/me`, html: `${PUBLIC_URL}/users/scripter`, upvotes: `${PUBLIC_URL}/api/v1/me/upvotes` },
    });
    assert.equal(me.headers['cache-control'], 'private, no-cache');
    assert.match(me.headers.vary as string, /Authorization/);

    const up = await api('POST', `/api/v1/papers/${A}/upvote`);
    assert.equal(up.statusCode, 200, up.body);
    assert.deepEqual({ ...json(up), trendingScore: undefined }, { paperId: A, voted: true, upvotes: 1, changed: true, trendingScore: undefined });
    assert.equal(typeof json(up).trendingScore, 'number');
    assert.equal(json(await api('POST', `/api/v1/papers/${A}/upvote`)).changed, false, 'a second upvote changes nothing');
    assert.deepEqual(json(await api('GET', `/api/v1/papers/${A}/upvote`)), { paperId: A, voted: true, upvotes: 1, trendingScore: json(up).trendingScore });
    assert.equal(json(await api('POST', `/api/v1/papers/${OLD}/upvote`)).voted, true, 'old-style ids');
    site.advance(1000);
    assert.equal(json(await api('POST', `/api/v1/papers/arXiv:${B}v1/upvote`)).paperId, B, 'any form of the id');
    const missing = await api('POST', '/api/v1/papers/2507.99999/upvote');
    assert.equal(missing.statusCode, 404);
    assert.equal(json(missing).error.code, 'PAPER_NOT_FOUND');

    // Three upvotes, two a page.
    const page1 = await api('GET', '/api/v1/me/upvotes?limit=2');
    assert.equal(page1.statusCode, 200);
    const p1 = json(page1);
    assert.equal(p1.papers.length, 2);
    assert.equal(p1.votedAt.length, 2);
    assert.deepEqual(p1.pagination, { page: 1, limit: 2, total: 3, pages: 2, hasMore: true });
    assert.equal(p1.links.next, `${PUBLIC_URL}/api/v1/me/upvotes?page=2&limit=2`);
    assert.match(page1.headers.link as string, /rel="next"/);
    const p2 = json(await api('GET', p1.links.next.slice(PUBLIC_URL.length)));
    assert.equal(p2.papers.length, 1);
    assert.equal(p2.links.next, null);
    const ids = [...p1.papers, ...p2.papers].map((p: Json) => p.id);
    assert.deepEqual([...ids].sort(), [A, B, OLD].sort());
    assert.ok(p1.votedAt[0] >= p1.votedAt[1], 'most recent first');
    assert.equal(json(await api('GET', '/api/v1/me')).upvotes, 3);
    assert.equal((await api('GET', '/api/v1/me/upvotes?limit=500')).statusCode, 400);

    const down = await api('DELETE', `/api/v1/papers/${A}/upvote`);
    assert.deepEqual({ ...json(down), trendingScore: undefined }, { paperId: A, voted: false, upvotes: 0, changed: true, trendingScore: undefined });
    assert.equal(json(await api('DELETE', `/api/v1/papers/${A}/upvote`)).changed, false);
    await api('DELETE', `/api/v1/papers/${OLD}/upvote`);
    await api('DELETE', `/api/v1/papers/${B}/upvote`);
    assert.equal(json(await api('GET', '/api/v1/me/upvotes')).pagination.total, 0);
  });

  test('the API with a session cookie: reads as the member, writes only with X-CSRF-Token', async () => {
    const m = await signUp(site, 'cookie-user');
    const me = await m.browser.request('GET', '/api/v1/me');
    assert.equal(json(me).username, 'cookie-user');
    const noHeader = await m.browser.request('POST', `/api/v1/papers/${C}/upvote`);
    assert.equal(noHeader.statusCode, 403);
    assert.equal(json(noHeader).error.code, 'CSRF_FAILED');
    const ok = await m.browser.request('POST', `/api/v1/papers/${C}/upvote`, undefined, { 'x-csrf-token': m.csrf });
    assert.equal(json(ok).voted, true);
    const del = await m.browser.request('DELETE', `/api/v1/papers/${C}/upvote`, undefined, { 'x-csrf-token': m.csrf });
    assert.equal(json(del).voted, false);
  });

  test('CORS: other origins may read, but the browser is never allowed to send a vote', async () => {
    const m = await signUp(site, 'cors');
    const token = await newToken(site, m);
    for (const method of ['POST', 'DELETE', 'PUT']) {
      const pre = await site.app.inject({
        method: 'OPTIONS',
        url: `/api/v1/papers/${A}/upvote`,
        headers: { origin: 'https://elsewhere.example', 'access-control-request-method': method, 'access-control-request-headers': 'authorization, x-csrf-token' },
      });
      assert.equal(pre.headers['access-control-allow-origin'], undefined, `${method} preflight refused`);
      assert.equal(pre.headers['access-control-allow-headers'], undefined, method);
    }
    const readPre = await site.app.inject({
      method: 'OPTIONS',
      url: '/api/v1/papers/2507.00201',
      headers: { origin: 'https://elsewhere.example', 'access-control-request-method': 'GET' },
    });
    assert.equal(readPre.headers['access-control-allow-origin'], '*', 'reads stay open');
    const write = await site.app.inject({ method: 'POST', url: `/api/v1/papers/${A}/upvote`, headers: { origin: 'https://elsewhere.example', authorization: `Bearer ${token}` } });
    assert.equal(write.headers['access-control-allow-origin'], undefined);
    await site.app.inject({ method: 'DELETE', url: `/api/v1/papers/${A}/upvote`, headers: { authorization: `Bearer ${token}` } });
    const web = await m.browser.request('POST', `/papers/${A}/upvote`, undefined, { ...JSON_ACCEPT, 'x-csrf-token': m.csrf, origin: 'https://elsewhere.example' });
    assert.equal(web.headers['access-control-allow-origin'], undefined);
    await m.browser.request('POST', `/papers/${A}/unvote`, undefined, { ...JSON_ACCEPT, 'x-csrf-token': m.csrf });
  });

  test('the OpenAPI document has the account routes with their methods and security, and stays valid', async () => {
    const doc = json(await site.app.inject({ method: 'GET', url: '/api/openapi.json' }));
    const validator = new Validator();
    const result = await validator.validate(doc);
    assert.ok(result.valid, JSON.stringify(result.errors, null, 1)?.slice(0, 2000));
    for (const p of ['/api/v1/papers/{id}/upvote', '/api/v1/papers/{archive}/{number}/upvote']) {
      for (const method of ['get', 'post', 'delete']) {
        const op = doc.paths[p]?.[method];
        assert.ok(op, `${method.toUpperCase()} ${p}`);
        assert.deepEqual(op.security, [{ bearerAuth: [] }, { sessionCookie: [] }]);
        assert.ok(op.responses['200'].content, `${method} ${p} documents its answer`);
      }
      assert.ok(doc.paths[p].post.responses['429'], 'the rate limit is documented');
    }
    assert.ok(doc.paths['/api/v1/me']?.get);
    assert.ok(doc.paths['/api/v1/me/upvotes']?.get);
    assert.ok(doc.paths['/feeds/users/{username}/upvotes.xml']?.get);
    assert.equal(doc.components.securitySchemes.bearerAuth.scheme, 'bearer');
    const docs = await site.app.inject({ method: 'GET', url: '/api/docs' });
    assert.ok(docs.body.includes('DELETE /api/v1/papers/{id}/upvote'));
    assert.ok(
      docs.body.includes(`curl -s -X DELETE -H &#39;Authorization: Bearer &lt;your token&gt;&#39; &#39;${PUBLIC_URL}/api/v1/papers/2407.21783/upvote&#39;`),
      'the docs page shows the method and the token in its curl example',
    );
  });

  test('the private upvotes feeds: RSS and Atom with the token, one 404 for everything else', async () => {
    const m = await signUp(site, 'reader');
    await m.browser.request('POST', '/settings/profile', { display_name: 'Rea <Der>', _csrf: m.csrf });
    await m.browser.request('POST', '/settings/feed-token', { _csrf: m.csrf });
    const settings = await m.browser.request('GET', '/settings');
    const url = /http:\/\/pp\.test(\/feeds\/users\/reader\/upvotes\.xml\?token=[A-Za-z0-9_-]{43})/.exec(settings.body)?.[1];
    assert.ok(url, 'the settings page shows the address');
    const headers = { ...JSON_ACCEPT, 'x-csrf-token': m.csrf };
    await m.browser.request('POST', `/papers/${A}/upvote`, undefined, headers);
    site.advance(60_000);
    await m.browser.request('POST', `/papers/${B}/upvote`, undefined, headers);

    const parser = new Parser();
    const rss = await site.app.inject({ method: 'GET', url: url! });
    assert.equal(rss.statusCode, 200);
    assert.equal(rss.headers['content-type'], 'application/rss+xml; charset=utf-8');
    assert.equal(rss.headers['cache-control'], 'private, max-age=300');
    assert.equal(rss.headers['referrer-policy'], 'no-referrer');
    assert.equal(XMLValidator.validate(rss.body), true);
    const feed = await parser.parseString(rss.body);
    assert.equal(feed.title, 'paperpulse: upvotes of reader');
    assert.equal(feed.items.length, 2);
    assert.deepEqual(new Set(feed.items.map((i) => i.link)), new Set([`${PUBLIC_URL}/papers/${A}`, `${PUBLIC_URL}/papers/${B}`]));
    const titles = feed.items.map((i) => i.title);
    assert.ok(titles.includes('Beta <b>Bold</b> & Co'), `titles are text: ${titles.join(' | ')}`);
    for (const item of feed.items) assert.equal(item.guid, item.link);
    const atom = await site.app.inject({ method: 'GET', url: url!.replace('upvotes.xml', 'upvotes.atom') });
    assert.equal(atom.statusCode, 200);
    assert.equal(atom.headers['content-type'], 'application/atom+xml; charset=utf-8');
    const atomFeed = await parser.parseString(atom.body);
    assert.equal(atomFeed.items.length, 2);
    assert.match(atom.body, /<link rel="self" type="application\/atom\+xml" href="http:\/\/pp\.test\/feeds\/users\/reader\/upvotes\.atom\?token=/);
    // Conditional GETs work as on every feed.
    const again = await site.app.inject({ method: 'GET', url: url!, headers: { 'if-none-match': rss.headers.etag as string } });
    assert.equal(again.statusCode, 304);

    const token = new URL(url!, PUBLIC_URL).searchParams.get('token')!;
    const refused = [
      '/feeds/users/reader/upvotes.xml',
      `/feeds/users/reader/upvotes.xml?token=${'A'.repeat(43)}`,
      `/feeds/users/reader/upvotes.atom?token=x`,
      `/feeds/users/nobody-here/upvotes.xml?token=${token}`,
      `/feeds/users/${encodeURIComponent('<script>')}/upvotes.xml?token=${token}`,
      `/feeds/users/reader/upvotes.xml?token=${'A'.repeat(300)}`,
    ].map((u) => site.app.inject({ method: 'GET', url: u }));
    const answers = await Promise.all(refused);
    for (const res of answers) {
      assert.equal(res.statusCode, 404, res.body);
      assert.equal(res.body, answers[0].body, 'the same answer whether or not the member exists');
    }
    // A renewed token retires the old address.
    await m.browser.request('POST', '/settings/feed-token', { _csrf: m.csrf });
    assert.equal((await site.app.inject({ method: 'GET', url: url! })).statusCode, 404);
    await m.browser.request('POST', `/papers/${A}/unvote`, undefined, headers);
    await m.browser.request('POST', `/papers/${B}/unvote`, undefined, headers);
  });

  test('the curl examples of the account section in docs/api.md work with a real token', async () => {
    const m = await signUp(site, 'curl');
    const token = await newToken(site, m);
    const doc = readFileSync(path.join(projectRoot, 'docs/api.md'), 'utf8');
    const section = doc.slice(doc.indexOf('### Your account'), doc.indexOf('\n## ', doc.indexOf('### Your account')));
    const examples = [...section.matchAll(/^curl [^\n]*'http:\/\/127\.0\.0\.1:3000([^']*)'(?:\s+#\s*(\d{3}))?$/gm)];
    assert.ok(examples.length >= 6, `${examples.length} examples`);
    for (const [line, url, expected] of examples) {
      const method = /-X (\w+)/.exec(line)?.[1] ?? 'GET';
      const headers = Object.fromEntries(
        [...line.matchAll(/-H '([^:]+): ([^']*)'/g)].map((h) => [h[1].toLowerCase(), h[2].replace('<your token>', token)]),
      );
      const res = await site.app.inject({ method: method as 'GET', url, headers });
      assert.equal(res.statusCode, Number(expected ?? 200), `${line}\n${res.body.slice(0, 300)}`);
    }
  });
});

forEachDatabase('vote rate limits', (fx) => {
  let site: Site;
  before(async () => {
    await fx.db.transaction((tx) => writePapers(tx, seed()));
    site = await createSite(fx.db, { app: { votes: { userLimit: { limit: 3, windowMs: 60_000 }, ipLimit: { limit: 5, windowMs: 60_000 } } } });
  });
  after(async () => {
    await site?.close();
  });

  test('a member gets a 429 page or JSON with Retry-After after their limit, across the buttons and the API', async () => {
    const m = await signUp(site, 'eager');
    const token = await newToken(site, m);
    const headers = { ...JSON_ACCEPT, 'x-csrf-token': m.csrf };
    for (const action of ['upvote', 'unvote', 'upvote']) {
      assert.equal((await m.browser.request('POST', `/papers/${A}/${action}`, undefined, headers)).statusCode, 200, action);
    }
    const page = await m.browser.request('POST', `/papers/${A}/unvote`, { _csrf: m.csrf });
    assert.equal(page.statusCode, 429);
    assert.match(page.headers['content-type'] as string, /^text\/html/);
    assert.match(page.body, /too many votes/);
    assert.ok(Number(page.headers['retry-after']) >= 1 && Number(page.headers['retry-after']) <= 60);
    const fetched = await m.browser.request('POST', `/papers/${A}/unvote`, undefined, headers);
    assert.equal(fetched.statusCode, 429);
    assert.equal(json(fetched).error.code, 'RATE_LIMITED');
    assert.ok(fetched.headers['retry-after']);
    const api = await site.app.inject({ method: 'DELETE', url: `/api/v1/papers/${A}/upvote`, headers: { authorization: `Bearer ${token}` } });
    assert.equal(api.statusCode, 429, 'the API shares the limit');
    assert.equal(json(api).error.code, 'RATE_LIMITED');
    assert.ok(api.headers['retry-after']);
    assert.equal((await getPaperCounts(fx.db, A))!.upvotes, 1, 'the refused unvotes changed nothing');

    site.advance(61_000);
    assert.equal((await m.browser.request('POST', `/papers/${A}/unvote`, undefined, headers)).statusCode, 200, 'a minute later it works again');
  });

  test('one client address gets a 429 after its limit, whoever is signed in', async () => {
    site.advance(61_000);
    const members = await Promise.all(['nat-1', 'nat-2', 'nat-3'].map((u) => signUp(site, u)));
    const from = (m: Member, id: string) =>
      site.app.inject({ method: 'POST', url: `/papers/${id}/upvote`, remoteAddress: '10.0.0.9', headers: { cookie: m.browser.cookie, ...JSON_ACCEPT, 'x-csrf-token': m.csrf } });
    const statuses: number[] = [];
    for (const [i, id] of [A, B, C, A, B, C].entries()) statuses.push((await from(members[i % 3], id)).statusCode);
    assert.deepEqual(statuses, [200, 200, 200, 200, 200, 429]);
    const elsewhere = await site.app.inject({ method: 'POST', url: `/papers/${C}/upvote`, remoteAddress: '10.0.0.10', headers: { cookie: members[2].browser.cookie, ...JSON_ACCEPT, 'x-csrf-token': members[2].csrf } });
    assert.equal(elsewhere.statusCode, 200, 'another address is not affected');
  });
});
