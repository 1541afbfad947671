// The mail outbox: every message is first a row in mail_outbox (written in the transaction that decided
// to send it), then a sender delivers it. The delivery guarantee and its one unavoidable window are in
// docs/decisions.md ("Digest delivery"); in short:
//
// - Claiming: `UPDATE .. WHERE id IN (SELECT .. FOR UPDATE SKIP LOCKED LIMIT n)` leases a batch of due
//   rows to one sender (status 'claimed', lease_until). Several processes on one PostgreSQL server each
//   take different rows; a row is never held by two senders at once.
// - Just before the SMTP transaction the row becomes 'sending' (a committed write, fenced on the owner);
//   right after the server's 250 it becomes 'sent'. The message's Message-ID is derived from its
//   idempotency key, so every attempt sends the same id.
// - A sender that dies leaves 'claimed' rows (never handed to SMTP: re-queued, no risk) and at most
//   `concurrency` 'sending' rows. Whether the server accepted those cannot be known; they are sent again
//   (at-least-once) with the same Message-ID. The window is one SMTP reply plus one UPDATE.
// - Both fences are group-committed (class Fences): the rows of concurrent workers that reach a fence
//   within a couple of milliseconds share one write. Each worker still waits for its row's write before
//   it goes on, so the bounds above are unchanged; there are just fewer writes.
// - A message is stored either rendered (text, html) or as `content`: a small JSON description that the
//   sender's renderer (SenderOptions.render) turns into text and HTML right before sending. Digests are
//   stored that way, so planning writes about 1 kB per subscriber instead of the whole message.
// - Temporary failures (4xx, connection trouble) are retried with exponential backoff until the row
//   expires or runs out of attempts; permanent failures (5xx) fail the row at once.
import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import type { Db, Queryable } from '../db/client.ts';
import type { Logger } from '../log.ts';
import { silentLogger } from '../log.ts';
import { MailDeliveryError, type Mailer } from './mailer.ts';

export interface OutboxMessage {
  /** Unique name of this message: planning it again adds nothing. */
  idempotencyKey: string;
  kind: string;
  subscriptionId?: number | null;
  recipient: string;
  subject: string;
  /** The body: text (and html), or `content` for the sender's renderer. */
  text?: string;
  html?: string;
  /** Small JSON from which SenderOptions.render produces text and html at send time (same output every attempt). */
  content?: unknown;
  headers?: Record<string, string>;
  messageId: string;
  /** Not before (default: now). */
  notBefore?: Date;
  /** Give up after this. */
  expiresAt?: Date | null;
}

export interface OutboxRow {
  id: number;
  idempotencyKey: string;
  kind: string;
  subscriptionId: number | null;
  recipient: string;
  subject: string;
  messageId: string;
  attempts: number;
  expiresAt: Date | null;
  body: { text?: string; html?: string; headers?: Record<string, string>; content?: unknown };
}

/** The text and HTML of a message, as a renderer makes them from its stored content. */
export interface RenderedBody {
  text: string;
  html?: string;
}

export type OutboxStatus = 'queued' | 'claimed' | 'sending' | 'sent' | 'failed' | 'cancelled';

/**
 * Adds messages; those whose idempotency key exists already are skipped. Returns the new rows' ids by key.
 * Runs on the caller's transaction, so the message exists if and only if the decision to send it does.
 */
export async function enqueueMessages(tx: Queryable, messages: OutboxMessage[], now: Date): Promise<Map<string, number>> {
  const out = new Map<string, number>();
  if (messages.length === 0) return out;
  const rows = await tx.query<{ id: number; idempotency_key: string }>(
    `INSERT INTO mail_outbox (idempotency_key, kind, subscription_id, recipient, subject, message, message_id,
                              next_attempt_at, expires_at, created_at)
     SELECT m.idempotency_key, m.kind, m.subscription_id, m.recipient, m.subject, m.message, m.message_id,
            coalesce(m.not_before, $2::timestamptz), m.expires_at, $2::timestamptz
     FROM jsonb_to_recordset($1::jsonb) AS m(idempotency_key text, kind text, subscription_id bigint, recipient text,
          subject text, message jsonb, message_id text, not_before timestamptz, expires_at timestamptz)
     ON CONFLICT (idempotency_key) DO NOTHING
     RETURNING id, idempotency_key`,
    [
      JSON.stringify(
        messages.map((m) => ({
          idempotency_key: m.idempotencyKey,
          kind: m.kind,
          subscription_id: m.subscriptionId ?? null,
          recipient: m.recipient,
          subject: m.subject,
          message: { text: m.text, html: m.html, headers: m.headers, content: m.content },
          message_id: m.messageId,
          not_before: m.notBefore?.toISOString() ?? null,
          expires_at: m.expiresAt?.toISOString() ?? null,
        })),
      ),
      now.toISOString(),
    ],
  );
  for (const r of rows) out.set(r.idempotency_key, r.id);
  return out;
}

