// Votes, the counts they keep on papers, and the stored trending score, on both databases.
import assert from 'node:assert/strict';
import { EventEmitter } from 'node:events';
import { after, describe, test } from 'node:test';
import type { AppEvents } from '../../src/context.ts';
import { openDb, type Db } from '../../src/db/client.ts';
import { loadMigrations, migrate } from '../../src/db/migrate.ts';
import { initialTrendingSql, listedAtFor, trendingScore, trendingScoreOfRow } from '../../src/feed/ranking.ts';
import { countVotes, ensureUser, getPaperCounts, hasVoted } from '../../src/feed/votes.repository.ts';
import {
  PaperNotFoundError,
  recomputeAll,
  unvote,
  upvote,
  UserNotFoundError,
  type VoteContext,
} from '../../src/feed/votes.service.ts';
import { writePapers } from '../../src/papers/papers.repository.ts';
import { createServerDatabase, forEachDatabase } from '../helpers/db.ts';
import { record } from '../helpers/records.ts';

/** A context over the test database that records every 'papers-changed' event. */
function voteContext(db: Db): VoteContext & { changed: (string[] | undefined)[] } {
  const events = new EventEmitter() as AppEvents;
  const changed: (string[] | undefined)[] = [];
  events.on('papers-changed', (info) => changed.push(info.paperIds));
  return { db, events, changed };
}

const zeroVoteScore = (day: string) => trendingScore({ upvotes: 0, comments: 0, listedAt: listedAtFor(day) });

async function storedRowMatchesFormula(db: Db, paperId: string): Promise<void> {
  const c = await getPaperCounts(db, paperId);
  assert.ok(c, paperId);
  assert.ok(Object.is(c.trending_score, trendingScoreOfRow(c)), `${paperId}: stored ${c.trending_score}, formula ${trendingScoreOfRow(c)}`);
}

/** Dates spread over leap days, the epoch, far past and far future. */
const DAYS = ['1991-08-14', '2000-02-29', '2024-02-29', '2024-12-31', '2025-01-01', '2025-01-02', '2025-07-02', '2026-03-10', '2040-12-31'];

