// All SQL on subscriptions and digest_sent_papers.
import type { Queryable } from '../db/client.ts';
import {
  MAX_PERMANENT_FAILURES,
  PENDING_TTL_DAYS,
  type Frequency,
  type Preferences,
  type Subscription,
  type SubscriptionStatus,
} from './subscription.ts';

interface Row {
  id: number;
  email: string;
  status: SubscriptionStatus;
  frequency: Frequency;
  paper_count: number;
  categories: string[];
  keywords: string[];
  token_version: number;
  created_at: Date;
  confirmed_at: Date | null;
  permanent_failures: number;
}

const COLUMNS = `id, email, status, frequency, paper_count, categories, keywords, token_version, created_at, confirmed_at, permanent_failures`;

const toSubscription = (r: Row): Subscription => ({
  id: Number(r.id),
  email: r.email,
  status: r.status,
  frequency: r.frequency,
  paperCount: r.paper_count,
  categories: r.categories,
  keywords: r.keywords,
  tokenVersion: r.token_version,
  createdAt: new Date(r.created_at),
  confirmedAt: r.confirmed_at ? new Date(r.confirmed_at) : null,
  permanentFailures: r.permanent_failures,
});

export async function getSubscription(db: Queryable, id: number): Promise<Subscription | null> {
  const rows = await db.query<Row>(`SELECT ${COLUMNS} FROM subscriptions WHERE id = $1`, [id]);
  return rows[0] ? toSubscription(rows[0]) : null;
}

export async function getSubscriptionByEmail(db: Queryable, email: string): Promise<Subscription | null> {
  const rows = await db.query<Row>(`SELECT ${COLUMNS} FROM subscriptions WHERE email = $1`, [email]);
  return rows[0] ? toSubscription(rows[0]) : null;
}

/**
 * The row for an address that asks to subscribe, locked for the rest of the transaction: created
 * pending when new; an unsubscribed or bouncing one goes back to pending (it must confirm again).
 */
export async function upsertPending(tx: Queryable, email: string, now: Date): Promise<{ subscription: Subscription; created: boolean }> {
  const inserted = await tx.query<Row>(
    `INSERT INTO subscriptions (email, created_at, updated_at) VALUES ($1, $2, $2)
     ON CONFLICT (email) DO NOTHING RETURNING ${COLUMNS}`,
    [email, now.toISOString()],
  );
  if (inserted[0]) return { subscription: toSubscription(inserted[0]), created: true };
  const rows = await tx.query<Row>(
    `UPDATE subscriptions SET
       status = CASE WHEN status IN ('unsubscribed', 'bouncing') THEN 'pending' ELSE status END,
       created_at = CASE WHEN status IN ('unsubscribed', 'bouncing') THEN $2::timestamptz ELSE created_at END,
       updated_at = $2
     WHERE email = $1 RETURNING ${COLUMNS}`,
    [email, now.toISOString()],
  );
  return { subscription: toSubscription(rows[0]), created: false };
}

/** pending -> confirmed (failures forgotten). Other states are left alone; returns the row either way. */
export async function confirmSubscription(db: Queryable, id: number, now: Date): Promise<Subscription | null> {
  await db.query(
    `UPDATE subscriptions SET status = 'confirmed', confirmed_at = $2, updated_at = $2, permanent_failures = 0
     WHERE id = $1 AND status = 'pending'`,
    [id, now.toISOString()],
  );
  return getSubscription(db, id);
}

export async function setStatus(db: Queryable, id: number, status: 'confirmed' | 'paused' | 'unsubscribed', now: Date): Promise<Subscription | null> {
  const from: Record<typeof status, string[]> = {
    confirmed: ['paused'],
    paused: ['confirmed'],
    unsubscribed: ['pending', 'confirmed', 'paused', 'bouncing'],
  };
  await db.query(
    `UPDATE subscriptions SET status = $2, updated_at = $3,
       unsubscribed_at = CASE WHEN $2 = 'unsubscribed' THEN $3::timestamptz ELSE unsubscribed_at END
     WHERE id = $1 AND status = ANY($4::text[])`,
    [id, status, now.toISOString(), from[status]],
  );
  return getSubscription(db, id);
}

export async function savePreferences(db: Queryable, id: number, prefs: Preferences, now: Date): Promise<Subscription | null> {
  await db.query(
    `UPDATE subscriptions SET frequency = $2, paper_count = $3, categories = $4, keywords = $5, updated_at = $6 WHERE id = $1`,
    [id, prefs.frequency, prefs.paperCount, prefs.categories, prefs.keywords, now.toISOString()],
  );
  return getSubscription(db, id);
}

/** Confirmed subscriptions of a frequency, in id order from `afterId` (keyset paging). */
export async function listConfirmed(db: Queryable, frequency: Frequency, afterId: number, limit: number, email?: string): Promise<Subscription[]> {
  const rows = await db.query<Row>(
    `SELECT ${COLUMNS} FROM subscriptions
     WHERE status = 'confirmed' AND frequency = $1 AND id > $2 ${email ? 'AND email = $4' : ''}
     ORDER BY id LIMIT $3`,
    email ? [frequency, afterId, limit, email] : [frequency, afterId, limit],
  );
  return rows.map(toSubscription);
}

