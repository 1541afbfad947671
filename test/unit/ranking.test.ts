import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import {
  COMMENT_WEIGHT,
  DECAY_SECONDS,
  EPOCH_MS,
  initialTrendingSql,
  listedAtFor,
  trendingScore,
  trendingScoreOfRow,
  weightedVotes,
} from '../../src/feed/ranking.ts';

// A fixed clock for the worked examples of docs/trending.md: "today" is listing day 2026-03-10.
const TODAY = '2026-03-10';
const YESTERDAY = '2026-03-09';
const score = (upvotes: number, day: string, comments = 0) =>
  trendingScore({ upvotes, comments, listedAt: listedAtFor(day) });

describe('trendingScore', () => {
  test('the constants are the documented ones', () => {
    assert.equal(new Date(EPOCH_MS).toISOString(), '2025-01-01T00:00:00.000Z');
    assert.equal(DECAY_SECONDS, 86_400);
    assert.equal(COMMENT_WEIGHT, 0.5);
  });

  test('is monotonic in votes', () => {
    let prev = score(1, TODAY);
    for (let v = 2; v <= 5000; v++) {
      const s = score(v, TODAY);
      assert.ok(s > prev, `${v} votes must score above ${v - 1}`);
      prev = s;
    }
    // and never decreasing in comments
    let c = score(10, TODAY, 0);
    for (let n = 1; n <= 100; n++) {
      const s = score(10, TODAY, n);
      assert.ok(s >= c);
      c = s;
    }
  });

  test('a newer listing beats an older one at equal votes', () => {
    for (const v of [0, 1, 7, 1000]) {
      assert.ok(score(v, TODAY) > score(v, YESTERDAY));
      assert.ok(score(v, '2025-01-02') > score(v, '2025-01-01'));
      assert.ok(score(v, '2024-12-31') > score(v, '1991-08-14'));
    }
    const morning = trendingScore({ upvotes: 3, comments: 0, listedAt: new Date('2026-03-10T09:00:00Z') });
    const evening = trendingScore({ upvotes: 3, comments: 0, listedAt: new Date('2026-03-10T21:00:00Z') });
    assert.ok(evening > morning);
  });

  test('worked examples: ten times the votes are worth exactly one day', () => {
    assert.equal(score(1, TODAY), 433);
    assert.equal(score(10, YESTERDAY), 433, '10 votes yesterday tie 1 vote today');
    assert.equal(score(10, YESTERDAY), score(1, TODAY));
    assert.equal(score(30, YESTERDAY), score(3, TODAY));
    assert.equal(score(100, '2026-03-08'), score(1, TODAY));
    assert.ok(score(11, YESTERDAY) > score(1, TODAY));
    assert.ok(score(9, YESTERDAY) < score(1, TODAY));
    assert.ok(score(2, TODAY) > score(10, YESTERDAY));
    assert.ok(Math.abs(score(2, TODAY) - 433.30103) < 1e-5);
    assert.equal(score(100, '2026-03-06'), 431, "Friday's 100 votes, three days later");
    assert.ok(score(100, '2026-03-06') < score(0, '2026-03-09'));
    // doubling the votes is worth log10(2) days, about 7.2 hours
    const shiftHours = (score(20, TODAY) - score(10, TODAY)) * 24;
    assert.ok(Math.abs(shiftHours - 7.22) < 0.01);
  });

  test('worked examples: comments weigh half a vote, up to the upvotes', () => {
    assert.equal(weightedVotes(4, 6), 7);
    assert.equal(score(4, TODAY, 6), 433 + Math.log10(7));
    assert.equal(weightedVotes(1, 40), 2, 'comments add at most as much as the upvotes');
    assert.equal(score(1, TODAY, 40), score(2, TODAY));
    assert.equal(score(0, TODAY, 50), score(0, TODAY), 'comments without votes add nothing');
    assert.equal(weightedVotes(10, 2), 11);
  });

  test('zero and one vote score the same; zero votes is the base of the day', () => {
    assert.equal(score(0, TODAY), score(1, TODAY));
    assert.equal(score(0, '2025-01-01'), 0);
    assert.equal(score(0, '1991-08-14'), -12194, 'before the epoch scores go negative');
    assert.ok(score(5, '1991-08-14') > score(0, '1991-08-14'));
  });

  test('huge vote counts stay finite and ordered', () => {
    assert.equal(score(1e9, TODAY), 442);
    assert.ok(Number.isFinite(score(Number.MAX_SAFE_INTEGER, TODAY)));
    assert.ok(score(Number.MAX_SAFE_INTEGER, TODAY) > score(1e15, TODAY));
    assert.ok(score(2_000_000_000, TODAY, 2_000_000_000) > score(2_000_000_000, TODAY));
  });

  test('ties are exact: equal inputs give bit-identical scores', () => {
    assert.ok(Object.is(score(42, TODAY, 3), score(42, TODAY, 3)));
    const a = trendingScore({ upvotes: 5, comments: 1, listedAt: new Date('2026-03-10T15:00:00.123Z') });
    const b = trendingScore({ upvotes: 5, comments: 1, listedAt: new Date(Date.parse('2026-03-10T15:00:00.123Z')) });
    assert.ok(Object.is(a, b));
  });

  test("a stored row's score does not depend on the time it is computed", () => {
    const row = { upvotes: 17, num_comments: 4, first_listed: '2025-11-03' };
    const realNow = Date.now;
    const scores: number[] = [];
    try {
      for (const now of ['2025-11-03T01:00:00Z', '2026-06-01T12:00:00Z', '2040-01-01T00:00:00Z']) {
        Date.now = () => Date.parse(now);
        scores.push(trendingScoreOfRow(row));
      }
    } finally {
      Date.now = realNow;
    }
    assert.equal(new Set(scores).size, 1);
    assert.equal(scores[0], 306 + Math.log10(19));
  });

  test('refuses nonsense input instead of storing NaN', () => {
    assert.throws(() => trendingScore({ upvotes: -1, comments: 0, listedAt: new Date() }), RangeError);
    assert.throws(() => trendingScore({ upvotes: NaN, comments: 0, listedAt: new Date() }), RangeError);
    assert.throws(() => trendingScore({ upvotes: 1, comments: Infinity, listedAt: new Date() }), RangeError);
    assert.throws(() => trendingScore({ upvotes: 1, comments: 0, listedAt: new Date('nope') }), RangeError);
  });
});