interface ClaimedRow {
  id: number;
  idempotency_key: string;
  kind: string;
  subscription_id: number | null;
  recipient: string;
  subject: string;
  message: OutboxRow['body'] | null;
  message_id: string;
  attempts: number;
  expires_at: Date | null;
}

const toRow = (r: ClaimedRow): OutboxRow => ({
  id: r.id,
  idempotencyKey: r.idempotency_key,
  kind: r.kind,
  subscriptionId: r.subscription_id,
  recipient: r.recipient,
  subject: r.subject,
  messageId: r.message_id,
  attempts: r.attempts,
  expiresAt: r.expires_at,
  body: r.message ?? { text: '' },
});

const RETURNING = 'id, idempotency_key, kind, subscription_id, recipient, subject, message, message_id, attempts, expires_at';

/** Leases up to `limit` due rows to `owner`. Rows other senders hold locks on are skipped, not waited for. */
export async function claimDue(db: Queryable, owner: string, now: Date, limit: number, leaseMs: number, onlyId?: number): Promise<OutboxRow[]> {
  // The CTE runs once (a CTE with FOR UPDATE is always materialised): `WHERE id IN (SELECT .. LIMIT n
  // FOR UPDATE SKIP LOCKED)` may be re-evaluated by the planner and lease more than n rows.
  const rows = await db.query<ClaimedRow>(
    `WITH due AS (
       SELECT id FROM mail_outbox
       WHERE status = 'queued' AND next_attempt_at <= $2::timestamptz ${onlyId !== undefined ? 'AND id = $5' : ''}
       ORDER BY next_attempt_at, id
       LIMIT $3
       FOR UPDATE SKIP LOCKED)
     UPDATE mail_outbox o SET status = 'claimed', claimed_by = $1, lease_until = $2::timestamptz + make_interval(secs => $4)
     FROM due WHERE o.id = due.id AND o.status = 'queued'
     RETURNING ${RETURNING.split(', ').map((c) => `o.${c}`).join(', ')}`,
    onlyId !== undefined ? [owner, now.toISOString(), limit, leaseMs / 1000, onlyId] : [owner, now.toISOString(), limit, leaseMs / 1000],
  );
  return rows.map(toRow).sort((a, b) => a.id - b.id);
}

/**
 * The fence before the SMTP transaction: the row becomes 'sending' only if this owner still holds it.
 * Counts the attempt. False means the lease was lost (another sender took the row over): do not send.
 */
export async function markSending(db: Queryable, id: number, owner: string, now: Date, leaseMs: number): Promise<boolean> {
  return (await markSendingMany(db, [id], owner, now, leaseMs)).has(id);
}

/** markSending for several rows in one statement; the ids that passed the fence. */
export async function markSendingMany(db: Queryable, ids: number[], owner: string, now: Date, leaseMs: number): Promise<Set<number>> {
  const rows = await db.query<{ id: number }>(
    `UPDATE mail_outbox SET status = 'sending', attempts = attempts + 1,
            lease_until = $3::timestamptz + make_interval(secs => $4)
     WHERE id = ANY($1::bigint[]) AND claimed_by = $2 AND status = 'claimed' RETURNING id`,
    [ids, owner, now.toISOString(), leaseMs / 1000],
  );
  return new Set(rows.map((r) => Number(r.id)));
}

/** Delivered: the body is dropped (it was only kept to be sent), the reply kept. */
export async function markSent(tx: Queryable, id: number, owner: string, now: Date, response: string): Promise<boolean> {
  return (await markFences(tx, [{ id, at: now, response }], [], owner, now, 0)).sent.has(id);
}

