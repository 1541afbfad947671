// composeRaw (src/mail/mime.ts) writes messages in one pass instead of through nodemailer's streams.
// Whatever it writes must read back (mailparser) exactly as nodemailer's own message does: the same
// text, HTML, subject, addresses, Message-ID and headers; and its quoted-printable must be valid.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import MailComposer from 'nodemailer/lib/mail-composer/index.js';
import { simpleParser, type ParsedMail } from 'mailparser';
import { digestPeriod } from '../../src/digest/period.ts';
import { renderDigest } from '../../src/digest/render.ts';
import { composeRaw, encodeBody, quotedPrintable, type ComposeInput } from '../../src/mail/mime.ts';

const base = (over: Partial<ComposeInput>): ComposeInput => ({
  from: 'paperpulse <digest@example.org>',
  to: 'reader@example.org',
  subject: 'Hello',
  text: 'Hi',
  messageId: '<digest.1.2026-06-16.abc@example.org>',
  date: new Date('2026-06-16T23:00:00Z'),
  ...over,
});

/**
 * What a reader sees of a message. Line breaks compared as LF (on the wire every one is CRLF), and
 * without those at the very end (a message ends with one: part of the body or not, by encoding).
 */
const body = (s: string) => s.replace(/\r\n|\r|\n/g, '\n').replace(/\n+$/, '');
const seen = (m: ParsedMail) => ({
  text: body(m.text ?? ''),
  html: typeof m.html === 'string' ? body(m.html) : m.html,
  subject: m.subject,
  from: m.from?.value,
  to: (m.to as { value: unknown } | undefined)?.value,
  messageId: m.messageId,
  date: m.date?.toISOString(),
  headers: m.headerLines.filter((h) => !/^(content-type|content-transfer-encoding|mime-version)$/.test(h.key)).map((h) => [h.key, m.headers.get(h.key)]),
});

async function readsLikeNodemailer(input: ComposeInput, label: string): Promise<void> {
  const mine = composeRaw(input);
  assert.equal(mine.messageId, input.messageId);
  assert.deepEqual(mine.envelope, { from: 'digest@example.org', to: ['reader@example.org'] });
  const raw = mine.raw.toString('latin1');
  assert.ok(!/[^\x00-\x7f]/.test(raw), `${label}: the message is 7-bit ASCII`);
  assert.ok(raw.split('\r\n').every((l) => l.length <= 998), `${label}: no line over 998 characters`);
  const theirs = await new MailComposer({ ...input, disableFileAccess: true, disableUrlAccess: true }).compile().build();
  assert.deepEqual(seen(await simpleParser(mine.raw)), seen(await simpleParser(theirs)), label);
}

test('a digest reads exactly like the message nodemailer writes', async () => {
  const papers = Array.from({ length: 12 }, (_, i) => ({
    id: `2606.${10001 + i}`,
    title: i === 0 ? 'Attention Is <Still> All You Need — “quoted” ünïcode = 😀 and a rather long title that goes on' : `Paper ${i}\twith\ttabs   `,
    authors: ['Ada Lovelace', 'José Müller', '李 小龙'],
    abstract: `${'We study = a thing in depth. '.repeat(30)} trailing spaces   \n next line`,
    upvotes: i,
  }));
  const d = renderDigest({
    papers,
    period: digestPeriod('daily', '2026-06-16'),
    publicUrl: 'https://pp.example.org',
    links: { manage: `https://pp.example.org/subscription/manage.1.1.x.${'a'.repeat(22)}`, unsubscribe: `https://pp.example.org/unsubscribe/unsubscribe.1.1.x.${'b'.repeat(22)}` },
    listDomain: 'example.org',
  });
  await readsLikeNodemailer(base({ subject: d.subject, text: d.text, html: d.html, headers: d.headers }), 'digest');
  const parsed = await simpleParser(composeRaw(base({ subject: d.subject, text: d.text, html: d.html, headers: d.headers })).raw);
  assert.equal(parsed.headerLines.find((h) => h.key === 'list-unsubscribe-post')?.line, 'List-Unsubscribe-Post: List-Unsubscribe=One-Click');
  assert.equal(parsed.html, d.html);
});