forEachDatabase('votes', (fx) => {
  const PAPER = '2507.00001';
  const OTHER = '2507.00002';
  let alice: number;
  let bob: number;

  test('setup: two papers and two users', async () => {
    await fx.db.transaction((tx) =>
      writePapers(tx, [record({ id: PAPER, firstListed: '2025-07-02' }), record({ id: OTHER, firstListed: '2025-07-03' })]),
    );
    alice = (await ensureUser(fx.db, 'alice')).id;
    bob = (await ensureUser(fx.db, 'bob')).id;
    assert.deepEqual(await ensureUser(fx.db, 'alice'), { id: alice, created: false });
    await assert.rejects(ensureUser(fx.db, 'Not Valid'), /users_username_format/);
  });

  test('an upvote counts once, stores the formula score and tells listeners after commit', async () => {
    const ctx = voteContext(fx.db);
    const first = await upvote(ctx, { userId: alice, paperId: PAPER });
    assert.equal(first.changed, true);
    assert.equal(first.voted, true);
    assert.equal(first.upvotes, 1);
    assert.ok(Object.is(first.trendingScore, trendingScore({ upvotes: 1, comments: 0, listedAt: listedAtFor('2025-07-02') })));
    assert.deepEqual(ctx.changed, [[PAPER]]);

    const again = await upvote(ctx, { userId: alice, paperId: PAPER });
    assert.equal(again.changed, false, 'a second upvote does nothing');
    assert.equal(again.upvotes, 1);
    assert.equal(await countVotes(fx.db, PAPER), 1);
    assert.equal(ctx.changed.length, 1, 'no event when nothing changed');

    const b = await upvote(ctx, { userId: bob, paperId: PAPER });
    assert.equal(b.upvotes, 2);
    assert.equal((await getPaperCounts(fx.db, PAPER))!.upvotes, 2);
    await storedRowMatchesFormula(fx.db, PAPER);
    assert.equal((await getPaperCounts(fx.db, OTHER))!.upvotes, 0, 'other papers are untouched');
  });

  test('an unvote withdraws once; without a vote it changes nothing', async () => {
    const ctx = voteContext(fx.db);
    const r = await unvote(ctx, { userId: bob, paperId: PAPER });
    assert.deepEqual({ changed: r.changed, voted: r.voted, upvotes: r.upvotes }, { changed: true, voted: false, upvotes: 1 });
    assert.equal(await hasVoted(fx.db, bob, PAPER), false);
    const again = await unvote(ctx, { userId: bob, paperId: PAPER });
    assert.equal(again.changed, false);
    assert.equal(again.upvotes, 1);
    assert.deepEqual(ctx.changed, [[PAPER]]);
    await storedRowMatchesFormula(fx.db, PAPER);

    await unvote(ctx, { userId: alice, paperId: PAPER });
    const c = (await getPaperCounts(fx.db, PAPER))!;
    assert.equal(c.upvotes, 0);
    assert.ok(Object.is(c.trending_score, zeroVoteScore('2025-07-02')), 'back to the score of no votes');
  });

  test('an unknown paper is a PaperNotFoundError and writes nothing', async () => {
    const ctx = voteContext(fx.db);
    const before = await fx.db.query<{ n: number }>('SELECT count(*)::int AS n FROM votes');
    for (const fn of [upvote, unvote]) {
      await assert.rejects(fn(ctx, { userId: alice, paperId: '2507.99999' }), (err: unknown) => {
        assert.ok(err instanceof PaperNotFoundError);
        assert.equal(err.code, 'PAPER_NOT_FOUND');
        assert.equal(err.paperId, '2507.99999');
        return true;
      });
    }
    const afterRows = await fx.db.query<{ n: number }>('SELECT count(*)::int AS n FROM votes');
    assert.equal(afterRows[0].n, before[0].n);
    assert.equal(ctx.changed.length, 0);
  });

  test('an unknown user is a UserNotFoundError and writes nothing', async () => {
    const ctx = voteContext(fx.db);
    await assert.rejects(upvote(ctx, { userId: 987654, paperId: OTHER }), (err: unknown) => {
      assert.ok(err instanceof UserNotFoundError);
      assert.equal(err.code, 'USER_NOT_FOUND');
      return true;
    });
    const c = (await getPaperCounts(fx.db, OTHER))!;
    assert.equal(c.upvotes, 0);
    assert.equal(await countVotes(fx.db, OTHER), 0);
    assert.equal(ctx.changed.length, 0);
  });

  test('200 users voting at once (each twice) count exactly 200; 200 unvotes at once bring it back to 0', async () => {
    const ctx = voteContext(fx.db);
    const users = await fx.db.query<{ id: number }>(
      `INSERT INTO users (username) SELECT 'voter-' || g FROM generate_series(1, 200) AS g RETURNING id`,
    );
    assert.equal(users.length, 200);
    const calls = users.flatMap((u) => [upvote(ctx, { userId: u.id, paperId: OTHER }), upvote(ctx, { userId: u.id, paperId: OTHER })]);
    const results = await Promise.all(calls);
    assert.equal(results.filter((r) => r.changed).length, 200, 'exactly one of each pair counted');
    assert.equal((await getPaperCounts(fx.db, OTHER))!.upvotes, 200);
    assert.equal(await countVotes(fx.db, OTHER), 200);
    assert.equal(Math.max(...results.map((r) => r.upvotes)), 200);
    assert.equal(ctx.changed.length, 200);
    await storedRowMatchesFormula(fx.db, OTHER);

    await Promise.all(users.map((u) => unvote(ctx, { userId: u.id, paperId: OTHER })));
    const c = (await getPaperCounts(fx.db, OTHER))!;
    assert.equal(c.upvotes, 0);
    assert.equal(await countVotes(fx.db, OTHER), 0);
    assert.ok(Object.is(c.trending_score, zeroVoteScore('2025-07-03')));
  });

  test('recompute agrees with per-vote updates and repairs what differs', async () => {
    const ctx = voteContext(fx.db);
    await fx.db.transaction((tx) =>
      writePapers(tx, DAYS.map((day, i) => record({ id: `2508.${String(10 + i).padStart(5, '0')}`, firstListed: day }))),
    );
    const voters = await fx.db.query<{ id: number }>('SELECT id FROM users ORDER BY id LIMIT 40');
    const ids = DAYS.map((_, i) => `2508.${String(10 + i).padStart(5, '0')}`);
    for (const [i, id] of ids.entries()) {
      for (const v of voters.slice(0, i * 4)) await upvote(ctx, { userId: v.id, paperId: id });
    }
    // Newly written papers may still carry 0 (until the paper writer stores initialTrendingSql), so a
    // first recompute may change those; per-vote updates must leave nothing else for it to do.
    await recomputeAll(ctx);
    const second = await recomputeAll(ctx, { batchSize: 3 });
    assert.equal(second.changed, 0, 'a recompute right after another changes nothing');
    assert.equal(second.papers, (await fx.db.query<{ n: number }>('SELECT count(*)::int AS n FROM papers'))[0].n);
    for (const id of [...ids, PAPER, OTHER]) await storedRowMatchesFormula(fx.db, id);

    // Votes after a recompute: the recompute still agrees bit for bit.
    for (const v of voters.slice(0, 7)) await upvote(ctx, { userId: v.id, paperId: ids[0] });
    assert.equal((await recomputeAll(ctx)).changed, 0);

    // Comments (written by a later feature) and a damaged score: the recompute puts them right, in
    // batches of 2 with progress that reaches the total.
    await fx.db.query(`UPDATE papers SET num_comments = 9 WHERE id = $1`, [ids[3]]);
    await fx.db.query(`UPDATE papers SET trending_score = -1 WHERE id = $1`, [ids[5]]);
    const progress: number[] = [];
    ctx.changed.length = 0;
    const summary = await recomputeAll(ctx, { batchSize: 2, onProgress: (p) => progress.push(p.done) });
    assert.equal(summary.changed, 2);
    assert.equal(summary.batches, Math.ceil(summary.papers / 2));
    assert.deepEqual(progress, [...progress].sort((a, b) => a - b));
    assert.equal(progress.at(-1), summary.papers);
    assert.deepEqual(ctx.changed, [undefined], 'one papers-changed event for the whole recompute');
    await storedRowMatchesFormula(fx.db, ids[3]);
    await storedRowMatchesFormula(fx.db, ids[5]);
    assert.ok((await getPaperCounts(fx.db, ids[3]))!.trending_score > zeroVoteScore(DAYS[3]) + Math.log10(12) - 1e-12);
  });

  test('--recount-votes repairs upvotes after a user is deleted (the cascade leaves counts behind)', async () => {
    const ctx = voteContext(fx.db);
    const paper = '2508.00011';
    const before = (await getPaperCounts(fx.db, paper))!.upvotes;
    assert.ok(before > 0);
    const [voter] = await fx.db.query<{ user_id: number }>('SELECT user_id FROM votes WHERE paper_id = $1 LIMIT 1', [paper]);
    await fx.db.query('DELETE FROM users WHERE id = $1', [voter.user_id]);
    assert.equal((await getPaperCounts(fx.db, paper))!.upvotes, before, 'the cascade does not touch papers.upvotes');
    const summary = await recomputeAll(ctx, { recountVotes: true });
    assert.ok(summary.recounted >= 1);
    const c = (await getPaperCounts(fx.db, paper))!;
    assert.equal(c.upvotes, before - 1);
    assert.equal(c.upvotes, await countVotes(fx.db, paper));
    await storedRowMatchesFormula(fx.db, paper);
    assert.equal((await recomputeAll(ctx, { recountVotes: true })).recounted, 0);
  });

  test('votes during a recompute are neither lost nor counted twice', async () => {
    const ctx = voteContext(fx.db);
    const paper = '2508.00012';
    const start = (await getPaperCounts(fx.db, paper))!.upvotes;
    const fresh = await fx.db.query<{ id: number }>(
      `INSERT INTO users (username) SELECT 'late-' || g FROM generate_series(1, 60) AS g RETURNING id`,
    );
    await Promise.all([
      recomputeAll(ctx, { batchSize: 1, recountVotes: true }),
      ...fresh.map((u) => upvote(ctx, { userId: u.id, paperId: paper })),
      recomputeAll(ctx, { batchSize: 2, recountVotes: true }),
    ]);
    const c = (await getPaperCounts(fx.db, paper))!;
    assert.equal(c.upvotes, start + 60);
    assert.equal(await countVotes(fx.db, paper), start + 60);
    await storedRowMatchesFormula(fx.db, paper);
  });

  test('initialTrendingSql gives bit-for-bit the TypeScript score of a paper without votes', async () => {
    const rows = await fx.db.query<{ day: string; s: number }>(
      `SELECT d::date::text AS day, ${initialTrendingSql('d::date')} AS s
       FROM generate_series(DATE '1990-01-01', DATE '2060-12-31', interval '1 day') AS d`,
    );
    assert.ok(rows.length > 25_000);
    for (const r of rows) assert.ok(Object.is(r.s, zeroVoteScore(r.day)), `${r.day}: SQL ${r.s}, TS ${zeroVoteScore(r.day)}`);
  });

  test(
    'a paper written by the paper store starts at the score of no votes',
    async () => {
      await fx.db.transaction((tx) => writePapers(tx, [record({ id: '2509.00001', firstListed: '2026-03-10' })]));
      const c = (await getPaperCounts(fx.db, '2509.00001'))!;
      assert.ok(Object.is(c.trending_score, zeroVoteScore('2026-03-10')), `stored ${c.trending_score}`);
    },
  );
});