/**
 * markSent and markSendingMany in one statement (one write of the fences, see Fences): the rows this
 * owner held that were marked sent, and those that passed the fence before SMTP. `onSentSql` (see
 * OutboxHooks) runs in the same statement, on the rows marked sent.
 */
export async function markFences(
  tx: Queryable,
  sent: { id: number; at: Date; response: string }[],
  sending: number[],
  owner: string,
  now: Date,
  leaseMs: number,
  onSentSql?: string,
): Promise<{ sent: Set<number>; sending: Set<number> }> {
  const rows = await tx.query<{ id: number; status: string }>(
    `WITH marked AS (
     UPDATE mail_outbox o SET
       status = x.status,
       attempts = o.attempts + CASE WHEN x.status = 'sending' THEN 1 ELSE 0 END,
       sent_at = CASE WHEN x.status = 'sent' THEN x.at ELSE o.sent_at END,
       response = CASE WHEN x.status = 'sent' THEN x.response ELSE o.response END,
       message = CASE WHEN x.status = 'sent' THEN NULL ELSE o.message END,
       lease_until = CASE WHEN x.status = 'sent' THEN NULL ELSE $5::timestamptz + make_interval(secs => $6) END
     FROM unnest($1::bigint[], $2::text[], $3::timestamptz[], $4::text[]) AS x(id, status, at, response)
     WHERE o.id = x.id AND o.claimed_by = $7 AND o.status = CASE WHEN x.status = 'sent' THEN 'sending' ELSE 'claimed' END
     RETURNING o.id, o.status, o.kind, o.subscription_id)
     ${onSentSql ? `, sent AS (SELECT id, kind, subscription_id FROM marked WHERE status = 'sent'), on_sent AS (${onSentSql})` : ''}
     SELECT id, status FROM marked`,
    [
      [...sent.map((x) => x.id), ...sending],
      [...sent.map(() => 'sent'), ...sending.map(() => 'sending')],
      [...sent.map((x) => x.at.toISOString()), ...sending.map(() => null)],
      [...sent.map((x) => x.response.slice(0, 1000)), ...sending.map(() => null)],
      now.toISOString(),
      leaseMs / 1000,
      owner,
    ],
  );
  const out = { sent: new Set<number>(), sending: new Set<number>() };
  for (const r of rows) (r.status === 'sent' ? out.sent : out.sending).add(Number(r.id));
  return out;
}

export async function markRetry(db: Queryable, id: number, owner: string, at: Date, error: string): Promise<void> {
  await db.query(
    `UPDATE mail_outbox SET status = 'queued', next_attempt_at = $3, response = $4, claimed_by = NULL, lease_until = NULL
     WHERE id = $1 AND claimed_by = $2 AND status IN ('sending', 'claimed')`,
    [id, owner, at.toISOString(), error.slice(0, 1000)],
  );
}

export async function markFailed(tx: Queryable, id: number, owner: string, error: string): Promise<boolean> {
  const rows = await tx.query(
    `UPDATE mail_outbox SET status = 'failed', response = $3, message = NULL, lease_until = NULL
     WHERE id = $1 AND claimed_by = $2 AND status IN ('sending', 'claimed') RETURNING id`,
    [id, owner, error.slice(0, 1000)],
  );
  return rows.length === 1;
}

/** Gives this owner's claimed (not yet attempted) rows back, on a clean stop. */
export async function releaseClaims(db: Queryable, owner: string): Promise<number> {
  const rows = await db.query(
    `UPDATE mail_outbox SET status = 'queued', claimed_by = NULL, lease_until = NULL
     WHERE claimed_by = $1 AND status = 'claimed' RETURNING id`,
    [owner],
  );
  return rows.length;
}

async function extendLeases(db: Queryable, owner: string, now: Date, leaseMs: number): Promise<void> {
  await db.query(
    `UPDATE mail_outbox SET lease_until = $2::timestamptz + make_interval(secs => $3)
     WHERE claimed_by = $1 AND status IN ('claimed', 'sending')`,
    [owner, now.toISOString(), leaseMs / 1000],
  );
}

/**
 * Re-queues rows whose sender is gone: its lease ran out, or `isGone(owner)` says the process died.
 * 'claimed' rows were never handed to SMTP; 'sending' rows may or may not have been accepted and are
 * sent again (at-least-once), with the same Message-ID.
 */