test('bodies and headers of every kind read back the same', async () => {
  const cases: [string, Partial<ComposeInput>][] = [
    ['short ascii text', { text: 'Hi' }],
    ['empty text', { text: '' }],
    ['long ascii line', { text: 'x'.repeat(500) }],
    ['line breaks of every kind, dots, = and whitespace', { text: 'a\r\nb\rc\n.d\n=e \n\tf\t\n\n..\n' }],
    ['trailing whitespace at the very end', { text: 'end   ' }],
    ['non-ascii subject and display name', { from: '"Pâpér, Pulse" <digest@example.org>', subject: 'Ünïcode — subject '.repeat(8), text: 'ok' }],
    ['html only', { text: '', html: '<p>Ça va?</p>'.repeat(40) }],
    ['text and html', { text: 'plain · text', html: '<p>html · part</p>' }],
    ['mostly not Latin', { text: '李小龙 '.repeat(50), html: '<p>李小龙</p>'.repeat(30) }],
    ['astral characters and a lone surrogate', { text: `😀${'x'.repeat(74)}😀 \ud800 end` }],
    ['no Message-ID given', { messageId: undefined }],
  ];
  for (const [label, over] of cases) {
    const input = base(over);
    if (!input.messageId) {
      assert.match(composeRaw(input).messageId, /^<.+@.+>$/, 'one is made up');
      continue;
    }
    await readsLikeNodemailer(input, label);
  }
});

test('quoted-printable: lines of at most 76, only printable ASCII, and it decodes to the text', async () => {
  const pieces = ['a', 'Z', ' ', '  ', '\t', '\n', '\r\n', '\r', '=', '.', 'é', 'ü', '—', '😀', '李', '<p>', 'word', '=3D', '\u00a0', 'x'.repeat(90), ' '.repeat(80)];
  let seed = 7;
  const rnd = (n: number) => (seed = (seed * 1103515245 + 12345) % 2 ** 31) % n;
  for (let k = 0; k < 400; k++) {
    const text = Array.from({ length: rnd(300) }, () => pieces[rnd(pieces.length)]).join('');
    const { body } = quotedPrintable(text);
    for (const line of body.split('\r\n')) {
      assert.ok(line.length <= 76, `case ${k}: a line of ${line.length}`);
      assert.ok(/^[\x21-\x7e \t]*$/.test(line), `case ${k}: printable ASCII only`);
      assert.ok(!/[ \t]$/.test(line), `case ${k}: no whitespace at the end of a line`);
      assert.ok(!/=(?![0-9A-F]{2}|$)/.test(line), `case ${k}: every = starts an escape or a soft break`);
    }
    const decoded = Buffer.from(
      body.replace(/=\r\n/g, '').replace(/=([0-9A-F]{2})/g, (_, h: string) => String.fromCharCode(parseInt(h, 16))),
      'latin1',
    ).toString('utf-8');
    assert.equal(decoded, text.replace(/\r\n|\r|\n/g, '\r\n').replace(/[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g, '\ufffd'), `case ${k}`);
  }
  assert.equal(encodeBody('plain ascii\nlines').encoding, '7bit');
  assert.equal(encodeBody('ça va, merci beaucoup').encoding, 'quoted-printable');
  assert.equal(encodeBody('李小龙'.repeat(40)).encoding, 'base64');
});

test('random messages read back like nodemailer writes them', async () => {
  const pieces = ['a', 'Z', ' ', '\t', '\n', '\r\n', '=', '.', 'é', '—', '😀', '李', '<p>', 'word', 'x'.repeat(90)];
  let seed = 11;
  const rnd = (n: number) => (seed = (seed * 1103515245 + 12345) % 2 ** 31) % n;
  for (let k = 0; k < 60; k++) {
    const text = Array.from({ length: 1 + rnd(200) }, () => pieces[rnd(pieces.length)]).join('');
    const html = Array.from({ length: rnd(200) }, () => pieces[rnd(pieces.length)]).join('');
    await readsLikeNodemailer(base({ text, html: k % 3 ? html : undefined, subject: `Case ${k} ${pieces[rnd(pieces.length)]}`.trim() }), `case ${k}`);
  }
});