/** Forgets addresses that did not confirm within PENDING_TTL_DAYS (their queued mail goes with them). */
export async function deleteStalePending(db: Queryable, now: Date): Promise<number> {
  const rows = await db.query(
    `DELETE FROM subscriptions WHERE status = 'pending'
       AND created_at < $1::timestamptz - make_interval(days => $2) RETURNING id`,
    [now.toISOString(), PENDING_TTL_DAYS],
  );
  return rows.length;
}

/** Papers already sent to each of the subscriptions, among the given papers. */
export async function sentPapers(db: Queryable, subscriptionIds: number[], paperIds: string[]): Promise<Map<number, Set<string>>> {
  const out = new Map<number, Set<string>>();
  if (subscriptionIds.length === 0 || paperIds.length === 0) return out;
  const rows = await db.query<{ subscription_id: number; paper_id: string }>(
    `SELECT subscription_id, paper_id FROM digest_sent_papers
     WHERE subscription_id = ANY($1::bigint[]) AND paper_id = ANY($2::text[])`,
    [subscriptionIds, paperIds],
  );
  for (const r of rows) {
    const id = Number(r.subscription_id);
    let set = out.get(id);
    if (!set) out.set(id, (set = new Set()));
    set.add(r.paper_id);
  }
  return out;
}

/** Records the papers of planned digests: [subscription id, outbox id, paper ids]. */
export async function recordSentPapers(tx: Queryable, entries: { subscriptionId: number; outboxId: number; paperIds: string[] }[], now: Date): Promise<void> {
  const flat = entries.flatMap((e) => e.paperIds.map((p) => ({ s: e.subscriptionId, o: e.outboxId, p })));
  if (flat.length === 0) return;
  await tx.query(
    `INSERT INTO digest_sent_papers (subscription_id, paper_id, outbox_id, sent_at)
     SELECT x.s, x.p, x.o, $2::timestamptz FROM jsonb_to_recordset($1::jsonb) AS x(s bigint, p text, o bigint)
     ON CONFLICT DO NOTHING`,
    [JSON.stringify(flat), now.toISOString()],
  );
}

/** A digest that failed for good gives its papers back, so a later digest may include them. */
export async function releaseSentPapers(tx: Queryable, outboxId: number): Promise<void> {
  await tx.query('DELETE FROM digest_sent_papers WHERE outbox_id = $1', [outboxId]);
}

/** Forgets which papers were sent long ago (a paper is only a candidate within its own week). */
export async function pruneSentPapers(db: Queryable, now: Date, keepDays = 30): Promise<number> {
  const rows = await db.query(
    `DELETE FROM digest_sent_papers WHERE sent_at < $1::timestamptz - make_interval(days => $2) RETURNING 1`,
    [now.toISOString(), keepDays],
  );
  return rows.length;
}

/** A permanent (5xx) failure: counts it, and stops mailing the address at MAX_PERMANENT_FAILURES in a row. */
export async function recordPermanentFailure(tx: Queryable, id: number, reason: string, now: Date): Promise<void> {
  await tx.query(
    `UPDATE subscriptions SET permanent_failures = permanent_failures + 1, last_failure = $2, last_failure_at = $3,
       status = CASE WHEN permanent_failures + 1 >= $4 AND status IN ('confirmed', 'paused') THEN 'bouncing' ELSE status END,
       updated_at = $3
     WHERE id = $1`,
    [id, reason.slice(0, 500), now.toISOString(), MAX_PERMANENT_FAILURES],
  );
}

/** A delivered message ends a run of failures. */
export async function resetFailures(tx: Queryable, id: number): Promise<void> {
  await tx.query('UPDATE subscriptions SET permanent_failures = 0 WHERE id = $1 AND permanent_failures > 0', [id]);
}

/** Cancels queued digests whose subscriber no longer receives them (unsubscribed, paused, bouncing). */
export async function cancelUnwantedDigests(db: Queryable): Promise<number> {
  const rows = await db.query(
    `UPDATE mail_outbox o SET status = 'cancelled', message = NULL, response = 'not sent: the subscription is ' || s.status
     FROM subscriptions s
     WHERE o.subscription_id = s.id AND o.status = 'queued' AND o.kind = 'digest' AND s.status <> 'confirmed'
     RETURNING o.id`,
  );
  if (rows.length) {
    await db.query('DELETE FROM digest_sent_papers WHERE outbox_id = ANY($1::bigint[])', [(rows as { id: number }[]).map((r) => r.id)]);
  }
  return rows.length;
}

/** Mail of the given kinds queued for an address recently: the per-address rate limit. */
export async function recentMailTo(db: Queryable, email: string, kinds: string[], since: Date): Promise<{ count: number; last: Date | null }> {
  const [row] = await db.query<{ n: number; last: Date | null }>(
    `SELECT count(*)::int AS n, max(created_at) AS last FROM mail_outbox
     WHERE recipient = $1 AND kind = ANY($2::text[]) AND created_at >= $3`,
    [email, kinds, since.toISOString()],
  );
  return { count: row.n, last: row.last ? new Date(row.last) : null };
}
