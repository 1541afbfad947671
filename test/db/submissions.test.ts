// The submissions service on each database: the quota and the one-entry-per-day rule under concurrent
// submissions (on the server they really run in parallel), the entries' trending score in SQL against the
// TypeScript formula, removal rights, and the 'papers-changed' event.
import assert from 'node:assert/strict';
import { EventEmitter } from 'node:events';
import { before, beforeEach, test } from 'node:test';
import { createAccount, type Member } from '../../src/accounts/accounts.service.ts';
import { loadConfig } from '../../src/config.ts';
import type { AppEvents, Context } from '../../src/context.ts';
import { entryTrendingSql, listedAtFor, trendingScore } from '../../src/feed/ranking.ts';
import { silentLogger } from '../../src/log.ts';
import { writePapers } from '../../src/papers/papers.repository.ts';
import { cleanNote, SubmissionService } from '../../src/submissions/submissions.service.ts';
import { forEachDatabase } from '../helpers/db.ts';
import { record } from '../helpers/records.ts';

const NOW = new Date('2025-07-03T12:00:00Z'); // Thursday's list: 2025-07-03
const IDS = Array.from({ length: 12 }, (_, i) => `2401.${String(i + 1).padStart(5, '0')}`);

test('cleanNote: control characters out, white space folded, 500 characters (not UTF-16 units) at most', () => {
  assert.deepEqual(cleanNote('  a\u0000b \n\n c  '), { ok: true, note: 'ab c' });
  assert.deepEqual(cleanNote(''), { ok: true, note: null });
  assert.deepEqual(cleanNote(undefined), { ok: true, note: null });
  assert.deepEqual(cleanNote('😀'.repeat(500)), { ok: true, note: '😀'.repeat(500) });
  assert.equal(cleanNote('x'.repeat(501)).ok, false);
  assert.equal(cleanNote(42).ok, false);
});

forEachDatabase('submissions service', (fx) => {
  let members: Member[];
  let moderator: Member;
  const changed: (string[] | undefined)[] = [];

  const context = (quota: number): Context => {
    const events = new EventEmitter() as AppEvents;
    events.on('papers-changed', (info) => changed.push(info.paperIds));
    return {
      config: loadConfig({ env: { SECRET_KEY: 'k'.repeat(40), PAPERPULSE_DATA_DIR: '/nonexistent', SUBMISSION_DAILY_QUOTA: String(quota) }, ensureDataDir: false }),
      db: fx.db,
      log: silentLogger,
      clock: () => NOW,
      events,
      close: async () => {},
    };
  };

  before(async () => {
    await fx.db.transaction((tx) =>
      writePapers(tx, IDS.map((id, i) => record({ id, title: `Old paper ${i}`, firstListed: '2024-01-03', versions: [{ version: 1, date: '2024-01-02T10:00:00Z' }] }))),
    );
    members = [];
    for (let i = 0; i < 10; i++) members.push(await createAccount(fx.db, { username: `member${i}`, email: `m${i}@example.org` }));
    moderator = await createAccount(fx.db, { username: 'moder', email: 'mod@example.org', role: 'moderator' });
  });
  beforeEach(async () => {
    await fx.db.exec('DELETE FROM submissions');
    changed.length = 0;
  });

  test('one member sending ten submissions at once gets exactly the quota', async () => {
    const service = new SubmissionService(context(3));
    const outcomes = await Promise.all(IDS.slice(0, 10).map((id) => service.submit(members[0], id)));
    const kinds = outcomes.map((o) => o.kind);
    assert.equal(kinds.filter((k) => k === 'submitted').length, 3, kinds.join());
    assert.equal(kinds.filter((k) => k === 'quota').length, 7);
    const [{ n }] = await fx.db.query<{ n: number }>(`SELECT count(*)::int AS n FROM submissions WHERE user_id = $1`, [members[0].id]);
    assert.equal(n, 3);
    assert.equal(changed.length, 3, 'one papers-changed event per submission');
    // Moderators are exempt.
    const more = await Promise.all(IDS.slice(0, 10).map((id) => service.submit(moderator, id)));
    assert.ok(more.every((o) => o.kind === 'submitted' || o.kind === 'duplicate'));
    assert.equal(more.filter((o) => o.kind === 'submitted').length, 7);
  });

  test('ten members sending one paper at once: one entry, nine duplicates naming it', async () => {
    const service = new SubmissionService(context(5));
    const outcomes = await Promise.all(members.map((m, i) => service.submit(m, `https://arxiv.org/abs/${IDS[11]}v${i + 1}`, `note ${i}`)));
    const submitted = outcomes.filter((o) => o.kind === 'submitted');
    assert.equal(submitted.length, 1);
    const winner = submitted[0].kind === 'submitted' ? submitted[0].submission : null;
    for (const o of outcomes) {
      if (o.kind === 'duplicate') assert.equal(o.existing.id, winner!.id);
      else assert.equal(o.kind, 'submitted');
    }
    assert.equal(winner!.listDate, '2025-07-03');
    assert.deepEqual(changed, [[IDS[11]]]);
  });

  test('removal: moderators only; the place is free again and the event is sent', async () => {
    const service = new SubmissionService(context(5));
    const s = await service.submit(members[1], IDS[0]);
    assert.equal(s.kind, 'submitted');
    const id = s.kind === 'submitted' ? s.submission.id : 0;
    assert.equal((await service.remove(members[2], id)).kind, 'forbidden');
    assert.equal((await service.remove(moderator, id, 'x'.repeat(501))).kind, 'invalid');
    changed.length = 0;
    assert.deepEqual(await service.remove(moderator, id, ' duplicate  of another '), { kind: 'removed', paperId: IDS[0], listDate: '2025-07-03' });
    assert.deepEqual(changed, [[IDS[0]]]);
    assert.equal((await service.remove(moderator, id)).kind, 'already-removed');
    assert.equal((await service.remove(moderator, 987654)).kind, 'not-found');
    const [row] = await fx.db.query<{ removed_reason: string }>(`SELECT removed_reason FROM submissions WHERE id = $1`, [id]);
    assert.equal(row.removed_reason, 'duplicate of another');
    assert.equal((await service.submit(members[3], IDS[0])).kind, 'submitted');
  });

  test("an entry's score in SQL is the formula with the submission's listing time", async () => {
    const cases = [
      { upvotes: 0, comments: 0, first: '2024-01-03', day: '2025-07-03', at: '2025-07-03T15:00:00Z' },
      { upvotes: 7, comments: 3, first: '2024-01-03', day: '2025-07-03', at: '2025-07-03T23:59:59.999Z' },
      { upvotes: 120, comments: 0, first: '1999-01-04', day: '2025-07-04', at: '2025-07-03T22:00:00Z' }, // before its day: clamped to its start
      { upvotes: 2, comments: 1, first: '2025-07-03', day: '2025-07-03', at: '2025-07-05T01:00:00Z' }, // after its day: clamped to its end
    ];
    for (const c of cases) {
      const stored = trendingScore({ upvotes: c.upvotes, comments: c.comments, listedAt: listedAtFor(c.first) });
      const expected = trendingScore({ upvotes: c.upvotes, comments: c.comments, listedAt: listedAtFor(c.day, new Date(c.at)) });
      const [row] = await fx.db.query<{ score: number }>(
        `SELECT ${entryTrendingSql('$1::float8', '$2::date', '$3::date', '$4::timestamptz')} AS score`,
        [stored, c.first, c.day, c.at],
      );
      assert.ok(Math.abs(row.score - expected) < 1e-9, `${JSON.stringify(c)}: SQL ${row.score}, formula ${expected}`);
    }
  });
});
