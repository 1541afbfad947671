// Submitting papers to the daily list through the pages, as members do it: by abs link, PDF link or
// versioned id, a paper fetched from arXiv (a local server replaying recorded arXiv answers), refusals
// (already on the list, unknown ids, the daily quota, arXiv unreachable, not signed in, no CSRF token),
// moderators removing submissions, and where a submission shows: today's list, the week, trending, the
// paper page and the Hugging Face API. On PGlite and on the PostgreSQL server.
import assert from 'node:assert/strict';
import { after, before, beforeEach, test } from 'node:test';
import { getPaper, writePapers } from '../../src/papers/papers.repository.ts';
import { forEachDatabase } from '../helpers/db.ts';
import { browser, createSite, signUp, type Member, type Site } from '../helpers/community.ts';
import { record } from '../helpers/records.ts';
import { addRecordedRoutes, closedPort, loadRecordedFixtures, ReplayServer, type RecordedFixture } from '../helpers/replay-server.ts';
import { sharedPath, skipWithoutShared } from '../helpers/shared.ts';

// The site's clock: Thursday 2025-07-03, 12:00 UTC (08:00 in New York). arXiv's last announcement was
// Wednesday 20:00 New York time, so the current daily list is Thursday's: 2025-07-03.
const TODAY = '2025-07-03';
const v1 = (day: string) => [{ version: 1, date: `${day}T10:00:00Z` }];

const OLD = '2401.00001'; // listed months ago: on today's list only by submission
const OLD2 = '2401.00002';
const OLD3 = 'hep-th/9901001';
const LISTED_TODAY = '2507.00301'; // on today's list by arXiv's listing already
const YESTERDAY = '2507.00201';
/** arXiv's recorded answer for 1605.08386 (../shared/fixtures/arxiv-api/recorded). */
const FETCHED = '1605.08386';
const FETCHED_TITLE = 'Heat-bath random walks with Markov bases';
/** A well-formed id arXiv has no paper for (answered with the recorded empty feed). */
const MISSING = '2507.99999';
const HOSTILE_NOTE = '<script>window.__pwned=1</script><img src=x onerror="alert(2)"> & "quoted" \'single\'';

function seed() {
  return [
    record({ id: OLD, title: 'An Old Paper Worth Reading', firstListed: '2024-01-03', versions: v1('2024-01-02') }),
    record({ id: OLD2, title: 'Another Old Paper', firstListed: '2024-01-03', versions: v1('2024-01-02') }),
    record({ id: OLD3, title: 'Strings Old and New', firstListed: '1999-01-04', versions: v1('1999-01-03'), categories: ['hep-th'] }),
    record({ id: LISTED_TODAY, title: 'Listed Today', firstListed: TODAY, versions: v1('2025-07-02') }),
    record({ id: '2507.00302', title: 'Also Listed Today', firstListed: TODAY, versions: v1('2025-07-02') }),
    record({ id: YESTERDAY, title: 'Listed Yesterday', firstListed: '2025-07-02', versions: v1('2025-07-01') }),
  ];
}

const fixtures: RecordedFixture[] = skipWithoutShared ? [] : loadRecordedFixtures(sharedPath('fixtures', 'arxiv-api', 'recorded'));
const emptyFeed = () => fixtures.find((f) => f.file.startsWith('id_0000.0000_'))!.body;

let server: ReplayServer;
before(async () => {
  server = await ReplayServer.start();
});
after(async () => {
  await server?.close();
});

type Json = Record<string, unknown>;

