// Housekeeping deletes what nobody can use any more: expired sessions, and sign-in links a day after they
// expired; live sessions and recent links stay (a recent used link still tells "already used" apart).
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { insertLoginLink, insertSession } from '../../src/accounts/accounts.repository.ts';
import { createAccount } from '../../src/accounts/accounts.service.ts';
import { runHousekeeping } from '../../src/jobs/housekeeping-job.ts';
import { silentLogger } from '../../src/log.ts';
import { forEachDatabase } from '../helpers/db.ts';

forEachDatabase('housekeeping', (fx) => {
  test('expired sessions and old sign-in links go, the rest stays', async () => {
    const now = new Date('2025-07-10T12:00:00Z');
    const hour = 3600_000;
    const m = await createAccount(fx.db, { username: 'keeper', email: 'keeper@example.org' });
    await insertSession(fx.db, { id: 'live', userId: m.id, expiresAt: new Date(now.getTime() + hour), userAgent: null, now });
    await insertSession(fx.db, { id: 'gone', userId: m.id, expiresAt: new Date(now.getTime() - hour), userAgent: null, now });
    await insertLoginLink(fx.db, { id: 'recent', email: 'keeper@example.org', nextPath: '/', expiresAt: new Date(now.getTime() - hour), now });
    await insertLoginLink(fx.db, { id: 'old', email: 'keeper@example.org', nextPath: '/', expiresAt: new Date(now.getTime() - 25 * hour), now });

    const result = await runHousekeeping({ db: fx.db, clock: () => now, log: silentLogger });
    assert.deepEqual(result, { sessions: 1, links: 1 });
    const sessions = await fx.db.query<{ id: string }>(`SELECT id FROM sessions ORDER BY id`);
    assert.deepEqual(sessions.map((r) => r.id), ['live']);
    const links = await fx.db.query<{ id: string }>(`SELECT id FROM login_links ORDER BY id`);
    assert.deepEqual(links.map((r) => r.id), ['recent']);
  });
});
