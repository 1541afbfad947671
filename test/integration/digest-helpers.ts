// Shared by the digest integration tests: an in-process SMTP server (smtp-server) that records every
// message it accepts and can refuse or hold them on demand, and builders for a database with papers
// and confirmed subscribers.
import type { AddressInfo } from 'node:net';
import { simpleParser, type ParsedMail } from 'mailparser';
import { SMTPServer, type SMTPServerSession } from 'smtp-server';
import type { Queryable } from '../../src/db/client.ts';
import { writePapers } from '../../src/papers/papers.repository.ts';
import { record } from '../helpers/records.ts';

export interface Accepted {
  /** RCPT TO addresses of the transaction. */
  to: string[];
  raw: Buffer;
  session: { secure: boolean; user: string | null };
}

export type Verdict = { code: number; message: string } | null | undefined;

export interface SmtpCaptureOptions {
  /** Implicit TLS (smtps). */
  secure?: boolean;
  /** Offer STARTTLS (with smtp-server's built-in test certificate). Off by default. */
  starttls?: boolean;
  /** Require AUTH with these credentials. */
  auth?: { user: string; pass: string };
  /** Decide on each RCPT TO: a verdict refuses it with that reply code. */
  rcpt?: (address: string) => Verdict;
  /**
   * Called with each complete message before it is accepted; may wait (hold the reply) and may refuse.
   * A message counts as received only when this resolves without a verdict.
   */
  data?: (raw: Buffer, to: string[]) => Promise<Verdict> | Verdict;
}

export class SmtpCapture {
  readonly accepted: Accepted[] = [];
  /** Every DATA the server saw, accepted or not. */
  dataSeen = 0;
  private constructor(private readonly server: SMTPServer, readonly port: number, readonly opts: SmtpCaptureOptions) {}

  static async start(opts: SmtpCaptureOptions = {}): Promise<SmtpCapture> {
    let self: SmtpCapture | null = null;
    const disabled = [...(opts.starttls || opts.secure ? [] : ['STARTTLS']), ...(opts.auth ? [] : ['AUTH'])];
    const refuse = (v: NonNullable<Verdict>) => Object.assign(new Error(v.message), { responseCode: v.code });
    const server = new SMTPServer({
      secure: opts.secure ?? false,
      disabledCommands: disabled,
      authOptional: !opts.auth,
      logger: false,
      onAuth(auth, _session, cb) {
        if (opts.auth && auth.username === opts.auth.user && auth.password === opts.auth.pass) return cb(null, { user: auth.username });
        cb(Object.assign(new Error('Invalid username or password'), { responseCode: 535 }));
      },
      onRcptTo(address, _session, cb) {
        const v = opts.rcpt?.(address.address);
        if (v) return cb(refuse(v));
        cb();
      },
      onData(stream, session: SMTPServerSession, cb) {
        const chunks: Buffer[] = [];
        stream.on('data', (c: Buffer) => chunks.push(c));
        stream.on('end', () => {
          const raw = Buffer.concat(chunks);
          const to = session.envelope.rcptTo.map((r) => r.address);
          self!.dataSeen++;
          Promise.resolve(opts.data?.(raw, to)).then(
            (v) => {
              if (v) return cb(refuse(v));
              self!.accepted.push({ to, raw, session: { secure: session.secure, user: (session.user as string | undefined) ?? null } });
              cb(null);
            },
            (err: Error) => cb(err),
          );
        });
      },
    });
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(0, '127.0.0.1', () => resolve());
    });
    server.on('error', () => {});
    const port = (server.server.address() as AddressInfo).port;
    self = new SmtpCapture(server, port, opts);
    return self;
  }

  /** An SMTP_URL for this server. */
  url(extra = ''): string {
    const auth = this.opts.auth ? `${encodeURIComponent(this.opts.auth.user)}:${encodeURIComponent(this.opts.auth.pass)}@` : '';
    return `${this.opts.secure ? 'smtps' : 'smtp'}://${auth}127.0.0.1:${this.port}${extra}`;
  }

  /** Accepted messages per recipient. */
  countsByRecipient(): Map<string, number> {
    const m = new Map<string, number>();
    for (const a of this.accepted) for (const t of a.to) m.set(t, (m.get(t) ?? 0) + 1);
    return m;
  }

  async parsed(): Promise<ParsedMail[]> {
    return Promise.all(this.accepted.map((a) => simpleParser(a.raw)));
  }

  async close(): Promise<void> {
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}

export const DAY = '2025-07-02';

/** `perDay` papers on each of the days, with distinct trending scores (higher for lower i). */
export async function seedPapers(db: Queryable, days: string[] = [DAY], perDay = 15): Promise<string[]> {
  const records = days.flatMap((day, d) =>
    Array.from({ length: perDay }, (_, i) =>
      record({
        id: `2507.${String(10000 + d * 100 + i + 1)}`,
        title: `Paper ${i + 1} of ${day} on ${i % 2 ? 'graph neural networks' : 'speech recognition'}`,
        abstract: `We study topic ${i} in depth. ${'Results are promising. '.repeat(8)}`,
        authors: ['Ada Lovelace', `Author ${d}${i}`, 'Grace Hopper', 'Alan Turing'],
        categories: i % 3 ? ['cs.LG', 'cs.AI'] : ['cs.CL'],
        firstListed: day,
      }),
    ),
  );
  await writePapers(db, records);
  await db.query(`UPDATE papers SET upvotes = 100 - right(id, 2)::int, trending_score = 1000 - right(id, 2)::int`);
  return records.map((r) => r.id);
}

/** Confirmed subscriptions for the addresses (with optional preferences); returns their ids. */
export async function addSubscribers(
  db: Queryable,
  emails: string[],
  prefs: { frequency?: 'daily' | 'weekly'; paperCount?: number; categories?: string[]; keywords?: string[] } = {},
): Promise<number[]> {
  const rows = await db.query<{ id: number }>(
    `INSERT INTO subscriptions (email, status, frequency, paper_count, categories, keywords, confirmed_at)
     SELECT e, 'confirmed', $2, $3, $4, $5, now() FROM unnest($1::text[]) AS e RETURNING id`,
    [emails, prefs.frequency ?? 'daily', prefs.paperCount ?? 10, prefs.categories ?? [], prefs.keywords ?? []],
  );
  return rows.map((r) => Number(r.id));
}

export const wait = (ms: number) => new Promise((r) => setTimeout(r, ms));

export async function waitFor(cond: () => boolean | Promise<boolean>, ms: number, what: string): Promise<void> {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    if (await cond()) return;
    await wait(25);
  }
  throw new Error(`timed out after ${ms} ms waiting for ${what}`);
}