describe('listedAtFor', () => {
  test('a listing day starts at 00:00 UTC (20:00 New York the evening before, in summer time)', () => {
    assert.equal(listedAtFor('2026-07-15').toISOString(), '2026-07-15T00:00:00.000Z');
    assert.equal(listedAtFor('2024-02-29').toISOString(), '2024-02-29T00:00:00.000Z');
  });

  test('a later submission onto a day is listed when it was submitted, kept within that day', () => {
    assert.equal(listedAtFor(TODAY, new Date('2026-03-10T15:00:00Z')).toISOString(), '2026-03-10T15:00:00.000Z');
    assert.equal(listedAtFor(TODAY, new Date('2026-03-09T08:00:00Z')).toISOString(), '2026-03-10T00:00:00.000Z');
    assert.equal(listedAtFor(TODAY, new Date('2026-03-12T08:00:00Z')).toISOString(), '2026-03-10T23:59:59.999Z');
    assert.equal(listedAtFor(TODAY, null).toISOString(), '2026-03-10T00:00:00.000Z');
    const late = trendingScore({ upvotes: 3, comments: 0, listedAt: listedAtFor(TODAY, new Date('2026-03-10T15:00:00Z')) });
    assert.ok(Math.abs(late - (433 + 0.625 + Math.log10(3))) < 1e-12);
    const veryLate = trendingScore({ upvotes: 1, comments: 0, listedAt: listedAtFor(TODAY, new Date('2026-03-20T00:00:00Z')) });
    assert.ok(veryLate < score(1, '2026-03-11'), 'never outranks the next day at equal votes');
  });

  test('rejects what is not a calendar date', () => {
    for (const bad of ['2026-02-30', '2026-13-01', '20260310', '', '2026-03-10T00:00:00Z']) {
      assert.throws(() => listedAtFor(bad), RangeError, bad);
    }
  });
});

describe('initialTrendingSql', () => {
  test('is built from the same epoch and decay', () => {
    assert.equal(
      initialTrendingSql('r.first_listed'),
      "((r.first_listed) - DATE '2025-01-01')::double precision * 86400 / 86400",
    );
  });
});
