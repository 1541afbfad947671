// Signed-in members subscribe to the digest with one click: their address was proven by the sign-in
// link, so there is no confirmation email; anonymous and forged requests change nothing.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { getSubscriptionByEmail } from '../../src/subscriptions/subscriptions.repository.ts';
import { forEachDatabase } from '../helpers/db.ts';
import { browser, createSite, mailTo, signUp, type Site } from '../helpers/community.ts';

forEachDatabase('one-click subscribe for members', (fx) => {
  let site: Site;
  before(async () => {
    site = await createSite(fx.db);
  });
  after(async () => {
    await site?.close();
  });

  test('the subscribe page offers the member their address; one click confirms it', async () => {
    const m = await signUp(site, 'reader', 'Reader@Example.org');
    const pageRes = await m.browser.request('GET', '/subscribe');
    assert.equal(pageRes.statusCode, 200);
    assert.match(pageRes.body, /<form method="post" action="\/subscribe\/member"/);
    assert.match(pageRes.body, /Subscribe reader@example\.org/);

    const forged = await m.browser.request('POST', '/subscribe/member', {});
    assert.equal(forged.statusCode, 403, 'no CSRF token, no subscription');
    assert.equal(await getSubscriptionByEmail(fx.db, 'reader@example.org'), null);

    const res = await m.browser.request('POST', '/subscribe/member', { _csrf: m.csrf });
    assert.equal(res.statusCode, 303);
    assert.match(String(res.headers.location), /^\/subscription\/[^?]+\?done=subscribed$/);
    const sub = await getSubscriptionByEmail(fx.db, 'reader@example.org');
    assert.equal(sub?.status, 'confirmed');
    const prefs = await m.browser.request('GET', String(res.headers.location));
    assert.equal(prefs.statusCode, 200);
    assert.match(prefs.body, /You are subscribed/);
    const mails = await mailTo(site, 'reader@example.org');
    assert.deepEqual(mails.map((x) => x.subject), ['Create your paperpulse account'], 'no confirmation email was needed');

    // A second click changes nothing.
    const again = await m.browser.request('POST', '/subscribe/member', { _csrf: m.csrf });
    assert.equal(again.statusCode, 303);
    assert.equal((await getSubscriptionByEmail(fx.db, 'reader@example.org'))?.id, sub?.id);
  });

  test('people who are not signed in are sent to sign in', async () => {
    const anon = browser(site.app);
    const pageRes = await anon.request('GET', '/subscribe');
    assert.doesNotMatch(pageRes.body, /action="\/subscribe\/member"/);
    const res = await anon.request('POST', '/subscribe/member', {});
    assert.equal(res.statusCode, 303);
    assert.equal(res.headers.location, '/signin?next=%2Fsubscribe');
  });
});