export async function recoverAbandoned(db: Queryable, now: Date, isGone: (owner: string) => boolean): Promise<{ claimed: number; sending: number }> {
  const held = await db.query<{ id: number; status: string; claimed_by: string; expired: boolean }>(
    `SELECT id, status, claimed_by, lease_until < $1::timestamptz AS expired
     FROM mail_outbox WHERE status IN ('claimed', 'sending')`,
    [now.toISOString()],
  );
  const abandoned = held.filter((r) => r.expired || isGone(r.claimed_by));
  if (abandoned.length === 0) return { claimed: 0, sending: 0 };
  const ids = abandoned.map((r) => r.id);
  const owners = abandoned.map((r) => r.claimed_by);
  // Each row only if the owner seen above still holds it (it may have finished meanwhile).
  const requeue = (status: 'claimed' | 'sending', response: string) =>
    db.query(
      `UPDATE mail_outbox SET status = 'queued', claimed_by = NULL, lease_until = NULL, response = ${response}
       WHERE status = '${status}' AND (id, claimed_by) IN (SELECT * FROM unnest($1::bigint[], $2::text[]))
       RETURNING id`,
      [ids, owners],
    );
  const claimed = await requeue('claimed', 'response');
  const sending = await requeue('sending', `'interrupted during delivery (its sender stopped); sent again with the same Message-ID'`);
  return { claimed: claimed.length, sending: sending.length };
}

export async function outboxCounts(db: Queryable): Promise<Record<OutboxStatus, number>> {
  const rows = await db.query<{ status: OutboxStatus; n: number }>(
    'SELECT status, count(*)::int AS n FROM mail_outbox GROUP BY status',
  );
  const out: Record<OutboxStatus, number> = { queued: 0, claimed: 0, sending: 0, sent: 0, failed: 0, cancelled: 0 };
  for (const r of rows) out[r.status] = r.n;
  return out;
}

/** When the next queued row falls due (null when none is queued). */
export async function nextDue(db: Queryable): Promise<Date | null> {
  const [row] = await db.query<{ at: Date | null }>(`SELECT min(next_attempt_at) AS at FROM mail_outbox WHERE status = 'queued'`);
  return row?.at ? new Date(row.at) : null;
}

// ---------------------------------------------------------------------------------------------
// The sender

export interface OutboxHooks {
  /** Before each claim: cancel queued rows nobody wants any more (e.g. the subscriber left). */
  cancelUnwanted?(db: Queryable, now: Date): Promise<number>;
  /** In the transaction that marks a row sent. */
  onSent?(tx: Queryable, row: OutboxRow): Promise<void>;
  /**
   * Instead of onSent: an SQL statement (UPDATE, INSERT or DELETE) run inside the statement that marks
   * rows sent, which then needs no transaction of its own. It reads the rows marked sent from `sent`
   * (columns id, kind, subscription_id). Constant SQL from the code only, never built from data.
   */
  onSentSql?: string;
  /** In the transaction that marks a row failed for good (permanent reply, or out of attempts). */
  onFailed?(tx: Queryable, row: OutboxRow, error: MailDeliveryError, permanent: boolean): Promise<void>;
}

export interface SenderOptions {
  /** Rows leased per claim. */
  batchSize?: number;
  /** Messages in flight at once (match the SMTP pool's connections). */
  concurrency?: number;
  leaseMs?: number;
  /** First retry delay after a temporary failure; doubles with each attempt, up to retryMaxMs. */
  retryBaseMs?: number;
  retryMaxMs?: number;
  /** Attempts after which a temporarily failing row is given up. */
  maxAttempts?: number;
  hooks?: OutboxHooks;
  log?: Logger;
  /** Called after each row is settled (tests and progress output). */
  onSettled?(row: OutboxRow, outcome: 'sent' | 'retry' | 'failed' | 'skipped'): void;
  /**
   * Renders the rows stored with `content` (once per claimed batch, with those rows): their text and
   * HTML by row id. A row it gives nothing for is not sent; it fails without counting against the address.
   */
  render?(rows: readonly OutboxRow[]): Promise<Map<number, RenderedBody>>;
}

export interface SendSummary {
  sent: number;
  retried: number;
  failed: number;
  /** Rows re-queued because their sender had died (of which `resent` were interrupted mid-delivery). */
  recovered: number;
  resent: number;
}