forEachDatabase('submitting papers', (fx) => {
  let site: Site;
  let ada: Member;
  let bob: Member;
  let modo: Member;

  const submit = (m: Member, fields: Record<string, string>, csrf: string | null = m.csrf) =>
    m.browser.request('POST', '/submit', { ...fields, ...(csrf === null ? {} : { _csrf: csrf }) });
  const live = async (paperId: string) =>
    fx.db.query<{ id: number; list_date: string; username: string; note: string | null }>(
      `SELECT s.id, s.list_date, u.username, s.note FROM submissions s JOIN users u ON u.id = s.user_id
        WHERE s.paper_id = $1 AND s.removed_at IS NULL ORDER BY s.id`,
      [paperId],
    );
  const anon = (url: string) => site.app.inject({ method: 'GET', url });

  before(async () => {
    await fx.db.transaction((tx) => writePapers(tx, seed()));
    site = await createSite(fx.db, {
      env: { ARXIV_API_URL: server.apiUrl, ARXIV_OAI_URL: server.oaiUrl, ARXIV_REQUEST_INTERVAL: '10ms' },
      app: { submit: { userLimit: { limit: 1000, windowMs: 60_000 }, ipLimit: { limit: 1000, windowMs: 60_000 }, service: { arxivOptions: { backoffBaseMs: 10, maxRetries: 1 } } } },
    });
    ada = await signUp(site, 'ada');
    bob = await signUp(site, 'bob');
    modo = await signUp(site, 'modo');
    await fx.db.query(`UPDATE users SET role = 'moderator' WHERE username = 'modo'`);
  });
  after(async () => {
    await site?.close();
  });
  beforeEach(async () => {
    server.reset();
    await fx.db.exec('DELETE FROM submissions');
  });

  test('the form: anonymous visitors are sent to sign in, members see it with their quota', async () => {
    const res = await anon('/submit');
    assert.equal(res.statusCode, 303);
    assert.equal(res.headers.location, '/signin?next=%2Fsubmit');
    const form = await ada.browser.request('GET', '/submit');
    assert.equal(form.statusCode, 200);
    assert.match(form.body, /<form method="post" action="\/submit"/);
    assert.match(form.body, /name="_csrf" value="[^"]+"/);
    assert.match(form.body, /name="paper"/);
    assert.match(form.body, /<textarea id="submit-note" name="note"[^>]* maxlength="500"/);
    assert.match(form.body, /href="\/papers\/date\/2025-07-03"/, 'names the list it goes onto');
    assert.match(form.body, /You can submit 5 more papers/);
    assert.equal(form.headers['cache-control'], 'no-store');
    const prefilled = await ada.browser.request('GET', '/submit?paper=2401.00001');
    assert.match(prefilled.body, /name="paper" value="2401\.00001"/);
  });

  test('not signed in, or without the form token: refused, nothing written', async () => {
    const res = await browser(site.app).request('POST', '/submit', { paper: OLD });
    assert.equal(res.statusCode, 303);
    assert.equal(res.headers.location, '/signin?next=%2Fsubmit');
    const json = await site.app.inject({ method: 'POST', url: '/submit', headers: { accept: 'application/json', 'content-type': 'application/x-www-form-urlencoded' }, payload: `paper=${OLD}` });
    assert.equal(json.statusCode, 401);
    const noCsrf = await submit(ada, { paper: OLD }, null);
    assert.equal(noCsrf.statusCode, 403);
    const wrongCsrf = await submit(ada, { paper: OLD }, bob.csrf);
    assert.equal(wrongCsrf.statusCode, 403, "another session's token does not do");
    assert.deepEqual(await live(OLD), []);
  });

  test('by abs link: on today’s list with the submitter and the note, on the paper page, cached pages refreshed', async () => {
    // Anonymous pages are cached: prime them, so the test sees that a submission refreshes them.
    assert.doesNotMatch((await anon(`/papers/date/${TODAY}`)).body, /An Old Paper Worth Reading/);
    assert.doesNotMatch((await anon('/papers')).body, /An Old Paper Worth Reading/);

    const res = await submit(ada, { paper: `https://arxiv.org/abs/${OLD}`, note: 'A classic on  heat-bath walks.' });
    assert.equal(res.statusCode, 303, res.body);
    const rows = await live(OLD);
    assert.equal(rows.length, 1);
    assert.deepEqual({ ...rows[0], id: 0 }, { id: 0, list_date: TODAY, username: 'ada', note: 'A classic on heat-bath walks.' });
    assert.equal(res.headers.location, `/papers/${OLD}?submitted=${rows[0].id}#submissions`);

    const thanks = await ada.browser.request('GET', String(res.headers.location).split('#')[0]);
    assert.equal(thanks.statusCode, 200);
    assert.match(thanks.body, /role="status">Thank you/);

    for (const url of [`/papers/date/${TODAY}`, '/papers']) {
      const page = await anon(url);
      assert.equal(page.statusCode, 200);
      const card = new RegExp(`data-paper-id="${OLD}"[\\s\\S]*?<p class="submitted-by">Submitted by <a href="/users/ada">@ada</a>: <q dir="auto">A classic on heat-bath walks\\.</q></p>`);
      assert.match(page.body, card, `${url} shows the submitted paper with its submitter and note`);
      assert.match(page.body, /Listed Today/, `${url} still shows the papers arXiv listed today`);
    }
    const paperPage = await anon(`/papers/${OLD}`);
    assert.match(paperPage.body, /<section id="submissions"/);
    assert.match(paperPage.body, /submitted by <a href="\/users\/ada">@ada<\/a>/);
    assert.doesNotMatch(paperPage.body, /Thank you/, 'the thanks are for the submitter only');
    assert.doesNotMatch(paperPage.body, /remove-submission-form/, 'no remove form for visitors');
    // The profile lists it.
    assert.match((await anon('/users/ada')).body, /An Old Paper Worth Reading/);
  });

  test('by PDF link and by versioned id; old-style ids too', async () => {
    const pdf = await submit(bob, { paper: `https://arxiv.org/pdf/${OLD2}v1.pdf` });
    assert.equal(pdf.statusCode, 303);
    assert.equal((await live(OLD2))[0]?.username, 'bob');
    const versioned = await submit(bob, { paper: `${OLD}v2` });
    assert.equal(versioned.statusCode, 303);
    assert.equal((await live(OLD))[0]?.username, 'bob');
    const old = await submit(ada, { paper: `arXiv:${OLD3}v1` });
    assert.equal(old.statusCode, 303);
    assert.equal(old.headers.location, `/papers/${OLD3}?submitted=${(await live(OLD3))[0].id}#submissions`);
  });

  test('the same paper twice on one day’s list: 409 with a link to the existing entry', async () => {
    assert.equal((await submit(ada, { paper: OLD, note: 'first' })).statusCode, 303);
    const again = await submit(bob, { paper: `https://arxiv.org/abs/${OLD}v1` });
    assert.equal(again.statusCode, 409);
    assert.match(again.body, new RegExp(`href="/papers/${OLD}#submissions"`));
    assert.match(again.body, /@ada/);
    assert.match(again.body, /href="\/papers\/date\/2025-07-03"/);
    const self = await submit(ada, { paper: OLD });
    assert.equal(self.statusCode, 409);
    assert.equal((await live(OLD)).length, 1);
  });

  test('two members submitting one paper at the same moment: one entry, one 409', async () => {
    const [a, b] = await Promise.all([submit(ada, { paper: OLD2 }), submit(bob, { paper: OLD2 })]);
    assert.deepEqual([a.statusCode, b.statusCode].sort(), [303, 409]);
    assert.equal((await live(OLD2)).length, 1);
  });

  test('not an arXiv id, a note too long: 422 with the form and what was typed', async () => {
    const bad = await submit(ada, { paper: 'https://example.org/abs/2401.00001', note: 'keep me' });
    assert.equal(bad.statusCode, 422);
    assert.match(bad.body, /is not an arXiv identifier or link/);
    assert.match(bad.body, /aria-invalid="true"/);
    assert.match(bad.body, />keep me<\/textarea>/);
    const empty = await submit(ada, { paper: '   ' });
    assert.equal(empty.statusCode, 422);
    const long = await submit(ada, { paper: OLD, note: 'x'.repeat(501) });
    assert.equal(long.statusCode, 422);
    assert.match(long.body, /at most 500/);
    assert.deepEqual(await live(OLD), []);
    // 500 characters (not UTF-16 units) fit.
    assert.equal((await submit(ada, { paper: OLD, note: '😀'.repeat(500) })).statusCode, 303);
  });

  test('a paper that is not stored yet is fetched from arXiv, stored and listed today', { skip: skipWithoutShared }, async () => {
    addRecordedRoutes(server, fixtures);
    assert.equal(await getPaper(fx.db, FETCHED), null);
    const res = await submit(ada, { paper: `https://arxiv.org/abs/${FETCHED}`, note: 'Fetched for you' });
    assert.equal(res.statusCode, 303, res.body);
    assert.equal(server.requests.length, 1);
    assert.equal(server.requests[0].params.get('id_list'), FETCHED);
    assert.match(server.requests[0].userAgent ?? '', /^paperpulse\//);
    const paper = await getPaper(fx.db, FETCHED);
    assert.equal(paper?.title, FETCHED_TITLE);
    assert.equal((await live(FETCHED))[0]?.list_date, TODAY);
    const day = await anon(`/papers/date/${TODAY}`);
    assert.match(day.body, new RegExp(FETCHED_TITLE));
  });

  test('an id arXiv does not know: 404 with "arXiv has no paper", nothing written', { skip: skipWithoutShared }, async () => {
    server.route('empty', { id_list: MISSING }, { body: emptyFeed() });
    const res = await submit(ada, { paper: MISSING });
    assert.equal(res.statusCode, 404);
    assert.match(res.body, new RegExp(`arXiv has no paper ${MISSING.replace('.', '\\.')}`));
    assert.equal(await getPaper(fx.db, MISSING), null);
    assert.deepEqual(await live(MISSING), []);
  });

  test('arXiv busy or unreachable: 503 "try again later", nothing written', async () => {
    server.route('busy', { id_list: /./ }, { status: 503, headers: { 'retry-after': '0' }, body: 'busy' });
    const busy = await submit(ada, { paper: MISSING });
    assert.equal(busy.statusCode, 503);
    assert.match(busy.body, /try again later/);
    assert.equal(busy.headers['retry-after'], '60');
    assert.ok(server.requests.length >= 1);

    const down = await createSite(fx.db, { env: { ARXIV_API_URL: `http://127.0.0.1:${await closedPort()}/api/query`, ARXIV_REQUEST_INTERVAL: '0' }, app: { submit: { service: { arxivOptions: { backoffBaseMs: 1, maxRetries: 0 } } } } });
    try {
      const carol = await signUp(down, 'carol');
      const res = await submit(carol, { paper: MISSING, note: 'hello' });
      assert.equal(res.statusCode, 503);
      assert.match(res.body, /arXiv cannot be reached/);
      assert.match(res.body, /href="\/submit\?paper=2507\.99999"/);
    } finally {
      await down.close();
    }
    assert.equal(await getPaper(fx.db, MISSING), null);
    assert.deepEqual(await live(MISSING), []);
  });

  test('the daily quota: refused with 429 and the time it resets; moderators are exempt; removals free a place; the next list starts afresh', async () => {
    const small = await createSite(fx.db, { env: { SUBMISSION_DAILY_QUOTA: '2' } });
    try {
      const dora = await signUp(small, 'dora');
      const mod = await signUp(small, 'mod2');
      await fx.db.query(`UPDATE users SET role = 'moderator' WHERE username = 'mod2'`);
      const post = (m: Member, paper: string) => m.browser.request('POST', '/submit', { paper, _csrf: m.csrf });
      assert.equal((await post(dora, OLD)).statusCode, 303);
      assert.match((await dora.browser.request('GET', '/submit')).body, /one more paper/);
      assert.equal((await post(dora, OLD2)).statusCode, 303);
      const third = await post(dora, OLD3);
      assert.equal(third.statusCode, 429);
      assert.match(third.body, /2 papers to today’s list/);
      // Thursday's list is followed by Friday's at arXiv's announcement, Thursday 20:00 New York (00:00 UTC).
      assert.match(third.body, /datetime="2025-07-04T00:00:00\.000Z"/);
      assert.equal(third.headers['retry-after'], String(12 * 3600));
      assert.deepEqual(await live(OLD3), []);
      // Moderators are not counted.
      for (const id of [OLD3, LISTED_TODAY, YESTERDAY]) assert.equal((await post(mod, id)).statusCode, 303);
      // A removed submission no longer counts.
      const [first] = await live(OLD);
      const removed = await mod.browser.request('POST', `/submissions/${first.id}/remove`, { reason: 'off-topic', _csrf: mod.csrf });
      assert.equal(removed.statusCode, 303);
      assert.equal((await post(dora, '2507.00302')).statusCode, 303);
      assert.equal((await post(dora, OLD)).statusCode, 429);
      // Friday's list: two more.
      small.advance(12 * 3600_000 + 1000);
      assert.equal((await post(dora, OLD)).statusCode, 303);
      assert.equal((await live(OLD)).at(-1)?.list_date, '2025-07-04');
    } finally {
      await small.close();
    }
  });

  test('a quota of 0: only moderators submit', async () => {
    const closed = await createSite(fx.db, { env: { SUBMISSION_DAILY_QUOTA: '0' } });
    try {
      const eve = await signUp(closed, 'eve');
      const res = await eve.browser.request('POST', '/submit', { paper: OLD, _csrf: eve.csrf });
      assert.equal(res.statusCode, 429);
      assert.match(res.body, /only moderators submit/);
    } finally {
      await closed.close();
    }
  });

  test('moderators remove a submission (with a reason); anyone else gets 403', async () => {
    assert.equal((await submit(ada, { paper: OLD, note: 'spam?' })).statusCode, 303);
    const [entry] = await live(OLD);

    const anonymous = await browser(site.app).request('POST', `/submissions/${entry.id}/remove`, {});
    assert.equal(anonymous.statusCode, 303);
    assert.match(String(anonymous.headers.location), /^\/signin\?next=/);
    const own = await ada.browser.request('POST', `/submissions/${entry.id}/remove`, { _csrf: ada.csrf });
    assert.equal(own.statusCode, 403, 'the submitter is not a moderator');
    const other = await bob.browser.request('POST', `/submissions/${entry.id}/remove`, { _csrf: bob.csrf });
    assert.equal(other.statusCode, 403);
    const noToken = await modo.browser.request('POST', `/submissions/${entry.id}/remove`, {});
    assert.equal(noToken.statusCode, 403, 'a moderator needs the form token too');
    assert.equal((await live(OLD)).length, 1);

    // The moderator sees the remove form on the paper page.
    const modPage = await modo.browser.request('GET', `/papers/${OLD}`);
    assert.match(modPage.body, new RegExp(`action="/submissions/${entry.id}/remove"`));
    const done = await modo.browser.request('POST', `/submissions/${entry.id}/remove`, { reason: 'Not a paper <b>anyone</b> asked for', _csrf: modo.csrf });
    assert.equal(done.statusCode, 303);
    assert.equal(done.headers.location, `/papers/${OLD}#submissions`);
    const [row] = await fx.db.query<{ removed_at: Date | null; removed_reason: string; removed_by: string }>(
      `SELECT s.removed_at, s.removed_reason, u.username AS removed_by FROM submissions s JOIN users u ON u.id = s.removed_by WHERE s.id = $1`,
      [entry.id],
    );
    assert.ok(row.removed_at);
    assert.equal(row.removed_by, 'modo');
    assert.equal(row.removed_reason, 'Not a paper <b>anyone</b> asked for');

    // Gone from today's list and from the paper page for visitors; moderators still see it, marked removed.
    assert.doesNotMatch((await anon(`/papers/date/${TODAY}`)).body, /An Old Paper Worth Reading/);
    assert.doesNotMatch((await anon(`/papers/${OLD}`)).body, /<section id="submissions"/);
    const after = await modo.browser.request('GET', `/papers/${OLD}`);
    assert.match(after.body, /Removed by @modo: <span dir="auto">Not a paper &lt;b&gt;anyone&lt;\/b&gt; asked for<\/span>/);
    // Removing again changes nothing; unknown ids are 404.
    assert.equal((await modo.browser.request('POST', `/submissions/${entry.id}/remove`, { _csrf: modo.csrf })).statusCode, 303);
    assert.equal((await modo.browser.request('POST', '/submissions/999999/remove', { _csrf: modo.csrf })).statusCode, 404);
    // The place is free again.
    assert.equal((await submit(bob, { paper: OLD })).statusCode, 303);
  });

  test('lists: a week, a month and trending hold each paper once; a paper listed today and submitted shows its submitter', async () => {
    assert.equal((await submit(ada, { paper: LISTED_TODAY, note: 'also on arXiv today' })).statusCode, 303);
    assert.equal((await submit(bob, { paper: OLD })).statusCode, 303);
    for (const url of ['/papers/week/2025-W27', '/papers/month/2025-07', '/papers/trending', `/papers/date/${TODAY}`]) {
      const body = (await anon(url)).body;
      for (const id of [LISTED_TODAY, OLD]) {
        const cards = body.match(new RegExp(`<article class="paper-card"[^>]*data-paper-id="${id}"`, 'g')) ?? [];
        assert.equal(cards.length, 1, `${url} shows ${id} once`);
      }
      assert.match(body, /Submitted by <a href="\/users\/ada">@ada<\/a>: <q dir="auto">also on arXiv today<\/q>/);
    }
    // The day's count: 2 listed by arXiv + 1 submitted (the other submitted one is listed that day anyway).
    const json = (await anon(`/api/v1/feeds/day/${TODAY}`)).json() as { pagination: { total: number }; papers: { id: string }[] };
    assert.equal(json.pagination.total, 3);
    assert.deepEqual(json.papers.map((p) => p.id).sort(), [OLD, LISTED_TODAY, '2507.00302'].sort());
    // The old paper's own listing day still has it, without the submission.
    const jan = (await anon('/papers/date/2024-01-03')).body;
    assert.match(jan, /An Old Paper Worth Reading/);
    assert.doesNotMatch(jan, /submitted-by/);
  });

  test('a day with only submitted papers is a day with papers: /papers shows it, neighbours link to it', async () => {
    const later = await createSite(fx.db, { start: new Date('2025-07-08T15:00:00Z') }); // Tuesday: Tuesday's list
    try {
      const fay = await signUp(later, 'fay');
      assert.equal((await fay.browser.request('POST', '/submit', { paper: OLD, _csrf: fay.csrf })).statusCode, 303);
      const latest = await later.app.inject({ method: 'GET', url: '/papers' });
      assert.match(latest.body, /An Old Paper Worth Reading/);
      assert.match(latest.body, /July 8, 2025|8 July 2025/);
      const before = await later.app.inject({ method: 'GET', url: `/papers/date/${TODAY}` });
      assert.match(before.body, /rel="next" href="\/papers\/date\/2025-07-08"/);
    } finally {
      await later.close();
    }
  });

  test('hostile notes are escaped everywhere they show', async () => {
    assert.equal((await submit(ada, { paper: OLD, note: HOSTILE_NOTE })).statusCode, 303);
    const escaped = '&lt;script&gt;window.__pwned=1&lt;/script&gt;&lt;img src=x onerror=&quot;alert(2)&quot;&gt; &amp; &quot;quoted&quot; &#39;single&#39;';
    for (const url of [`/papers/date/${TODAY}`, `/papers/${OLD}`, '/papers/trending']) {
      const body = (await anon(url)).body;
      assert.ok(body.includes(escaped), `${url} shows the note escaped`);
      assert.ok(!body.includes('<script>window.__pwned'), `${url} has no raw script`);
      assert.ok(!body.includes('<img src=x'), `${url} has no raw img`);
    }
    const api = (await anon(`/api/daily_papers?date=${TODAY}`)).json() as Json[];
    assert.ok(api.length > 0);
  });

  test('Hugging Face API: submittedBy names the member, ?submitter filters by username', async () => {
    assert.equal((await submit(ada, { paper: OLD })).statusCode, 303);
    const at = site.now().toISOString();
    const daily = (await anon(`/api/daily_papers?date=${TODAY}`)).json() as Json[];
    const item = daily.find((d) => (d.paper as Json).id === OLD)!;
    assert.ok(item, 'the submitted paper is on the day');
    assert.deepEqual(
      { user: (item.submittedBy as Json).user, fullname: (item.submittedBy as Json).fullname, at: item.submittedOnDailyAt, byInPaper: ((item.paper as Json).submittedOnDailyBy as Json).user },
      { user: 'ada', fullname: 'ada', at, byInPaper: 'ada' },
    );
    const arxivItem = daily.find((d) => (d.paper as Json).id === LISTED_TODAY)!;
    assert.equal((arxivItem.submittedBy as Json).user, 'arxiv');

    const mine = (await anon('/api/daily_papers?submitter=ada')).json() as Json[];
    assert.deepEqual(mine.map((d) => (d.paper as Json).id), [OLD]);
    assert.deepEqual((await anon(`/api/daily_papers?submitter=ADA&date=${TODAY}&sort=trending`)).json().map((d: Json) => (d.paper as Json).id), [OLD]);
    assert.deepEqual((await anon('/api/daily_papers?submitter=ada&date=2025-07-02')).json(), []);
    assert.deepEqual((await anon('/api/daily_papers?submitter=nobody')).json(), []);
    const arxivOnly = (await anon(`/api/daily_papers?submitter=arxiv&date=${TODAY}`)).json() as Json[];
    assert.deepEqual(arxivOnly.map((d) => (d.paper as Json).id).sort(), [LISTED_TODAY, '2507.00302'].sort());

    const info = (await anon(`/api/papers/${OLD}`)).json() as Json;
    assert.equal((info.submittedBy as Json).user, 'ada');
    assert.equal(((await anon(`/api/papers/${OLD2}`)).json() as Json & { submittedBy: Json }).submittedBy.user, 'arxiv');
  });

  test('rate limits: per member and per client address, with a 429 page', async () => {
    const tight = await createSite(fx.db, { app: { submit: { userLimit: { limit: 2, windowMs: 60_000 }, ipLimit: { limit: 4, windowMs: 60_000 } } } });
    try {
      const gus = await signUp(tight, 'gus');
      const hal = await signUp(tight, 'hal');
      const post = (m: Member) => m.browser.request('POST', '/submit', { paper: 'nonsense', _csrf: m.csrf });
      assert.equal((await post(gus)).statusCode, 422);
      assert.equal((await post(gus)).statusCode, 422);
      const limited = await post(gus);
      assert.equal(limited.statusCode, 429);
      assert.match(limited.body, /too many submissions/);
      assert.ok(Number(limited.headers['retry-after']) > 0);
      // The same address (every inject comes from 127.0.0.1): its limit is reached after one more.
      assert.equal((await post(hal)).statusCode, 422);
      assert.equal((await post(hal)).statusCode, 429);
    } finally {
      await tight.close();
    }
  });
});
