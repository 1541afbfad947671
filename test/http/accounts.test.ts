// Accounts through the pages, as a person uses them: sign-up and sign-in by email link, sessions
// (rotation, sign-out, sign-out everywhere), passwords, settings, API tokens, profiles, and what hostile
// requests get. On PGlite and on the PostgreSQL server.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { hashSecret } from '../../src/accounts/secrets.ts';
import { forEachDatabase } from '../helpers/db.ts';
import { browser, createSite, csrfIn, latestSignInLink, mailTo, setCookies, signIn, signUp, type Site } from '../helpers/community.ts';

forEachDatabase('accounts', (fx) => {
  let site: Site;
  before(async () => {
    site = await createSite(fx.db);
  });
  after(async () => {
    await site?.close();
  });

  test('signing up by email link: the form, the message, the account form, then signed in everywhere', async () => {
    const b = browser(site.app);
    const formPage = await b.request('GET', '/signin?next=%2Fpapers%2Ftrending');
    assert.equal(formPage.statusCode, 200);
    assert.match(formPage.body, /<input id="signin-email" type="email" name="email"/);
    const sent = await b.request('POST', '/signin', { email: 'Ada@Example.org', next: '/papers/trending', _csrf: csrfIn(formPage.body) });
    assert.equal(sent.statusCode, 200);
    assert.match(sent.body, /a sign-in link is on its way/);
    const mails = await mailTo(site, 'ada@example.org');
    assert.equal(mails.length, 1);
    assert.equal(mails[0].subject, 'Create your paperpulse account');
    assert.ok(mails[0].html, 'the message has an HTML part');
    const link = await latestSignInLink(site, 'ada@example.org');

    // Opening the link changes nothing (mail scanners open links): it asks for a username.
    const confirm = await b.request('GET', link);
    assert.equal(confirm.statusCode, 200);
    assert.match(confirm.body, /Create your account/);
    assert.match(confirm.body, /ada@example\.org/);
    assert.equal(setCookies(confirm).some((c) => c.startsWith('pp_session=')), false);

    const taken = await b.request('POST', link, { username: 'Settings', _csrf: csrfIn(confirm.body) });
    assert.equal(taken.statusCode, 400, 'a reserved username is refused');
    assert.match(taken.body, /reserved/);
    const done = await b.request('POST', link, { username: 'ada', display_name: 'Ada Lovelace', _csrf: csrfIn(taken.body) });
    assert.equal(done.statusCode, 303);
    assert.equal(done.headers.location, '/papers/trending');
    const cookie = String([done.headers['set-cookie']].flat().find((c) => String(c).startsWith('pp_session=')));
    assert.match(cookie, /HttpOnly/);
    assert.match(cookie, /SameSite=Lax/);
    assert.match(cookie, /Path=\//);

    const home = await b.request('GET', '/papers/trending');
    assert.match(home.body, /href="\/users\/ada"/);
    assert.match(home.body, /action="\/signout"/);
    assert.equal(home.headers['cache-control'], 'private, no-cache');
    const anon = await site.app.inject({ method: 'GET', url: '/papers/trending' });
    assert.doesNotMatch(anon.body, /\/users\/ada/, 'pages for other visitors do not show her name');
    assert.match(anon.body, /href="\/signin"/);

    // The link worked once.
    const again = await browser(site.app).request('GET', link);
    assert.equal(again.statusCode, 410);
    assert.match(again.body, /already used/);
    const replay = await browser(site.app).request('POST', link, { username: 'ada2', _csrf: 'x' });
    assert.notEqual(replay.statusCode, 303);
  });

  test('the sign-in form answers the same whether or not an account exists', async () => {
    await signUp(site, 'known');
    const answer = async (email: string) => {
      const b = browser(site.app);
      const f = await b.request('GET', '/signin');
      const res = await b.request('POST', '/signin', { email, _csrf: csrfIn(f.body) });
      return { status: res.statusCode, body: res.body.replaceAll(email, 'EMAIL').replace(/name="_csrf" value="[^"]*"/g, '') };
    };
    const known = await answer('known@example.org');
    const unknown = await answer('nobody-here@example.org');
    assert.equal(known.status, 200);
    assert.deepEqual(unknown, known);
    // Only the mailbox learns which it is.
    assert.equal((await mailTo(site, 'known@example.org')).at(-1)?.subject, 'Your paperpulse sign-in link');
    assert.equal((await mailTo(site, 'nobody-here@example.org')).at(-1)?.subject, 'Create your paperpulse account');
  });

  test('links expire after 15 minutes, and a forged link does nothing', async () => {
    const b = browser(site.app);
    const f = await b.request('GET', '/signin');
    await b.request('POST', '/signin', { email: 'late@example.org', _csrf: csrfIn(f.body) });
    const link = await latestSignInLink(site, 'late@example.org');
    site.advance(16 * 60_000);
    const res = await b.request('GET', link);
    assert.equal(res.statusCode, 410);
    assert.match(res.body, /expired/);
    const forged = await b.request('GET', `/signin/${'A'.repeat(43)}`);
    assert.equal(forged.statusCode, 400);
    const junk = await b.request('GET', '/signin/%3Cscript%3E');
    assert.equal(junk.statusCode, 400);
    assert.doesNotMatch(junk.body, /<script>/);
  });

  test('a sign-in link posted from another site (login CSRF) is refused', async () => {
    const b = browser(site.app);
    const f = await b.request('GET', '/signin');
    await b.request('POST', '/signin', { email: 'victim@example.org', _csrf: csrfIn(f.body) });
    const link = await latestSignInLink(site, 'victim@example.org');
    const res = await browser(site.app).request('POST', link, { username: 'victim' });
    assert.equal(res.statusCode, 403);
    // The link still works for its owner.
    const confirm = await b.request('GET', link);
    assert.equal(confirm.statusCode, 200);
  });

  test('sessions: a new one at every sign-in, a planted cookie is never promoted, sign-out ends it', async () => {
    const planted = 'x'.repeat(43);
    const b = browser(site.app);
    b.cookie = `pp_session=${planted}`;
    const f = await b.request('GET', '/signin');
    assert.doesNotMatch(f.body, /action="\/signout"/, 'an unknown session cookie signs nobody in');
    await b.request('POST', '/signin', { email: 'rot@example.org', _csrf: csrfIn(f.body) });
    const link = await latestSignInLink(site, 'rot@example.org');
    const c = await b.request('GET', link);
    await b.request('POST', link, { username: 'rot', _csrf: csrfIn(c.body) });
    const session = /pp_session=([^;]+)/.exec(b.cookie)?.[1];
    assert.ok(session && session !== planted, 'sign-in issued a fresh session id');
    const rows = await fx.db.query<{ n: number }>(`SELECT count(*) AS n FROM sessions WHERE id = $1`, [hashSecret(planted)]);
    assert.equal(rows[0].n, 0);

    // Signing in again in the same browser replaces the session (the old cookie no longer works).
    const member = await signIn(site, 'rot@example.org');
    const old = await site.app.inject({ method: 'GET', url: '/settings', headers: { cookie: `pp_session=${session}` } });
    assert.equal(old.statusCode, 200, 'another browser kept its own session');
    const settings = await member.browser.request('GET', '/settings');
    assert.equal(settings.statusCode, 200);

    // Sign-out needs the form token, then ends the session for good.
    const noToken = await member.browser.request('POST', '/signout', {});
    assert.equal(noToken.statusCode, 403);
    const cookieBefore = member.browser.cookie;
    const out = await member.browser.request('POST', '/signout', { _csrf: member.csrf });
    assert.equal(out.statusCode, 303);
    const replay = await site.app.inject({ method: 'GET', url: '/settings', headers: { cookie: cookieBefore } });
    assert.equal(replay.statusCode, 303, 'the old cookie is signed out');
    assert.match(String(replay.headers.location), /^\/signin\?next=/);
  });

  test('sign out everywhere ends the sessions of every browser', async () => {
    const first = await signUp(site, 'many');
    const second = await signIn(site, 'many@example.org');
    const page = await first.browser.request('GET', '/settings');
    assert.match(page.body, /signed in on 2 browsers/);
    const res = await second.browser.request('POST', '/settings/signout-everywhere', { _csrf: second.csrf });
    assert.equal(res.statusCode, 303);
    for (const m of [first, second]) {
      const s = await m.browser.request('GET', '/settings');
      assert.equal(s.statusCode, 303, 'signed out');
    }
  });

  test('passwords: set one, sign in with it; wrong passwords and unknown addresses get the same answer', async () => {
    const m = await signUp(site, 'pw');
    const short = await m.browser.request('POST', '/settings/password', { password: 'short', _csrf: m.csrf });
    assert.equal(short.statusCode, 400);
    assert.match(short.body, /at least 10 characters/);
    const set = await m.browser.request('POST', '/settings/password', { password: 'correct horse battery', _csrf: m.csrf });
    assert.equal(set.statusCode, 303);
    const stored = await fx.db.query<{ password_hash: string }>(`SELECT password_hash FROM users WHERE username = 'pw'`);
    assert.match(stored[0].password_hash, /^scrypt\$/);
    assert.doesNotMatch(stored[0].password_hash, /correct horse/);

    const attempt = async (email: string, password: string, next = '/papers') => {
      const b = browser(site.app);
      const f = await b.request('GET', '/signin');
      const res = await b.request('POST', '/signin', { email, password, next, _csrf: csrfIn(f.body) });
      return { res, b };
    };
    const ok = await attempt('pw@example.org', 'correct horse battery');
    assert.equal(ok.res.statusCode, 303);
    assert.equal(ok.res.headers.location, '/papers');
    assert.equal((await ok.b.request('GET', '/settings')).statusCode, 200);
    const wrong = await attempt('pw@example.org', 'wrong horse battery');
    const nobody = await attempt('nobody-pw@example.org', 'correct horse battery');
    const noPassword = await attempt('known@example.org', 'correct horse battery');
    for (const r of [wrong, nobody, noPassword]) {
      assert.equal(r.res.statusCode, 401);
      assert.match(r.res.body, /do not match an account with a password/);
    }
  });

  test('no open redirect after sign-in', async () => {
    for (const [next, expected] of [
      ['//evil.example/x', '/'],
      ['https://evil.example/', '/'],
      ['/\\evil.example', '/'],
      ['/papers/trending?p=2', '/papers/trending?p=2'],
      ['/signout', '/'],
    ]) {
      const b = browser(site.app);
      const f = await b.request('GET', '/signin');
      const email = `redir${Math.random().toString(36).slice(2, 8)}@example.org`;
      await b.request('POST', '/signin', { email, next, _csrf: csrfIn(f.body) });
      const link = await latestSignInLink(site, email);
      const c = await b.request('GET', link);
      const done = await b.request('POST', link, { username: email.split('@')[0], _csrf: csrfIn(c.body) });
      assert.equal(done.statusCode, 303);
      assert.equal(done.headers.location, expected === '/' ? '/settings' : expected, next);
    }
  });

  test('settings: profile with hostile text, API tokens shown once and revocable, feed address', async () => {
    const m = await signUp(site, 'eve');
    const noCsrf = await m.browser.request('POST', '/settings/profile', { display_name: 'Eve' });
    assert.equal(noCsrf.statusCode, 403);
    const other = await signUp(site, 'mallory');
    const wrongSession = await m.browser.request('POST', '/settings/profile', { display_name: 'Eve', _csrf: other.csrf });
    assert.equal(wrongSession.statusCode, 403, "another session's token does not work");

    const hostile = '<script>alert(1)</script> Eve "the" <b>';
    const saved = await m.browser.request('POST', '/settings/profile', { display_name: hostile, bio: '<img src=x onerror=alert(1)>\nline two', upvotes_public: '1', _csrf: m.csrf });
    assert.equal(saved.statusCode, 303);
    const profile = await site.app.inject({ method: 'GET', url: '/users/eve' });
    assert.equal(profile.statusCode, 200);
    assert.doesNotMatch(profile.body, /<script>alert/);
    assert.doesNotMatch(profile.body, /<img src=x/);
    assert.match(profile.body, /&lt;script&gt;alert\(1\)&lt;\/script&gt; Eve/);

    const bidi = await m.browser.request('POST', '/settings/profile', { display_name: 'Eve\u202e', _csrf: m.csrf });
    assert.equal(bidi.statusCode, 400);
    assert.match(bidi.body, /invisible or control characters/);
    const badUtf8 = await m.browser.request('POST', '/settings/profile', {}, {});
    assert.equal(badUtf8.statusCode, 403);
    const raw = await site.app.inject({
      method: 'POST',
      url: '/settings/profile',
      headers: { cookie: m.browser.cookie, 'content-type': 'application/x-www-form-urlencoded' },
      payload: `display_name=%FF%FE&_csrf=${encodeURIComponent(m.csrf)}`,
    });
    assert.equal(raw.statusCode, 400, 'bytes that are not UTF-8 are refused with a message');

    const created = await m.browser.request('POST', '/settings/tokens', { name: 'my script', _csrf: m.csrf });
    assert.equal(created.statusCode, 201);
    const secret = /<code class="token-secret">(pp_[A-Za-z0-9_-]{43})<\/code>/.exec(created.body)?.[1];
    assert.ok(secret, 'the new token is shown');
    const list = await m.browser.request('GET', '/settings');
    assert.ok(!list.body.includes(secret!), 'and never again');
    assert.match(list.body, /my script/);
    const stored = await fx.db.query<{ token_hash: string }>(`SELECT token_hash FROM api_tokens WHERE name = 'my script'`);
    assert.equal(stored[0].token_hash, hashSecret(secret!), 'only its hash is stored');

    const tokenId = /action="\/settings\/tokens\/(\d+)\/revoke"/.exec(list.body)?.[1];
    const otherRevoke = await other.browser.request('POST', `/settings/tokens/${tokenId}/revoke`, { _csrf: other.csrf });
    assert.equal(otherRevoke.statusCode, 404, "nobody revokes someone else's token");
    const bad = await site.app.inject({ method: 'GET', url: '/api/v1/papers?limit=1', headers: { authorization: 'Bearer pp_nope' } });
    assert.equal(bad.statusCode, 401);
    assert.equal(bad.json().error.code, 'INVALID_TOKEN');
    const good = await site.app.inject({ method: 'GET', url: '/api/v1/papers?limit=1', headers: { authorization: `Bearer ${secret}` } });
    assert.notEqual(good.statusCode, 401);
    const revoke = await m.browser.request('POST', `/settings/tokens/${tokenId}/revoke`, { _csrf: m.csrf });
    assert.equal(revoke.statusCode, 303);
    const after = await site.app.inject({ method: 'GET', url: '/api/v1/papers?limit=1', headers: { authorization: `Bearer ${secret}` } });
    assert.equal(after.statusCode, 401, 'a revoked token stops working');

    const feed = await m.browser.request('POST', '/settings/feed-token', { _csrf: m.csrf });
    assert.equal(feed.statusCode, 303);
    const withFeed = await m.browser.request('GET', '/settings');
    assert.match(withFeed.body, /\/feeds\/users\/eve\/upvotes\.xml\?token=[A-Za-z0-9_-]{43}/);
  });

  test('profiles: unknown members get a 404, upvotes can be private', async () => {
    const missing = await site.app.inject({ method: 'GET', url: '/users/no-such-member' });
    assert.equal(missing.statusCode, 404);
    const m = await signUp(site, 'quiet');
    await m.browser.request('POST', '/settings/profile', { display_name: 'Quiet One', _csrf: m.csrf });
    const page = await site.app.inject({ method: 'GET', url: '/users/quiet' });
    assert.match(page.body, /Quiet One keeps their upvotes private/);
    const upper = await site.app.inject({ method: 'GET', url: '/users/Quiet' });
    assert.equal(upper.statusCode, 301);
  });

  test('security headers on every page', async () => {
    for (const url of ['/papers', '/signin', '/users/quiet', '/api/v1/papers?limit=1']) {
      const res = await site.app.inject({ method: 'GET', url });
      const csp = String(res.headers['content-security-policy']);
      assert.match(csp, /script-src 'self'/, url);
      assert.doesNotMatch(csp, /unsafe-inline/, url);
      assert.match(csp, /frame-ancestors 'none'/, url);
      assert.equal(res.headers['x-content-type-options'], 'nosniff', url);
      assert.ok(res.headers['referrer-policy'], url);
      assert.equal(res.headers['strict-transport-security'], undefined, 'no HSTS on plain http');
    }
  });

  test('oversize and malformed bodies get clear errors', async () => {
    const big = await site.app.inject({
      method: 'POST',
      url: '/signin',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      payload: `email=${'a'.repeat(70 * 1024)}`,
    });
    assert.equal(big.statusCode, 413);
    assert.match(big.body, /too much text/);
  });
});

forEachDatabase('accounts behind HTTPS', (fx) => {
  let site: Site;
  before(async () => {
    site = await createSite(fx.db, { env: { PUBLIC_URL: 'https://papers.example' } });
  });
  after(async () => {
    await site?.close();
  });

  test('Secure __Host- cookies and HSTS', async () => {
    const res = await site.app.inject({ method: 'GET', url: '/signin' });
    assert.match(String(res.headers['strict-transport-security']), /max-age=\d+/);
    const csrfCookie = String([res.headers['set-cookie']].flat()[0]);
    assert.match(csrfCookie, /^__Host-pp_csrf=.*; Secure/);
  });
});