// Migration 0002 sets the scores of papers stored before it: run 0001, store papers, then 0002.
const serverUrl = process.env.TEST_DATABASE_URL;
for (const kind of ['pglite', 'postgres'] as const) {
  const skip = kind === 'postgres' && !serverUrl ? 'skipped: TEST_DATABASE_URL is not set (no PostgreSQL server)' : false;
  describe(`migration 0002_votes [${kind}]`, { skip }, () => {
    let db: Db | null = null;
    let drop: (() => Promise<void>) | null = null;
    after(async () => {
      await db?.close();
      await drop?.();
    });

    test('gives papers already stored the TypeScript score of no votes', async () => {
      if (kind === 'pglite') {
        db = await openDb({ databaseUrl: null, pgliteDir: null });
      } else {
        const created = await createServerDatabase(serverUrl!);
        drop = created.drop;
        db = await openDb({ databaseUrl: created.url });
      }
      const all = loadMigrations();
      await migrate(db, { migrations: all.filter((m) => m.version === 1) });
      await db.transaction((tx) =>
        writePapers(tx, DAYS.map((day, i) => record({ id: `2507.${String(100 + i).padStart(5, '0')}`, firstListed: day }))),
      );
      await migrate(db, { migrations: all });
      const rows = await db.query<{ id: string; first_listed: string; trending_score: number; upvotes: number; num_comments: number }>(
        'SELECT id, first_listed, trending_score, upvotes, num_comments FROM papers ORDER BY id',
      );
      assert.equal(rows.length, DAYS.length);
      for (const r of rows) {
        assert.ok(Object.is(r.trending_score, zeroVoteScore(r.first_listed)), `${r.id} ${r.first_listed}: ${r.trending_score}`);
        assert.ok(Object.is(r.trending_score, trendingScoreOfRow(r)));
      }
    });
  });
}