export const DEFAULTS = {
  batchSize: 20,
  concurrency: 3,
  leaseMs: 10 * 60_000,
  retryBaseMs: 60_000,
  retryMaxMs: 6 * 3600_000,
  maxAttempts: 10,
};

/** Exponential backoff with ±20 % jitter, so a server that refused many messages is not hit all at once. */
export function retryDelayMs(attempts: number, baseMs: number, maxMs: number, random = Math.random): number {
  const raw = Math.min(maxMs, baseMs * 2 ** Math.max(0, attempts - 1));
  return Math.round(raw * (0.8 + 0.4 * random()));
}

/** A sender's identity in claimed_by: host, pid and a nonce (two senders in one process differ). */
export function senderOwner(): string {
  return `${hostname()}:${process.pid}:${randomBytes(3).toString('hex')}`;
}

/**
 * Whether the process named in an owner is known to be dead. On the embedded database only one process
 * can have it open, so every other pid is gone; on a server, a pid on this host that no longer exists.
 */
export function ownerIsGone(owner: string, db: Pick<Db, 'kind'>): boolean {
  const [host, pidText] = owner.split(':');
  const pid = Number(pidText);
  if (!Number.isInteger(pid) || pid <= 0) return false;
  if (pid === process.pid) return false;
  if (db.kind === 'pglite') return true;
  if (host !== hostname()) return false;
  try {
    process.kill(pid, 0);
    return false;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'ESRCH';
  }
}

/**
 * The longest a fence write waits for other workers' rows (unless every worker is waiting already). It
 * waits twice as long as the last write took, at most this: on the embedded database a write costs a
 * few milliseconds of the one thread, so sharing it pays; on a server, writes are quick and so is the wait.
 */
export const FENCE_WAIT_MS = 5;

interface Waiter<T> {
  resolve: (value: T) => void;
  reject: (err: unknown) => void;
}

/**
 * The two fences of one sender's workers, group-committed: rows that reach a fence at about the same
 * time share one write. A write starts as soon as every active worker waits on it, or a moment (see
 * FENCE_WAIT_MS) after the first row arrived; rows arriving during a write go in the next one. Rows
 * marked sent and rows marked sending in one write share its statement and transaction (with the
 * onSent hooks). Each worker waits for the write that covers its row before going on, so at most
 * `concurrency` rows are ever 'sending', and a 250 reaches the database a write (milliseconds) later.
 */
class Fences {
  /** Workers that will come back to a fence (the writes do not wait for the others). */
  active = 0;
  private sending: { id: number; waiter: Waiter<boolean> }[] = [];
  private sent: { row: OutboxRow; at: Date; response: string; waiter: Waiter<void> }[] = [];
  private timer: NodeJS.Timeout | null = null;
  private writing = false;
  /** How long the last write took (ms). */
  private lastWriteMs = 0;

  constructor(
    private readonly write: (sending: number[], sent: { row: OutboxRow; at: Date; response: string }[]) => Promise<Set<number>>,
  ) {}

  /** queued -> sending; false when this sender no longer holds the row. */
  markSending(id: number): Promise<boolean> {
    return new Promise((resolve, reject) => {
      this.sending.push({ id, waiter: { resolve, reject } });
      this.schedule();
    });
  }

  /**
   * sending -> sent, with the onSent hooks; and, in the same write, the fence of the worker's next
   * row when there is one (a worker that just got its 250 needs both, one after the other).
   */
  markSent(row: OutboxRow, at: Date, response: string, nextId?: number): { sent: Promise<void>; next: Promise<boolean> | null } {
    const sent = new Promise<void>((resolve, reject) => this.sent.push({ row, at, response, waiter: { resolve, reject } }));
    const next = nextId === undefined ? null : new Promise<boolean>((resolve, reject) => this.sending.push({ id: nextId, waiter: { resolve, reject } }));
    this.schedule();
    return { sent, next };
  }

  /** A worker stopped coming back (its batch is done): the others need not wait for it. */
  leave(): void {
    this.active--;
    this.schedule();
  }

  private schedule(): void {
    const waiting = this.sending.length + this.sent.length;
    if (this.writing || waiting === 0) return;
    if (waiting >= this.active) {
      if (this.timer) clearTimeout(this.timer);
      this.timer = null;
      void this.flush();
    } else if (!this.timer) {
      this.timer = setTimeout(() => {
        this.timer = null;
        if (!this.writing) void this.flush();
      }, Math.min(FENCE_WAIT_MS, 2 * this.lastWriteMs));
    }
  }

