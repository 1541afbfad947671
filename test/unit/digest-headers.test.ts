// Headers and the message itself: addresses, header injection, the digest's subject and list headers,
// the signed tokens in its links, CSRF tokens; and the .eml file transport, parsed back with mailparser.
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { simpleParser } from 'mailparser';
import type { DigestCandidate } from '../../src/digest/compose.ts';
import { digestPeriod } from '../../src/digest/period.ts';
import { digestSubject, excerpt, renderDigest, shortAuthors } from '../../src/digest/render.ts';
import { parseEmailAddress } from '../../src/mail/address.ts';
import { headerText } from '../../src/mail/headers.ts';
import { checkMessage, createMailer, deliveryError, HeaderInjectionError, type MailMessage } from '../../src/mail/mailer.ts';
import { retryDelayMs } from '../../src/mail/outbox.ts';
import { Csrf } from '../../src/http/web/csrf.ts';
import { checkLinkToken, messageIdFor, subscriptionLinks } from '../../src/subscriptions/links.ts';
import { signToken, verifyToken } from '../../src/subscriptions/tokens.ts';

const SECRET = 'k'.repeat(40);
const NOW = new Date('2026-06-16T23:00:00Z');

test('addresses: normalised, and malformed ones refused with a reason', () => {
  assert.deepEqual(parseEmailAddress('  Alice.Smith+papers@Example.ORG '), { ok: true, address: 'alice.smith+papers@example.org' });
  assert.equal(parseEmailAddress('josé@bücher.de').ok, false, 'non-ASCII before the @ needs SMTPUTF8, which is not assumed');
  assert.deepEqual(parseEmailAddress('jose@bücher.de'), { ok: true, address: 'jose@xn--bcher-kva.de' });
  const bad: [string, RegExp][] = [
    ['', /Enter your email address/],
    ['alice', /has no @/],
    ['a@b@example.org', /exactly one @/],
    ['@example.org', /before the @ is missing/],
    ['alice@', /domain after the @ is missing/],
    ['alice@localhost', /not a mail domain/],
    ['alice@exa mple.org', /cannot contain spaces/],
    ['alice@example.org\r\nBcc: victim@example.org', /line breaks/],
    ['alice@example.org\nBcc: victim@example.org', /line breaks/],
    ['"Alice" <alice@example.org>', /just the address/],
    ['alice@example.org, bob@example.org', /just the address/],
    ['a..b@example.org', /before the @/],
    ['.a@example.org', /before the @/],
    ['alice@-example.org', /not a mail domain/],
    ['alice@192.168.0.1', /not a mail domain/],
    [`${'a'.repeat(65)}@example.org`, /too long \(at most 64/],
    [`a@${'b'.repeat(250)}.org`, /too long for an email address/],
    ['x'.repeat(100_000), /too long/],
  ];
  for (const [input, reason] of bad) {
    const r = parseEmailAddress(input);
    assert.equal(r.ok, false, `refused: ${JSON.stringify(input.slice(0, 60))}`);
    if (!r.ok) assert.match(r.error, reason, JSON.stringify(input.slice(0, 60)));
  }
});

test('header text is one line; the mailer refuses any header value with a line break', () => {
  assert.equal(headerText('A title\r\nBcc: x@example.org\twith\u2028breaks'), 'A title Bcc: x@example.org with breaks');
  assert.ok(headerText('word '.repeat(100), 50).length <= 50);
  const base: MailMessage = { to: 'a@example.org', subject: 'Hello', text: 'x' };
  assert.doesNotThrow(() => checkMessage(base, 'pp <pp@example.org>'));
  const hostile: [string, MailMessage, string?][] = [
    ['Subject', { ...base, subject: 'Hi\r\nBcc: victim@example.org' }],
    ['Subject', { ...base, subject: 'Hi\nBcc: victim@example.org' }],
    ['Subject', { ...base, subject: 'Hi\rBcc: victim@example.org' }],
    ['To', { ...base, to: 'a@example.org\r\nBcc: victim@example.org' }],
    ['From', base, 'pp <pp@example.org>\r\nBcc: victim@example.org'],
    ['Message-ID', { ...base, messageId: '<a@b>\r\nBcc: victim@example.org' }],
    ['List-Unsubscribe', { ...base, headers: { 'List-Unsubscribe': '<https://x/u>\r\nBcc: victim@example.org' } }],
  ];
  for (const [name, message, from] of hostile) {
    assert.throws(() => checkMessage(message, from ?? 'pp <pp@example.org>'), (err: Error) => err instanceof HeaderInjectionError && err.message.includes(name), name);
  }
  assert.throws(() => checkMessage({ ...base, headers: { 'Bad Name:': 'x' } }, 'pp <pp@example.org>'), HeaderInjectionError);
  assert.throws(() => checkMessage({ ...base, to: 'a@example.org, b@example.org' }, 'pp <pp@example.org>'), /not a plain/);
});

test('SMTP replies: 4xx and connection errors are temporary, 5xx permanent; backoff doubles', () => {
  assert.equal(deliveryError({ responseCode: 451, response: '451 try later' }).temporary, true);
  assert.equal(deliveryError({ responseCode: 550, response: '550 no such user' }).temporary, false);
  assert.equal(deliveryError({ code: 'ECONNECTION', message: 'closed' }).temporary, true);
  const fixed = () => 0.5;
  assert.deepEqual([1, 2, 3, 4, 12].map((a) => retryDelayMs(a, 60_000, 3_600_000, fixed)), [60_000, 120_000, 240_000, 480_000, 3_600_000]);
});

const papers: DigestCandidate[] = Array.from({ length: 10 }, (_, i) => ({
  id: `2606.${String(10001 + i)}`,
  title: i === 0 ? 'Attention Is <Still> All\r\nBcc: x@example.org You Need' : `Paper number ${i + 1}`,
  authors: ['Ada Lovelace', 'Alan Turing', 'Grace Hopper', 'José Müller'],
  abstract: `${'We study a thing in depth. '.repeat(20)}End.`,
  categories: ['cs.LG'],
  firstListed: '2026-06-16',
  upvotes: 10 - i,
  trendingScore: 500 - i,
}));

test('the digest: subject says what is inside, list headers per RFC 8058, text and HTML with signed absolute links', () => {
  const period = digestPeriod('daily', '2026-06-16');
  const sub = { id: 42, tokenVersion: 1 };
  const links = subscriptionLinks({ publicUrl: 'https://pp.example.org', secretKey: SECRET }, sub, NOW);
  const d = renderDigest({ papers, period, publicUrl: 'https://pp.example.org', links, listDomain: 'example.org' });
  assert.equal(d.subject, 'Trending papers, Tue 16 Jun: Attention Is <Still> All Bcc: x@example.org You Need and 9 more');
  assert.equal(digestSubject(period, papers.slice(1, 2)), 'Trending papers, Tue 16 Jun: Paper number 2');
  assert.ok(!/[\r\n]/.test(d.subject));
  assert.equal(d.headers['List-Unsubscribe'], `<${links.unsubscribe}>`);
  assert.equal(d.headers['List-Unsubscribe-Post'], 'List-Unsubscribe=One-Click');
  assert.match(links.unsubscribe, /^https:\/\/pp\.example\.org\/unsubscribe\/unsubscribe\.42\.1\.[0-9a-z]+\.[A-Za-z0-9_-]{22}$/);
  const token = links.unsubscribe.split('/').pop()!;
  assert.equal(checkLinkToken({ publicUrl: '', secretKey: SECRET }, token, 'unsubscribe', NOW).id, 42);
  assert.equal(checkLinkToken({ publicUrl: '', secretKey: SECRET }, token, 'manage', NOW).ok, false, 'an unsubscribe token cannot open preferences');
  // Text part: every paper with its links; HTML: escaped, inline styles, dark-mode rules.
  for (const p of papers) {
    assert.ok(d.text.includes(`https://pp.example.org/papers/${p.id}`));
    assert.ok(d.text.includes(`https://arxiv.org/abs/${p.id}`));
    assert.ok(d.html.includes(`href="https://pp.example.org/papers/${p.id}"`));
  }
  assert.ok(d.text.includes('A. Lovelace, A. Turing, G. Hopper et al. · 10 upvotes'));
  assert.ok(d.html.includes('Attention Is &lt;Still&gt; All'), 'titles are escaped in HTML');
  assert.ok(!d.html.includes('<Still>'));
  assert.match(d.html, /prefers-color-scheme: dark/);
  assert.match(d.html, /<meta name="color-scheme" content="light dark">/);
  assert.ok(d.text.includes(links.manage) && d.text.includes(links.unsubscribe));
  assert.ok(d.html.includes(links.manage.replace(/&/g, '&amp;')) && d.html.includes(links.unsubscribe));
  assert.equal(shortAuthors(['Solo Author']), 'S. Author');
  assert.ok(excerpt('x '.repeat(300)).length <= 221);
});

test('signed tokens: tampering, another key, expiry and purpose are all refused', () => {
  const t = signToken(SECRET, { purpose: 'manage', subject: '7', version: 3, expiresAt: new Date(NOW.getTime() + 60_000) });
  assert.deepEqual(verifyToken(SECRET, t, 'manage', NOW), { ok: true, subject: '7', version: 3, expiresAt: new Date(Math.floor((NOW.getTime() + 60_000) / 1000) * 1000) });
  assert.deepEqual(verifyToken(SECRET, t.replace('.7.', '.8.'), 'manage', NOW), { ok: false, reason: 'signature' });
  assert.deepEqual(verifyToken('z'.repeat(40), t, 'manage', NOW), { ok: false, reason: 'signature' });
  assert.deepEqual(verifyToken(SECRET, t, 'confirm', NOW), { ok: false, reason: 'purpose' });
  assert.deepEqual(verifyToken(SECRET, t, 'manage', new Date(NOW.getTime() + 61_000)), { ok: false, reason: 'expired' });
  for (const junk of ['', 'a.b', 'x'.repeat(500), `${t}x`, t.replace(/.$/, ''), null, 42]) {
    assert.equal(verifyToken(SECRET, junk, 'manage', NOW).ok, false, String(junk).slice(0, 40));
  }
  // Message-IDs are derived from the idempotency key: the same on every attempt, different per key.
  const a = messageIdFor('digest:42:2026-06-16', 'example.org', SECRET);
  assert.equal(a, messageIdFor('digest:42:2026-06-16', 'example.org', SECRET));
  assert.notEqual(a, messageIdFor('digest:43:2026-06-16', 'example.org', SECRET));
  assert.match(a, /^<digest\.42\.2026-06-16\.[0-9a-f]{16}@example\.org>$/);
});

test('CSRF: a token works only with its own cookie, binding and age; same-origin headers are recognised', () => {
  let now = NOW;
  const csrf = new Csrf({ secret: SECRET, publicUrl: 'https://pp.example.org', clock: () => now });
  const set: string[] = [];
  const req = { headers: {} as Record<string, string> };
  const token = csrf.issue(req, { header: (_n: string, v: string) => set.push(v) }, 'prefs:1');
  assert.equal(set.length, 1);
  assert.match(set[0], /^__Host-pp_csrf=[A-Za-z0-9_-]{24}; Path=\/; HttpOnly; SameSite=Lax; Secure$/);
  const cookie = set[0].split(';')[0];
  const withCookie = { headers: { cookie } };
  assert.equal(csrf.verify(withCookie, token, 'prefs:1'), true);
  assert.equal(csrf.verify(withCookie, token, 'prefs:2'), false, 'bound to its use');
  assert.equal(csrf.verify({ headers: {} }, token, 'prefs:1'), false, 'no cookie');
  assert.equal(csrf.verify({ headers: { cookie: '__Host-pp_csrf=AAAAAAAAAAAAAAAAAAAAAAAA' } }, token, 'prefs:1'), false, 'another browser');
  now = new Date(NOW.getTime() + 13 * 3600_000);
  assert.equal(csrf.verify(withCookie, token, 'prefs:1'), false, 'too old');
  assert.equal(csrf.sameOrigin({ headers: { 'sec-fetch-site': 'same-origin' } }), true);
  assert.equal(csrf.sameOrigin({ headers: { 'sec-fetch-site': 'cross-site', origin: 'https://pp.example.org' } }), false);
  assert.equal(csrf.sameOrigin({ headers: { origin: 'https://pp.example.org' } }), true);
  assert.equal(csrf.sameOrigin({ headers: { origin: 'https://evil.example', host: 'pp.example.org' } }), false);
  assert.equal(csrf.sameOrigin({ headers: {} }), false);
});

test('without SMTP_URL, messages are .eml files: multipart, headers intact, rewritten (not doubled) on a resend', async () => {
  const dataDir = mkdtempSync(path.join(os.tmpdir(), 'paperpulse-eml-'));
  const mailer = createMailer({ smtpUrl: null, dataDir, from: 'paperpulse <digest@example.org>' });
  const period = digestPeriod('daily', '2026-06-16');
  const links = subscriptionLinks({ publicUrl: 'https://pp.example.org', secretKey: SECRET }, { id: 1, tokenVersion: 1 }, NOW);
  const d = renderDigest({ papers, period, publicUrl: 'https://pp.example.org', links, listDomain: 'example.org' });
  const message = { to: 'reader@example.org', subject: d.subject, text: d.text, html: d.html, headers: d.headers, messageId: '<digest.1.2026-06-16.abc@example.org>' };
  await mailer.send(message);
  await mailer.send(message);
  const files = readdirSync(path.join(dataDir, 'outbox'));
  assert.equal(files.length, 1, `one file per Message-ID, no temporary files left: ${files.join(', ')}`);
  assert.match(files[0], /^digest\.1\.2026-06-16\.abc-[0-9a-f]{12}\.eml$/);
  const parsed = await simpleParser(readFileSync(path.join(dataDir, 'outbox', files[0])));
  assert.equal(parsed.subject, d.subject);
  assert.equal(parsed.messageId, message.messageId);
  const raw = (name: string) => parsed.headerLines.find((h) => h.key === name)?.line;
  assert.equal(raw('list-unsubscribe-post'), 'List-Unsubscribe-Post: List-Unsubscribe=One-Click');
  assert.equal(raw('list-unsubscribe')?.replace(/\r?\n\s+/g, ' '), `List-Unsubscribe: <${links.unsubscribe}>`);
  assert.ok(parsed.text?.includes('https://pp.example.org/papers/2606.10001'));
  assert.ok(typeof parsed.html === 'string' && parsed.html.includes('Attention Is &lt;Still&gt;'));
  assert.equal(parsed.headers.get('bcc'), undefined, 'no header came from the hostile title');
  await assert.rejects(mailer.send({ ...message, subject: 'x\r\nBcc: victim@example.org' }), HeaderInjectionError);
  await mailer.close();
});
