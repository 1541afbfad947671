// "200 users voting on one paper at once ends with exactly 200; the trending score updates in the same
// transaction" (issue 5), through HTTP: 200 members, each with a session, press the upvote button of one
// paper at the same moment (the script's fetch: JSON and X-CSRF-Token), on PGlite and on the PostgreSQL
// server (its pool serves the requests in parallel). Then all 200 take their upvote back at once.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { insertSession } from '../../src/accounts/accounts.repository.ts';
import { hashSecret, newSecret } from '../../src/accounts/secrets.ts';
import { trendingScoreOfRow } from '../../src/feed/ranking.ts';
import { countVotes, getPaperCounts } from '../../src/feed/votes.repository.ts';
import { Auth } from '../../src/http/web/auth.ts';
import { writePapers } from '../../src/papers/papers.repository.ts';
import { forEachDatabase } from '../helpers/db.ts';
import { createSite, type Site } from '../helpers/community.ts';
import { record } from '../helpers/records.ts';

const PAPER = '2507.00201';
const VOTERS = 200;
/** Comments make the formula's second term matter: weighted votes = upvotes + min(upvotes, 0.5 × comments). */
const COMMENTS = 30;

forEachDatabase('200 members voting at once over HTTP', (fx) => {
  let site: Site;
  let voters: { cookie: string; csrf: string }[] = [];

  before(async () => {
    await fx.db.transaction((tx) => writePapers(tx, [record({ id: PAPER, title: 'The Crowded Paper', firstListed: '2025-07-02' })]));
    await fx.db.query('UPDATE papers SET num_comments = $2 WHERE id = $1', [PAPER, COMMENTS]);
    site = await createSite(fx.db);
    // Members and sessions straight into the database (signing 200 people in through the pages would test
    // the sign-in, not the votes); the cookie and CSRF token are what a sign-in would hand out.
    const users = await fx.db.query<{ id: number }>(
      `INSERT INTO users (username, email) SELECT 'crowd-' || g, 'crowd-' || g || '@example.org' FROM generate_series(1, ${VOTERS}) AS g RETURNING id`,
    );
    assert.equal(users.length, VOTERS);
    const auth = new Auth(site.ctx);
    const now = site.now();
    voters = [];
    for (const { id } of users) {
      const token = newSecret();
      await insertSession(fx.db, { id: hashSecret(token), userId: id, expiresAt: new Date(now.getTime() + 86400_000), userAgent: null, now });
      voters.push({ cookie: `${auth.cookieName}=${token}`, csrf: auth.csrfFor(hashSecret(token)) });
    }
  });
  after(async () => {
    await site?.close();
  });

  const pressAll = (action: 'upvote' | 'unvote') =>
    Promise.all(
      voters.map((v) =>
        site.app.inject({
          method: 'POST',
          url: `/papers/${PAPER}/${action}`,
          headers: { cookie: v.cookie, accept: 'application/json', 'x-csrf-token': v.csrf },
        }),
      ),
    );

  const expectExact = async (upvotes: number) => {
    const row = (await getPaperCounts(fx.db, PAPER))!;
    assert.equal(row.upvotes, upvotes, 'papers.upvotes');
    assert.equal(await countVotes(fx.db, PAPER), upvotes, 'vote rows');
    // Stored bit for bit as the formula computes it from the final counts (docs/trending.md).
    assert.equal(row.trending_score, trendingScoreOfRow(row), 'trending_score');
    const page = await site.app.inject({ method: 'GET', url: `/papers/${PAPER}` });
    assert.ok(page.body.includes(`<span class="upvote-count">${upvotes}</span>`), 'the page shows the count');
  };

  test(`${VOTERS} upvotes at once count exactly ${VOTERS}, with the trending score of ${VOTERS}`, async () => {
    const before = (await getPaperCounts(fx.db, PAPER))!;
    const answers = await pressAll('upvote');
    for (const res of answers) assert.equal(res.statusCode, 200, res.body.slice(0, 200));
    const bodies = answers.map((r) => r.json() as { paperId: string; voted: boolean; upvotes: number });
    assert.ok(bodies.every((b) => b.paperId === PAPER && b.voted));
    // Each vote saw the count its own transaction made: every value from 1 to 200 exactly once.
    assert.deepEqual(bodies.map((b) => b.upvotes).sort((a, b) => a - b), Array.from({ length: VOTERS }, (_, i) => i + 1));
    await expectExact(VOTERS);
    const after = (await getPaperCounts(fx.db, PAPER))!;
    assert.ok(after.trending_score > before.trending_score);
    assert.equal(after.trending_score, trendingScoreOfRow({ upvotes: VOTERS, num_comments: COMMENTS, first_listed: '2025-07-02' }));
  });

  test(`${VOTERS} upvotes taken back at once leave exactly 0`, async () => {
    const answers = await pressAll('unvote');
    for (const res of answers) assert.equal(res.statusCode, 200, res.body.slice(0, 200));
    assert.deepEqual(
      answers.map((r) => (r.json() as { upvotes: number }).upvotes).sort((a, b) => a - b),
      Array.from({ length: VOTERS }, (_, i) => i),
    );
    await expectExact(0);
  });
});