  private async flush(): Promise<void> {
    this.writing = true;
    try {
      while (this.sending.length || this.sent.length) {
        const sending = this.sending.splice(0);
        const sent = this.sent.splice(0);
        const started = performance.now();
        try {
          const passed = await this.write(
            sending.map((x) => x.id),
            sent.map(({ row, at, response }) => ({ row, at, response })),
          );
          for (const x of sending) x.waiter.resolve(passed.has(x.id));
          for (const x of sent) x.waiter.resolve();
        } catch (err) {
          for (const x of [...sending, ...sent]) x.waiter.reject(err);
        }
        this.lastWriteMs = performance.now() - started;
      }
    } finally {
      this.writing = false;
    }
  }
}

/** A claimed row and its body (undefined: it could not be rendered). */
interface Queued {
  row: OutboxRow;
  body: RenderedBody | undefined;
}

/** A row whose fence was requested together with the previous row's 'sent' (passed: the outcome). */
interface Fenced {
  row: OutboxRow;
  body: RenderedBody;
  passed: Promise<boolean>;
}

export class OutboxSender {
  readonly owner = senderOwner();
  private readonly opts: Required<Omit<SenderOptions, 'hooks' | 'log' | 'onSettled' | 'render'>>;
  private lastLeaseExtension = 0;
  /** Both fences, shared by the workers: sent rows (with their hooks) and rows about to be sent. */
  private readonly fences = new Fences(async (sending, sent) => {
    if (sent.length === 0) return markSendingMany(this.db, sending, this.owner, this.clock(), this.opts.leaseMs);
    const sentIds = sent.map((x) => ({ id: x.row.id, at: x.at, response: x.response }));
    const hooks = this.options.hooks;
    // One statement, with the hook's SQL in it; or a transaction with the hook's calls.
    if (hooks?.onSentSql || !hooks?.onSent) {
      return (await markFences(this.db, sentIds, sending, this.owner, this.clock(), this.opts.leaseMs, hooks?.onSentSql)).sending;
    }
    return this.db.transaction(async (tx) => {
      const marked = await markFences(tx, sentIds, sending, this.owner, this.clock(), this.opts.leaseMs);
      for (const x of sent) if (marked.sent.has(x.row.id)) await hooks.onSent!(tx, x.row);
      return marked.sending;
    });
  });

  constructor(
    private readonly db: Db,
    private readonly mailer: Mailer,
    private readonly clock: () => Date,
    private readonly options: SenderOptions = {},
  ) {
    this.opts = {
      batchSize: options.batchSize ?? DEFAULTS.batchSize,
      concurrency: options.concurrency ?? DEFAULTS.concurrency,
      leaseMs: options.leaseMs ?? DEFAULTS.leaseMs,
      retryBaseMs: options.retryBaseMs ?? DEFAULTS.retryBaseMs,
      retryMaxMs: options.retryMaxMs ?? DEFAULTS.retryMaxMs,
      maxAttempts: options.maxAttempts ?? DEFAULTS.maxAttempts,
    };
  }

  private get log(): Logger {
    return this.options.log ?? silentLogger;
  }

  /** Re-queues rows of dead senders. */
  async recover(): Promise<{ claimed: number; sending: number }> {
    const r = await recoverAbandoned(this.db, this.clock(), (owner) => owner !== this.owner && ownerIsGone(owner, this.db));
    if (r.sending) {
      this.log.warn({ rows: r.sending }, 'outbox: messages interrupted during delivery by a stopped sender are sent again (same Message-ID)');
    }
    return r;
  }

