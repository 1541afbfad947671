// Comments through the pages, as members use them: post, reply, edit and delete their own, moderators
// hide with a reason shown in place; what anonymous visitors, other members, forged forms and hostile
// text get; the comment count and trending score; rate limits. On PGlite and on the PostgreSQL server.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { addComment } from '../../src/comments/comments.service.ts';
import { trendingScoreOfRow } from '../../src/feed/ranking.ts';
import { writePapers } from '../../src/papers/papers.repository.ts';
import { browser, createSite, signUp, type Member, type Site } from '../helpers/community.ts';
import { forEachDatabase } from '../helpers/db.ts';
import { record } from '../helpers/records.ts';

const P1 = '2507.00101';
const P2 = '2507.00102';
const OLD = 'hep-th/9901001';
const DAY = '2025-07-03';

const HOSTILE_NAME = '"><img src=x onerror=alert(1)>';

/** Only the markup of a page (the text between tags is escaped, so it may say anything). */
const markupOf = (body: string) => [...body.matchAll(/<[^>]*>/g)].map((m) => m[0]).join('\n');

forEachDatabase('comments', (fx) => {
  let site: Site;
  let ada: Member;
  let bob: Member;
  let mod: Member;

  const counts = async (paperId: string) =>
    (await fx.db.query<{ id: string; upvotes: number; num_comments: number; first_listed: string; trending_score: number }>(
      `SELECT id, upvotes, num_comments, first_listed, trending_score FROM papers WHERE id = $1`,
      [paperId],
    ))[0];

  const post = (m: Member, paperId: string, body: string, extra: Record<string, string> = {}) =>
    m.browser.request('POST', `/papers/${paperId}/comments`, { body, _csrf: m.csrf, ...extra });

  const idFrom = (location: unknown) => {
    const m = /#comment-(\d+)$/.exec(String(location));
    assert.ok(m, `a comment anchor in ${String(location)}`);
    return Number(m[1]);
  };

  const anonymousPage = async (paperId: string) => (await site.app.inject({ method: 'GET', url: `/papers/${paperId}` })).body;

  before(async () => {
    site = await createSite(fx.db, {
      app: { comments: { userLimit: { limit: 1000, windowMs: 60_000 }, ipLimit: { limit: 1000, windowMs: 60_000 }, actionLimit: { limit: 1000, windowMs: 60_000 } } },
    });
    await fx.db.transaction((tx) =>
      writePapers(tx, [
        record({ id: P1, title: 'Comments Paper One', firstListed: DAY, versions: [{ version: 1, date: '2025-07-02T10:00:00Z' }] }),
        record({ id: P2, title: 'Comments Paper Two', firstListed: DAY, versions: [{ version: 1, date: '2025-07-02T11:00:00Z' }] }),
        record({ id: OLD, title: 'An Old-Style Paper', firstListed: '1999-01-05', versions: [{ version: 1, date: '1999-01-04T10:00:00Z' }] }),
      ]),
    );
    // Upvotes, so comments move the trending score (comment points are capped at the upvotes).
    await fx.db.query(`UPDATE papers SET upvotes = 4 WHERE id = $1`, [P1]);
    ada = await signUp(site, 'ada', 'ada@example.org', 'Ada Lovelace');
    bob = await signUp(site, 'bob', 'bob@example.org', HOSTILE_NAME);
    mod = await signUp(site, 'modo', 'modo@example.org', 'Mo Derator');
    await fx.db.query(`UPDATE users SET role = 'moderator' WHERE username = 'modo'`);
  });
  after(async () => {
    await site?.close();
  });

  test('anonymous visitors read the comments and get a sign-in link; their posts are refused', async () => {
    const page = await anonymousPage(P1);
    assert.match(page, /<section id="comments"/);
    assert.match(page, /<a href="\/signin\?next=%2Fpapers%2F2507\.00101%23comments">Sign in to comment<\/a>/);
    assert.doesNotMatch(page, /name="body"/, 'no comment form for visitors');
    const res = await browser(site.app).request('POST', `/papers/${P1}/comments`, { body: 'hello' });
    assert.equal(res.statusCode, 303);
    assert.equal(res.headers.location, '/signin?next=%2Fpapers%2F2507.00101%23comments');
    const json = await site.app.inject({ method: 'POST', url: `/papers/${P1}/comments`, headers: { accept: 'application/json' }, payload: { body: 'hello' } });
    assert.equal(json.statusCode, 401);
    const rows = await fx.db.query<{ n: number }>(`SELECT count(*)::int AS n FROM comments`);
    assert.equal(rows[0].n, 0);
  });

  test('a form without the session token, or with another session\'s, is refused', async () => {
    const none = await ada.browser.request('POST', `/papers/${P1}/comments`, { body: 'forged' });
    assert.equal(none.statusCode, 403);
    assert.match(none.body, /form had expired or did not come from paperpulse/);
    const other = await ada.browser.request('POST', `/papers/${P1}/comments`, { body: 'forged', _csrf: bob.csrf });
    assert.equal(other.statusCode, 403);
    const hdr = await ada.browser.request('POST', `/papers/${P1}/comments`, { body: 'forged' }, { 'x-csrf-token': 'nope' });
    assert.equal(hdr.statusCode, 403);
    const rows = await fx.db.query<{ n: number }>(`SELECT count(*)::int AS n FROM comments WHERE body = 'forged'`);
    assert.equal(rows[0].n, 0);
  });

  test('post and reply: threaded on the page, counted, scored, and the cached page refreshes', async () => {
    const cachedBefore = await anonymousPage(P1);
    assert.match(cachedBefore, /No comments yet/);

    const first = await post(ada, P1, 'A **nice** paper.\nSee [the code](https://example.org/code).');
    assert.equal(first.statusCode, 303);
    const c1 = idFrom(first.headers.location);
    assert.equal(first.headers.location, `/papers/${P1}#comment-${c1}`);

    const reply = await post(bob, P1, 'Agreed, *mostly*.', { parent_id: String(c1) });
    assert.equal(reply.statusCode, 303);
    const c2 = idFrom(reply.headers.location);

    const stored = await fx.db.query<{ parent_id: number | null; body: string; body_html: string }>(`SELECT parent_id, body, body_html FROM comments WHERE id = $1`, [c2]);
    assert.equal(stored[0].parent_id, c1);
    assert.equal(stored[0].body, 'Agreed, *mostly*.');
    assert.equal(stored[0].body_html, '<p>Agreed, <em>mostly</em>.</p>');

    const after = await counts(P1);
    assert.equal(after.num_comments, 2);
    assert.equal(after.trending_score, trendingScoreOfRow({ upvotes: 4, num_comments: 2, first_listed: DAY }));
    assert.ok(after.trending_score > trendingScoreOfRow({ upvotes: 4, num_comments: 0, first_listed: DAY }));

    // The anonymous page was cached before; the change dropped it.
    const anon = await anonymousPage(P1);
    assert.match(anon, /\(2 comments\)/);
    assert.match(anon, new RegExp(`<li id="comment-${c1}" class="comment comment-visible"[^>]*data-level="1"`));
    assert.match(anon, /<p>A <strong>nice<\/strong> paper\.<br \/>\nSee <a href="https:\/\/example\.org\/code" rel="nofollow ugc noopener">the code<\/a>\.<\/p>/);
    assert.match(anon, /<a class="comment-author" href="\/users\/ada"><bdi>Ada Lovelace<\/bdi><\/a>/);
    // The reply sits in the first comment's list of replies.
    const nested = new RegExp(`id="comment-${c1}"[\\s\\S]*<ol class="comment-replies"><li id="comment-${c2}"[^>]*data-level="2"`);
    assert.match(anon, nested);
    assert.doesNotMatch(anon, /action="\/comments\/\d+\/(edit|delete|hide)"/, 'no controls for visitors');

    // Ada sees her own controls on her comment, and none on Bob's; a reply form on each.
    const adaPage = (await ada.browser.request('GET', `/papers/${P1}`)).body;
    assert.match(adaPage, new RegExp(`href="/comments/${c1}/edit"`));
    assert.match(adaPage, new RegExp(`action="/comments/${c1}/delete"`));
    assert.doesNotMatch(adaPage, new RegExp(`/comments/${c2}/(edit|delete)`));
    assert.doesNotMatch(adaPage, /\/hide"/, 'no hide control for members');
    assert.match(adaPage, new RegExp(`<input type="hidden" name="parent_id" value="${c2}">`));
    assert.match(adaPage, /<textarea id="comment-new" name="body"/);

    // Her profile lists the comment, as sanitised HTML.
    const profile = (await site.app.inject({ method: 'GET', url: '/users/ada' })).body;
    assert.match(profile, new RegExp(`href="/papers/${P1}#comment-${c1}"`));
    assert.match(profile, /<strong>nice<\/strong>/);
  });

  test('the display name and every comment body are escaped or sanitised', async () => {
    const bodies = [
      '<script>alert(1)</script>',
      '<img src=x onerror=alert(1)>',
      '[click](javascript:alert(1))',
      '[click](&#106;avascript:alert(1))',
      '[click](java&#x09;script:alert(1))',
      '![x](data:image/svg+xml;base64,PHN2ZyBvbmxvYWQ9YWxlcnQoMSk+)',
      '<svg onload=alert(1)>',
      '<iframe src="https://evil.example"></iframe>',
      '<a href="#" style="position:fixed;inset:0" onclick="alert(1)">x</a>',
      '<!-- hidden --> <b>b</b>',
      '</textarea><script>alert(1)</script>',
    ];
    for (const body of bodies) {
      const res = await post(bob, P2, body);
      assert.equal(res.statusCode, 303, body);
    }
    for (const page of [await anonymousPage(P2), (await mod.browser.request('GET', `/papers/${P2}`)).body, (await site.app.inject({ method: 'GET', url: '/users/bob' })).body]) {
      const markup = markupOf(page.slice(page.indexOf('<main')));
      // Attribute names only (values are quoted and escaped: they may say anything).
      const names = markup.replace(/="[^"]*"/g, '=""');
      assert.doesNotMatch(names, /<(script|img|svg|iframe)\b/i);
      assert.doesNotMatch(names, /\son[a-z]+=/i);
      assert.doesNotMatch(names, /\sstyle=/i);
      assert.doesNotMatch(markup, /href="\s*(javascript|data|vbscript):/i);
      assert.doesNotMatch(page, /<bdi>"><img/);
    }
    const anon = await anonymousPage(P2);
    assert.match(anon, /&lt;script&gt;alert\(1\)&lt;\/script&gt;/, 'the text is shown, escaped');
    assert.match(anon, /<bdi>&quot;&gt;&lt;img src=x onerror=alert\(1\)&gt;<\/bdi>/, 'the display name is escaped');
    const rows = await fx.db.query<{ body_html: string }>(`SELECT body_html FROM comments WHERE paper_id = $1`, [P2]);
    for (const r of rows) {
      assert.doesNotMatch(markupOf(r.body_html).replace(/="[^"]*"/g, '=""'), /<(script|img|svg|iframe)|\son[a-z]+=|style=/i);
      assert.doesNotMatch(r.body_html, /href="\s*(javascript|data):/i);
    }
  });

  test('a comment that cannot be saved comes back in the form with what is wrong', async () => {
    const empty = await post(ada, P1, '   ');
    assert.equal(empty.statusCode, 400);
    assert.match(empty.body, /it is empty/);
    assert.match(empty.body, /<form method="post" action="\/papers\/2507\.00101\/comments"/);

    const long = 'word '.repeat(2001);
    const tooLong = await post(ada, P1, long);
    assert.equal(tooLong.statusCode, 400);
    assert.match(tooLong.body, /too long: 10,004 characters, at most 10,000/);
    assert.ok(tooLong.body.includes(long.slice(0, 500)), 'the text is kept for fixing');

    const control = await post(ada, P1, 'bell\u0007 and nul\u0000');
    assert.equal(control.statusCode, 400);
    assert.match(control.body, /control characters/);

    const reply = await post(ada, P1, '', { parent_id: '1' });
    assert.equal(reply.statusCode, 400);
    assert.match(reply.body, /<input type="hidden" name="parent_id" value="1">/);

    // Bytes that are not UTF-8 are refused by the form parser, with a message.
    const bad = await site.app.inject({
      method: 'POST',
      url: `/papers/${P1}/comments`,
      headers: { cookie: ada.browser.cookie, 'content-type': 'application/x-www-form-urlencoded' },
      payload: Buffer.concat([Buffer.from(`_csrf=${ada.csrf}&body=caf`), Buffer.from([0xe9]), Buffer.from('%FF')]),
    });
    assert.equal(bad.statusCode, 400);
    assert.match(bad.body, /not valid UTF-8/);
    const encoded = await ada.browser.request('POST', `/papers/${P1}/comments`, { body: 'x', _csrf: ada.csrf }, {});
    assert.equal(encoded.statusCode, 303);

    const huge = await site.app.inject({
      method: 'POST',
      url: `/papers/${P1}/comments`,
      headers: { cookie: ada.browser.cookie, 'content-type': 'application/x-www-form-urlencoded' },
      payload: `_csrf=${ada.csrf}&body=${'x'.repeat(300 * 1024)}`,
    });
    assert.equal(huge.statusCode, 413);
    assert.match(huge.body, /too much text/);

    const rows = await fx.db.query<{ n: number }>(`SELECT count(*)::int AS n FROM comments WHERE user_id = (SELECT id FROM users WHERE username = 'ada') AND body <> 'x'`);
    assert.equal(rows[0].n, 1, 'only the first comment of the earlier test');
  });

  test('unknown papers and comments get 404s; a reply to another paper\'s comment is refused', async () => {
    const noPaper = await post(ada, '2507.09999', 'hello');
    assert.equal(noPaper.statusCode, 404);
    const notAnId = await post(ada, 'not-an-id', 'hello');
    assert.equal(notAnId.statusCode, 404);
    for (const path of ['/comments/999999/delete', '/comments/abc/edit', '/comments/0/hide', '/comments/1e3/unhide']) {
      const res = await mod.browser.request('POST', path, { _csrf: mod.csrf, body: 'x', reason: 'x' });
      assert.equal(res.statusCode, 404, path);
    }
    assert.equal((await ada.browser.request('GET', '/comments/999999/edit')).statusCode, 404);
    const onP2 = idFrom((await post(ada, P2, 'on paper two')).headers.location);
    const cross = await post(ada, P1, 'wrong thread', { parent_id: String(onP2) });
    assert.equal(cross.statusCode, 404);
    assert.match(cross.body, /not on this paper/);
  });

  test('edit your own comment (marked edited); someone else\'s is refused with 403', async () => {
    const c = idFrom((await post(ada, P1, 'First draft')).headers.location);
    const form = await ada.browser.request('GET', `/comments/${c}/edit`);
    assert.equal(form.statusCode, 200);
    assert.match(form.body, /<textarea id="comment-body" name="body"[^>]*>First draft<\/textarea>/);
    assert.equal(form.headers['cache-control'], 'no-store');

    const saved = await ada.browser.request('POST', `/comments/${c}/edit`, { body: 'Second **draft**', _csrf: ada.csrf });
    assert.equal(saved.statusCode, 303);
    assert.equal(saved.headers.location, `/papers/${P1}#comment-${c}`);
    const page = await anonymousPage(P1);
    assert.match(page, new RegExp(`id="comment-${c}"[\\s\\S]*?class="comment-edited"[^>]*>edited</span>[\\s\\S]*?Second <strong>draft</strong>`));

    const emptyEdit = await ada.browser.request('POST', `/comments/${c}/edit`, { body: '', _csrf: ada.csrf });
    assert.equal(emptyEdit.statusCode, 400);
    assert.match(emptyEdit.body, /it is empty/);

    for (const [method, path] of [['GET', `/comments/${c}/edit`], ['POST', `/comments/${c}/edit`], ['POST', `/comments/${c}/delete`]] as const) {
      const res = await bob.browser.request(method, path, method === 'POST' ? { body: 'hijacked', _csrf: bob.csrf } : undefined);
      assert.equal(res.statusCode, 403, `${method} ${path}`);
      assert.match(res.body, /only your own comments/);
    }
    // Moderators do not edit or delete other people's words either: they hide them.
    assert.equal((await mod.browser.request('POST', `/comments/${c}/edit`, { body: 'mod edit', _csrf: mod.csrf })).statusCode, 403);
    const anonEdit = await browser(site.app).request('GET', `/comments/${c}/edit`);
    assert.equal(anonEdit.statusCode, 303);
    assert.match(String(anonEdit.headers.location), /^\/signin\?next=%2Fcomments%2F\d+%2Fedit$/);
    const still = await fx.db.query<{ body: string }>(`SELECT body FROM comments WHERE id = $1`, [c]);
    assert.equal(still[0].body, 'Second **draft**');
  });

  test('delete: a comment with replies keeps its place as [deleted], one without disappears', async () => {
    const before = (await counts(P1)).num_comments;
    const parent = idFrom((await post(ada, P1, 'Parent to delete')).headers.location);
    const child = idFrom((await post(bob, P1, 'A reply that stays', { parent_id: String(parent) })).headers.location);
    const lonely = idFrom((await post(ada, P1, 'Lonely comment to delete')).headers.location);
    assert.equal((await counts(P1)).num_comments, before + 3);

    const del = await ada.browser.request('POST', `/comments/${parent}/delete`, { _csrf: ada.csrf });
    assert.equal(del.statusCode, 303);
    assert.equal(del.headers.location, `/papers/${P1}#comment-${parent}`);
    const del2 = await ada.browser.request('POST', `/comments/${lonely}/delete`, { _csrf: ada.csrf });
    assert.equal(del2.headers.location, `/papers/${P1}#comments`);

    const after = await counts(P1);
    assert.equal(after.num_comments, before + 1);
    assert.equal(after.trending_score, trendingScoreOfRow(after));
    const page = await anonymousPage(P1);
    assert.match(page, new RegExp(`<li id="comment-${parent}" class="comment comment-deleted"[\\s\\S]*?\\[deleted\\][\\s\\S]*?id="comment-${child}"`));
    assert.doesNotMatch(page, /Parent to delete/);
    assert.doesNotMatch(page, new RegExp(`id="comment-${lonely}"`));
    assert.doesNotMatch(page, /Lonely comment/);
    // The text is gone from the database too.
    const rows = await fx.db.query<{ body: string; body_html: string }>(`SELECT body, body_html FROM comments WHERE id = $1`, [parent]);
    assert.deepEqual(rows[0], { body: '[deleted]', body_html: '' });
    // Once its reply is deleted as well, the placeholder goes.
    await bob.browser.request('POST', `/comments/${child}/delete`, { _csrf: bob.csrf });
    assert.doesNotMatch(await anonymousPage(P1), new RegExp(`id="comment-${parent}"`));
    // A deleted comment cannot be replied to or edited.
    assert.equal((await post(bob, P1, 'late reply', { parent_id: String(lonely) })).statusCode, 409);
    assert.equal((await ada.browser.request('GET', `/comments/${lonely}/edit`)).statusCode, 404);
  });

  test('moderators hide a comment with a reason shown in its place, and can unhide it', async () => {
    const c = idFrom((await post(bob, P1, 'Buy cheap pills at spam.example')).headers.location);
    const before = (await counts(P1)).num_comments;

    const byMember = await ada.browser.request('POST', `/comments/${c}/hide`, { reason: 'I do not like it', _csrf: ada.csrf });
    assert.equal(byMember.statusCode, 403);
    assert.match(byMember.body, /Only moderators/);
    const noReason = await mod.browser.request('POST', `/comments/${c}/hide`, { reason: '  ', _csrf: mod.csrf });
    assert.equal(noReason.statusCode, 400);
    assert.match(noReason.body, /Give a reason/);
    const noToken = await mod.browser.request('POST', `/comments/${c}/hide`, { reason: 'spam' });
    assert.equal(noToken.statusCode, 403);

    const modPage = (await mod.browser.request('GET', `/papers/${P1}`)).body;
    assert.match(modPage, new RegExp(`action="/comments/${c}/hide"`));

    const hidden = await mod.browser.request('POST', `/comments/${c}/hide`, { reason: 'Spam <b>link</b>', _csrf: mod.csrf });
    assert.equal(hidden.statusCode, 303);
    assert.equal(hidden.headers.location, `/papers/${P1}#comment-${c}`);
    const after = await counts(P1);
    assert.equal(after.num_comments, before - 1, 'hidden comments are not counted');
    assert.equal(after.trending_score, trendingScoreOfRow(after));

    const anon = await anonymousPage(P1);
    assert.match(anon, new RegExp(`<li id="comment-${c}" class="comment comment-hidden"[\\s\\S]*?Hidden by a moderator: Spam &lt;b&gt;link&lt;/b&gt;`));
    assert.doesNotMatch(anon, /cheap pills/);
    assert.doesNotMatch((await site.app.inject({ method: 'GET', url: '/users/bob' })).body, /cheap pills/);
    // Moderators can still read it, and unhide it.
    const modView = (await mod.browser.request('GET', `/papers/${P1}`)).body;
    assert.match(modView, /Show the hidden text[\s\S]*?cheap pills/);
    assert.match(modView, new RegExp(`action="/comments/${c}/unhide"`));
    // Its author can no longer edit it, nor can anyone reply to it.
    assert.equal((await bob.browser.request('POST', `/comments/${c}/edit`, { body: 'sneaky', _csrf: bob.csrf })).statusCode, 403);
    assert.equal((await post(ada, P1, 'reply to spam', { parent_id: String(c) })).statusCode, 409);

    assert.equal((await ada.browser.request('POST', `/comments/${c}/unhide`, { _csrf: ada.csrf })).statusCode, 403);
    const shown = await mod.browser.request('POST', `/comments/${c}/unhide`, { _csrf: mod.csrf });
    assert.equal(shown.statusCode, 303);
    assert.equal((await counts(P1)).num_comments, before);
    assert.match(await anonymousPage(P1), /cheap pills/);
  });

  test('replies deeper than the limit join the deepest level', async () => {
    let parent: number | null = null;
    const ids: number[] = [];
    for (let i = 1; i <= 8; i++) {
      const res: Awaited<ReturnType<typeof post>> = await post(ada, P2, `level ${i}`, parent ? { parent_id: String(parent) } : {});
      assert.equal(res.statusCode, 303);
      parent = idFrom(res.headers.location);
      ids.push(parent);
    }
    const rows = await fx.db.query<{ id: number; parent_id: number | null }>(`SELECT id, parent_id FROM comments WHERE id = ANY($1::bigint[]) ORDER BY id`, [ids]);
    const parentOf = new Map(rows.map((r) => [r.id, r.parent_id]));
    assert.equal(parentOf.get(ids[5]), ids[4], 'level 6 is a reply to level 5');
    assert.equal(parentOf.get(ids[6]), ids[4], 'a reply to level 6 joins level 6');
    assert.equal(parentOf.get(ids[7]), ids[4]);
    const page = await anonymousPage(P2);
    for (const id of ids.slice(5)) assert.match(page, new RegExp(`id="comment-${id}"[^>]*data-level="6"`));
  });

  test('papers with old-style ids take comments too', async () => {
    const res = await post(ada, OLD, 'Old but gold');
    assert.equal(res.statusCode, 303);
    assert.match(String(res.headers.location), /^\/papers\/hep-th\/9901001#comment-\d+$/);
    assert.match(await anonymousPage(OLD), /Old but gold/);
  });

  test('JSON clients post with the token in a header and get JSON back', async () => {
    const res = await ada.browser.request('POST', `/papers/${P2}/comments`, { body: 'from a script' }, { accept: 'application/json', 'x-csrf-token': ada.csrf });
    assert.equal(res.statusCode, 201);
    const json = res.json() as { comment: { id: number; url: string }; numComments: number };
    assert.equal(json.comment.url, `/papers/${P2}#comment-${json.comment.id}`);
    assert.equal(json.numComments, (await counts(P2)).num_comments);
    const bad = await ada.browser.request('POST', `/papers/${P2}/comments`, { body: '' }, { accept: 'application/json', 'x-csrf-token': ada.csrf });
    assert.equal(bad.statusCode, 400);
    assert.equal((bad.json() as { error: { code: string } }).error.code, 'INVALID_BODY');
  });

  test('concurrent comments on one paper are all counted', async () => {
    const users = await fx.db.query<{ id: number }>(`SELECT id FROM users ORDER BY id`);
    const before = (await counts(P2)).num_comments;
    await Promise.all(Array.from({ length: 24 }, (_, i) => addComment(site.ctx, { paperId: P2, userId: users[i % users.length].id, body: `concurrent ${i}` })));
    const after = await counts(P2);
    assert.equal(after.num_comments, before + 24);
    const visible = await fx.db.query<{ n: number }>(`SELECT count(*)::int AS n FROM comments WHERE paper_id = $1 AND deleted_at IS NULL AND hidden_at IS NULL`, [P2]);
    assert.equal(after.num_comments, visible[0].n);
    assert.equal(after.trending_score, trendingScoreOfRow(after));
  });

  test('rate limits: 10 comments per member in 10 minutes, then per client address, with a 429 page and Retry-After', async () => {
    const limited = await createSite(fx.db, { start: site.now(), app: { comments: { ipLimit: { limit: 12, windowMs: 10 * 60_000 } } } });
    try {
      const eve = await signUp(limited, 'eve');
      const fay = await signUp(limited, 'fay');
      const say = (m: Member, i: number) => m.browser.request('POST', `/papers/${P2}/comments`, { body: `rate ${i}`, _csrf: m.csrf });
      for (let i = 0; i < 10; i++) assert.equal((await say(eve, i)).statusCode, 303, `comment ${i + 1}`);
      const over = await say(eve, 10);
      assert.equal(over.statusCode, 429);
      assert.ok(Number(over.headers['retry-after']) > 0 && Number(over.headers['retry-after']) <= 600);
      assert.match(over.body, /too many comments from you/);
      // Another member on the same address: the address has 2 comments left.
      assert.equal((await say(fay, 0)).statusCode, 303);
      assert.equal((await say(fay, 1)).statusCode, 303);
      const ip = await say(fay, 2);
      assert.equal(ip.statusCode, 429);
      assert.match(ip.body, /comments from your network/);
      // An empty comment is answered with what is wrong, not with the limit.
      assert.equal((await eve.browser.request('POST', `/papers/${P2}/comments`, { body: '', _csrf: eve.csrf })).statusCode, 400);
      limited.advance(10 * 60_000 + 1000);
      assert.equal((await say(eve, 11)).statusCode, 303, 'allowed again after the window');
    } finally {
      await limited.close();
    }
  });
});