  /**
   * Sends every row that is due now, batch by batch, until none is left or the signal aborts.
   * Rows that fail temporarily are rescheduled (not retried within this call unless already due again).
   */
  async drain(signal?: AbortSignal): Promise<SendSummary> {
    const summary: SendSummary = { sent: 0, retried: 0, failed: 0, recovered: 0, resent: 0 };
    const rec = await this.recover();
    summary.recovered = rec.claimed + rec.sending;
    summary.resent = rec.sending;
    // The workers take rows from a queue. When it runs dry the next batch is claimed (and rendered) at
    // once, while the other workers' last messages are still in flight: nobody waits for the slowest
    // message of a batch.
    const queue: Queued[] = [];
    let exhausted = false;
    let refilling: Promise<void> | null = null;
    let cancelledAt = 0;
    const refill = async () => {
      // Not before every batch: a few seconds' delay is fine for someone who just unsubscribed.
      if (Date.now() - cancelledAt > 5_000) {
        cancelledAt = Date.now();
        await this.options.hooks?.cancelUnwanted?.(this.db, this.clock());
      }
      const batch = await claimDue(this.db, this.owner, this.clock(), this.opts.batchSize, this.opts.leaseMs);
      if (batch.length === 0) {
        exhausted = true;
        return;
      }
      const bodies = await this.renderRows(batch);
      for (const row of batch) queue.push({ row, body: bodies.get(row.id) });
    };
    const take = async () => {
      if (queue.length === 0 && !exhausted && !signal?.aborted) {
        this.fences.leave(); // not coming back to a fence before the refill
        try {
          while (queue.length === 0 && !exhausted && !signal?.aborted) {
            refilling ??= refill()
              .catch((err: unknown) => {
                exhausted = true; // the others finish what they hold, then stop
                throw err;
              })
              .finally(() => {
                refilling = null;
              });
            await refilling;
          }
        } finally {
          this.fences.active++;
        }
      }
      return signal?.aborted ? null : (queue.shift() ?? null); // rows left 'claimed' are released below
    };
    /** The next row if it can go at once (a worker that just got its 250 fences it in the same write). */
    const takeReady = (): Queued | null => (!signal?.aborted && queue.length && this.readyNow(queue[0]) ? queue.shift()! : null);
    const worker = async () => {
      this.fences.active++;
      try {
        let fenced: Fenced | null = null;
        for (;;) {
          const item: Queued | Fenced | null = fenced ?? (await take());
          if (!item) break;
          fenced = await this.sendRow(item, summary, takeReady);
        }
      } finally {
        this.fences.leave();
      }
    };
    await Promise.all(Array.from({ length: this.opts.concurrency }, worker));
    if (signal?.aborted) await releaseClaims(this.db, this.owner);
    return summary;
  }

  /** Sends one row now if it is queued and due (the subscribe page's confirmation email). */
  async sendOne(id: number): Promise<'sent' | 'retry' | 'failed' | 'skipped'> {
    const summary: SendSummary = { sent: 0, retried: 0, failed: 0, recovered: 0, resent: 0 };
    const rows = await claimDue(this.db, this.owner, this.clock(), 1, this.opts.leaseMs, id);
    if (rows.length === 0) return 'skipped';
    const bodies = await this.renderRows(rows);
    let outcome: 'sent' | 'retry' | 'failed' | 'skipped' = 'skipped';
    this.fences.active++;
    try {
      await this.sendRow({ row: rows[0], body: bodies.get(rows[0].id) }, summary, undefined, (o) => (outcome = o));
    } finally {
      this.fences.leave();
    }
    return outcome;
  }

  /** The text and HTML of each row: stored, or made by the renderer from the row's content. */
  private async renderRows(batch: OutboxRow[]): Promise<Map<number, RenderedBody>> {
    const out = new Map<number, RenderedBody>();
    const toRender: OutboxRow[] = [];
    for (const row of batch) {
      if (row.body.content === undefined || row.body.content === null) out.set(row.id, { text: row.body.text ?? '', html: row.body.html });
      else toRender.push(row);
    }
    if (toRender.length && this.options.render) {
      let rendered: Map<number, RenderedBody>;
      try {
        rendered = await this.options.render(toRender);
      } catch (err) {
        // Nothing of the batch was attempted: give it back rather than hold it until the lease runs out.
        await releaseClaims(this.db, this.owner).catch(() => {});
        throw err;
      }
      for (const [id, body] of rendered) out.set(id, body);
    }
    return out;
  }

  /** Whether a queued row can be fenced right away: it has a body, has not expired, no lease extension is due. */
  private readyNow(item: Queued): boolean {
    const now = this.clock().getTime();
    return item.body !== undefined && !(item.row.expiresAt && item.row.expiresAt.getTime() <= now) && now - this.lastLeaseExtension <= this.opts.leaseMs / 3;
  }

  /**
   * Sends one row: checks, the fence (unless it was fenced already, with the previous row's 'sent'),
   * SMTP, then 'sent'. After a 250 it takes the next row (takeReady) and fences it in the same write
   * as this row's 'sent'; that row is returned, to be sent next by the same worker.
   */
  private async sendRow(
    item: Queued | Fenced,
    summary: SendSummary,
    takeReady?: () => Queued | null,
    onOutcome?: (outcome: 'sent' | 'retry' | 'failed' | 'skipped') => void,
  ): Promise<Fenced | null> {
    const { row } = item;
    const settle = (outcome: 'sent' | 'retry' | 'failed' | 'skipped') => {
      this.options.onSettled?.(row, outcome);
      onOutcome?.(outcome);
    };
    let body: RenderedBody;
    let passed: Promise<boolean>;
    if ('passed' in item) {
      ({ body, passed } = item);
    } else {
      const now = this.clock();
      if (now.getTime() - this.lastLeaseExtension > this.opts.leaseMs / 3) {
        this.lastLeaseExtension = now.getTime();
        await extendLeases(this.db, this.owner, now, this.opts.leaseMs);
      }
      if (row.expiresAt && row.expiresAt.getTime() <= now.getTime()) {
        await this.fail(row, new MailDeliveryError('expired before it could be delivered', false), false);
        summary.failed++;
        settle('failed');
        return null;
      }
      if (!item.body) {
        const reason = this.options.render ? 'its content could not be rendered' : 'this sender has no renderer for its content';
        await this.fail(row, new MailDeliveryError(`not sent: ${reason}`, false), false);
        this.log.warn({ id: row.id, kind: row.kind }, `outbox: ${reason}`);
        summary.failed++;
        settle('failed');
        return null;
      }
      body = item.body;
      passed = this.fences.markSending(row.id);
    }
    // The fence: from here until the row is marked sent it is 'sending'. If this process dies in
    // between, the message is sent again on recovery (at-least-once, same Message-ID).
    if (!(await passed)) {
      settle('skipped');
      return null;
    }
    const attempts = row.attempts + 1;
    let following: Fenced | null = null;
    try {
      const result = await this.mailer.send({
        to: row.recipient,
        subject: row.subject,
        text: body.text,
        html: body.html,
        headers: row.body.headers,
        messageId: row.messageId,
      });
      const next = takeReady?.() ?? null;
      const marks = this.fences.markSent(row, this.clock(), result.response, next?.row.id);
      if (next) {
        // Its fence shares the write of this row's 'sent': if that fails, so does the fence, and the
        // worker learns it when it awaits the fence (handled here so it is never an unhandled rejection).
        marks.next!.catch(() => {});
        following = { row: next.row, body: next.body!, passed: marks.next! };
      }
      await marks.sent;
      summary.sent++;
      settle('sent');
      return following;
    } catch (err) {
      const error = err instanceof MailDeliveryError ? err : new MailDeliveryError((err as Error).message ?? String(err), false);
      if (error.temporary && attempts < this.opts.maxAttempts) {
        const at = new Date(this.clock().getTime() + retryDelayMs(attempts, this.opts.retryBaseMs, this.opts.retryMaxMs));
        if (!row.expiresAt || at < row.expiresAt) {
          await markRetry(this.db, row.id, this.owner, at, error.message);
          this.log.warn({ id: row.id, kind: row.kind, attempts, retryAt: at.toISOString(), err: error.message }, 'outbox: temporary failure, will retry');
          summary.retried++;
          settle('retry');
          return following;
        }
      }
      const permanent = !error.temporary;
      const reason = permanent ? error.message : `gave up after ${attempts} attempt${attempts === 1 ? '' : 's'}: ${error.message}`;
      await this.fail(row, new MailDeliveryError(reason, error.temporary, error.responseCode), permanent);
      this.log.warn({ id: row.id, kind: row.kind, err: reason }, permanent ? 'outbox: permanent failure' : 'outbox: giving up');
      summary.failed++;
      settle('failed');
      return following;
    }
  }

  private async fail(row: OutboxRow, error: MailDeliveryError, permanent: boolean): Promise<void> {
    await this.db.transaction(async (tx) => {
      if (await markFailed(tx, row.id, this.owner, error.message)) await this.options.hooks?.onFailed?.(tx, row, error, permanent);
    });
  }

  /** Gives back rows claimed but not attempted (clean shutdown). */
  async release(): Promise<number> {
    return releaseClaims(this.db, this.owner);
  }
}
